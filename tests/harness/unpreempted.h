// For timing tests of the open-loop pass: run a short pass until one saw no
// involuntary context switch, and judge that one.
//
// An open loop spends most of its time waiting, and on a shared machine the
// scheduler takes the CPU away for milliseconds at a time, which delays every
// op due meanwhile (exactly what the pass is meant to show, but not what a
// test of pacing is about). Tests that need an undisturbed pass try up to
// kAttempts times and skip, saying so, when every attempt was preempted.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <optional>
#include <thread>

#include "bench/open_loop.h"
#include "bench/probes/cycle_timer.h"

namespace dstudy::harness_test {

inline constexpr int kAttempts = 20;

// Runs pass() until one saw no involuntary context switch in its paced
// phases; that pass, or nullopt when every one was preempted.
template <class F>
std::optional<bench::OpenLoopPass> unpreempted(F pass) {
  for (int i = 0; i < kAttempts; ++i) {
    // A thread that slept is usually given a fresh slice when it wakes.
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    bench::OpenLoopPass r = pass();
    if (r.involuntary_switches == 0) return r;
  }
  return std::nullopt;
}

// Every op type's histogram merged.
inline probes::LatencyHistogram all_ops(const bench::OpHistograms& h) {
  probes::LatencyHistogram all;
  for (const auto& x : h) all.merge(x);
  return all;
}

// On a pass where every op started on time, an op's response is its
// service plus the spin loop's exit lag: at most one spin iteration (one
// timer read, ~ the overhead), plus two resolutions and a histogram bucket
// (0.8%) on each side. Checks that of the medians, and that the median op
// started within one timer read of its arrival.
inline void expect_response_equals_service(const bench::OpenLoopPass& p) {
  const auto& cal = probes::timer_calibration();
  const double response = all_ops(p.response).percentile(0.5), service = all_ops(p.service).percentile(0.5);
  const double tolerance = cal.overhead_ns + 2 * cal.resolution_ns + 0.016 * response + 1;
  EXPECT_GE(response, service);
  EXPECT_LE(response - service, tolerance) << "response P50 " << response << " ns, service P50 " << service << " ns";
  EXPECT_LE(p.start_lag.percentile(0.5), cal.overhead_ns + 2 * cal.resolution_ns + 1);
}

}  // namespace dstudy::harness_test

#define SKIP_IF_ALWAYS_PREEMPTED(x)                                    \
  if (!(x))                                                            \
  GTEST_SKIP() << "every one of " << ::dstudy::harness_test::kAttempts \
               << " attempts was preempted: the machine is too busy to judge pacing"
