// When each operation of an open-loop pass arrives: the schedule is made
// before the pass (nothing is drawn while it runs) as offsets in nanoseconds
// from the start of the paced ops, one per op, non-decreasing.
//
//   constant      op i arrives at i / rate: evenly spaced, the offered load
//                 exactly `rate` ops/s at every moment.
//   poisson       independent exponential gaps of mean 1 / rate, from a
//                 seeded generator: arrivals as many independent callers make
//                 them (bursts and lulls at the same mean rate).
//   timestamps    recorded arrival times (a trace's per-op timestamps, ns)
//                 shifted to start at 0 and multiplied by a scale factor
//                 (0.5 replays twice as fast).
//
// The paced loop (paced_loop.h) waits for each offset; how late it starts an
// op, and what that does to its callers, is what the pass measures.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace dstudy::bench {

// kRecorded: the stream's own recorded timestamps (a replayed trace, the
// runner's --pace SCALE); made by arrivals_from_timestamps, not make_arrivals.
enum class ArrivalProcess { kConstant, kPoisson, kRecorded };

inline constexpr const char* kArrivalProcessNames[] = {"constant", "poisson", "recorded"};

// The process named `name`; nullopt when there is none by that name.
std::optional<ArrivalProcess> arrival_process_from_name(const std::string& name);
const char* arrival_process_name(ArrivalProcess p);

// n arrival offsets (ns) at `ops_per_second`; Poisson gaps drawn from `seed`.
// Throws std::invalid_argument when the rate is not a positive finite number,
// or for kRecorded (whose arrivals are the stream's timestamps).
std::vector<std::uint64_t> make_arrivals(ArrivalProcess process, std::size_t n, double ops_per_second,
                                         std::uint64_t seed);

// Offsets from recorded timestamps (ns): (t[i] - t[0]) * scale. Throws
// std::invalid_argument when the timestamps decrease (naming the index) or
// the scale is not a positive finite number.
std::vector<std::uint64_t> arrivals_from_timestamps(const std::vector<std::uint64_t>& timestamps_ns, double scale);

}  // namespace dstudy::bench
