// The cycle timer: rdtsc to open a timed region, rdtscp to close it, each
// fenced so the measured operation cannot drift across the edge. Calibrated
// once against std::chrono::steady_clock at start-up; the cost of an empty
// timed region (its median) is measured at the same time, reported, and
// subtracted from every latency sample; so is the resolution (the smallest
// step between two reads), which bounds what a latency difference can mean.
//
// On a machine without an invariant TSC (or not x86-64) the timer falls back
// to steady_clock, and says so in `source`.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

#if defined(__x86_64__) || defined(__i386__)
#include <x86intrin.h>
#define DSTUDY_HAVE_TSC 1
#else
#define DSTUDY_HAVE_TSC 0
#endif

namespace dstudy::probes {

struct TimerCalibration {
  std::string source;         // "rdtscp" or "steady_clock"
  double ticks_per_ns = 1.0;  // TSC ticks per nanosecond
  double overhead_ticks = 0;  // median cost of an empty timed region
  double overhead_ns = 0;
  double resolution_ticks = 1;  // smallest non-zero step between two reads
  double resolution_ns = 0;
  double calibration_ms = 0;   // how long the calibration window was
  bool invariant_tsc = false;  // /proc/cpuinfo says constant_tsc and nonstop_tsc
};

// Calibrates on first use (main calls it at start-up, before anything is
// timed); thread-safe afterwards.
const TimerCalibration& timer_calibration();

namespace detail {
extern bool g_use_tsc;
inline std::uint64_t steady_ticks() noexcept {
  return static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
}
}  // namespace detail

// Opens a timed region: no later instruction starts before the read.
inline std::uint64_t cycle_begin() noexcept {
#if DSTUDY_HAVE_TSC
  if (detail::g_use_tsc) {
    _mm_lfence();
    const std::uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
  }
#endif
  return detail::steady_ticks();
}

// Closes a timed region: rdtscp waits for earlier instructions to finish.
inline std::uint64_t cycle_end() noexcept {
#if DSTUDY_HAVE_TSC
  if (detail::g_use_tsc) {
    unsigned aux;
    const std::uint64_t t = __rdtscp(&aux);
    _mm_lfence();
    return t;
  }
#endif
  return detail::steady_ticks();
}

inline double ticks_to_ns(double ticks) noexcept { return ticks / timer_calibration().ticks_per_ns; }
inline double ticks_to_seconds(double ticks) noexcept { return ticks_to_ns(ticks) * 1e-9; }

// Re-runs the calibration over `window` (tests use it to check agreement).
TimerCalibration calibrate_timer(std::chrono::milliseconds window);

}  // namespace dstudy::probes
