#include "bench/probes/cycle_timer.h"

#include <algorithm>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

namespace dstudy::probes {

namespace detail {
bool g_use_tsc = DSTUDY_HAVE_TSC != 0;
}

namespace {

bool cpuinfo_has_invariant_tsc() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("flags", 0) == 0) {
      auto has = [&](const char* flag) {
        return (line + " ").find(std::string(" ") + flag + " ") != std::string::npos;
      };
      return has("constant_tsc") && has("nonstop_tsc");
    }
  }
  return false;
}

double median_empty_region_ticks() {
  constexpr int kSamples = 200000;
  std::vector<std::uint64_t> d(kSamples);
  for (int i = 0; i < kSamples; ++i) {
    const std::uint64_t a = cycle_begin();
    const std::uint64_t b = cycle_end();
    d[i] = b - a;
  }
  std::nth_element(d.begin(), d.begin() + kSamples / 2, d.end());
  return static_cast<double>(d[kSamples / 2]);
}

// The timer's resolution: the smallest non-zero difference between two
// back-to-back reads. Virtual machines often advance the TSC in steps (21
// ticks = 10 ns seen here), and two latencies closer than that cannot be told
// apart however many samples there are.
std::uint64_t resolution_ticks() {
  std::uint64_t best = ~std::uint64_t{0};
  for (int i = 0; i < 100000; ++i) {
    const std::uint64_t a = cycle_begin();
    const std::uint64_t b = cycle_begin();
    if (b > a) best = std::min(best, b - a);
  }
  return best == ~std::uint64_t{0} ? 1 : best;
}

}  // namespace

TimerCalibration calibrate_timer(std::chrono::milliseconds window) {
  TimerCalibration c;
  c.invariant_tsc = cpuinfo_has_invariant_tsc();
#if DSTUDY_HAVE_TSC
  detail::g_use_tsc = c.invariant_tsc;
#endif
  c.source = detail::g_use_tsc ? "rdtscp" : "steady_clock";
  if (detail::g_use_tsc) {
    // Bracket each end with two clock reads and keep the tightest pair, so a
    // preemption between the reads cannot skew the ratio.
    auto pair_read = [] {
      std::uint64_t best_gap = ~std::uint64_t{0};
      std::uint64_t tsc = 0;
      std::int64_t ns = 0;
      for (int i = 0; i < 16; ++i) {
        const auto s0 = std::chrono::steady_clock::now();
        const std::uint64_t t = cycle_begin();
        const auto s1 = std::chrono::steady_clock::now();
        const auto gap = static_cast<std::uint64_t>((s1 - s0).count());
        if (gap < best_gap) {
          best_gap = gap;
          tsc = t;
          ns = (s0.time_since_epoch().count() + s1.time_since_epoch().count()) / 2;
        }
      }
      return std::pair{tsc, ns};
    };
    const auto [t0, n0] = pair_read();
    const auto deadline = std::chrono::steady_clock::now() + window;
    while (std::chrono::steady_clock::now() < deadline) {
    }
    const auto [t1, n1] = pair_read();
    c.ticks_per_ns = static_cast<double>(t1 - t0) / static_cast<double>(n1 - n0);
    c.calibration_ms = static_cast<double>(n1 - n0) * 1e-6;
  } else {
    c.ticks_per_ns = 1.0;  // steady_clock counts nanoseconds on Linux
    c.calibration_ms = 0;
  }
  c.overhead_ticks = median_empty_region_ticks();
  c.overhead_ns = c.overhead_ticks / c.ticks_per_ns;
  c.resolution_ticks = static_cast<double>(resolution_ticks());
  c.resolution_ns = c.resolution_ticks / c.ticks_per_ns;
  return c;
}

const TimerCalibration& timer_calibration() {
  static const TimerCalibration c = calibrate_timer(std::chrono::milliseconds(50));
  return c;
}

}  // namespace dstudy::probes
