#include "bench/open_loop/arrival_schedule.h"

#include <cmath>
#include <random>
#include <stdexcept>

namespace dstudy::bench {

namespace {

void check_positive(double x, const char* what) {
  if (!(x > 0) || !std::isfinite(x))
    throw std::invalid_argument(std::string(what) + " must be a positive number, not " + std::to_string(x));
}

}  // namespace

std::optional<ArrivalProcess> arrival_process_from_name(const std::string& name) {
  if (name == kArrivalProcessNames[0]) return ArrivalProcess::kConstant;
  if (name == kArrivalProcessNames[1]) return ArrivalProcess::kPoisson;
  return std::nullopt;
}

const char* arrival_process_name(ArrivalProcess p) { return kArrivalProcessNames[static_cast<int>(p)]; }

std::vector<std::uint64_t> make_arrivals(ArrivalProcess process, std::size_t n, double ops_per_second,
                                         std::uint64_t seed) {
  if (process == ArrivalProcess::kRecorded)
    throw std::invalid_argument("recorded arrivals come from the stream's timestamps (arrivals_from_timestamps)");
  check_positive(ops_per_second, "arrival rate (ops/s)");
  const double gap_ns = 1e9 / ops_per_second;
  std::vector<std::uint64_t> out(n);
  if (process == ArrivalProcess::kConstant) {
    // Each offset from its index, not by summing gaps: no rounding drift.
    for (std::size_t i = 0; i < n; ++i)
      out[i] = static_cast<std::uint64_t>(std::llround(static_cast<double>(i) * gap_ns));
    return out;
  }
  std::mt19937_64 rng(seed);
  std::exponential_distribution<double> gap(1.0 / gap_ns);
  double t = 0;
  for (std::size_t i = 0; i < n; ++i) {
    out[i] = static_cast<std::uint64_t>(std::llround(t));
    t += gap(rng);
  }
  return out;
}

std::vector<std::uint64_t> arrivals_from_timestamps(const std::vector<std::uint64_t>& timestamps_ns, double scale) {
  check_positive(scale, "timestamp scale");
  std::vector<std::uint64_t> out(timestamps_ns.size());
  for (std::size_t i = 0; i < timestamps_ns.size(); ++i) {
    if (i > 0 && timestamps_ns[i] < timestamps_ns[i - 1])
      throw std::invalid_argument("recorded timestamps decrease at op " + std::to_string(i) + " (" +
                                  std::to_string(timestamps_ns[i - 1]) + " ns, then " +
                                  std::to_string(timestamps_ns[i]) + " ns)");
    out[i] = static_cast<std::uint64_t>(std::llround(static_cast<double>(timestamps_ns[i] - timestamps_ns[0]) * scale));
  }
  return out;
}

}  // namespace dstudy::bench
