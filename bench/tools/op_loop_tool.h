// dstudy_op_loop: one cell's stream through one container, the headline
// phases (those the harness's headline throughput times) in a function of
// their own, headline_loop, and the other phases in other_loop, so that
// callgrind can count a container's instructions per op in the headline
// phases alone (exact and repeatable, where timings on a shared machine are
// not):
//
//   valgrind --tool=callgrind --toggle-collect='*headline_loop*'
//     build/release/bench/tools/dstudy_op_loop IMPL [WORKLOAD [SIZE [KV [LIVE]]]]
//
// The container is a parameter: every registered container (the build
// includes this file's registration before each impls/ header, as it does
// for dstudy_bench), and `null`, the harness's NullContainer, whose run is
// the op loop's own cost. The stream is the harness's, at the live size the
// harness would use (fill x the container's growth point, found by the
// harness's own cell driver) unless LIVE is given. Every phase is also timed
// (wall clock, one thread: the container's own work and misses, with no
// contention; not a figure to publish from a shared machine).
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>

#include "bench/workload/operation_stream.h"

namespace dstudy::bench::tools {

// What one run is asked to do (op_loop_main.cc parses it).
struct OpLoopRequest {
  std::string impl;
  std::string workload = "steady_churn.fill85";
  std::string size = "quick";
  std::string kv = "u64";
  std::optional<std::size_t> live;  // the harness's live size when absent
};

// Runs the request's stream (already made, one thread) through a fresh
// container; prints one line per phase and the headline op count; returns
// the exit status (3 when the successes differ from the stream's).
using OpLoopRunner = int (*)(const OperationStream& stream, bool reserve);

// (impl, kv) -> runner; filled by the registration units before main.
std::map<std::pair<std::string, std::string>, OpLoopRunner>& op_loop_runners();

}  // namespace dstudy::bench::tools
