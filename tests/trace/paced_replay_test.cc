// Paced replay of a trace (dstudy_bench --pace SCALE): the open-loop pass
// with the trace's recorded timestamps x SCALE as its arrivals. A small trace
// with known, irregular timestamps (some ops share one) is replayed at scale
// 1 and 0.5, and the pass is judged on what it reports and on when each op
// reached the container: never before its due time, every op run and its
// outcome checked, and, where the container is far faster than the gaps,
// response = service within the timer's resolution.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_runner.h"
#include "bench/probes/cycle_timer.h"
#include "bench/trace/trace_file.h"
#include "impls/core/value_types.h"
#include "tests/harness/test_containers.h"
#include "tests/harness/unpreempted.h"
#include "tests/trace/trace_fixture.h"

namespace dstudy::trace {
namespace {

using harness_test::all_ops;

// Notes when each op reaches it (StartRecordingMap) and leaves that log for
// the test when the driver destroys it after the pass.
template <class K, class V>
class LoggedStartsMap : public harness_test::StartRecordingMap<K, V> {
 public:
  ~LoggedStartsMap() { last_starts = this->starts(); }
  static inline std::vector<std::int64_t> last_starts;
};

using Driver = bench::ContainerCellDriver<LoggedStartsMap<std::uint64_t, std::uint64_t>, KvU64>;

// 400 requests over 40 keys, timestamps in us: gaps of 20 to 80 us, every
// 9th request at the same time as the one before (a burst of two). A span
// of about 19 ms, so a pass at scale 1 takes that long.
std::string timed_csv() {
  std::string csv;
  std::uint64_t t = 1000;  // the first record's time is subtracted: offsets start at 0
  for (int i = 0; i < 400; ++i) {
    if (i % 9 != 0) t += 20 + (i * 37) % 61;
    const char* op = i % 7 == 0 ? "delete" : i % 3 == 0 ? "set" : "get";
    csv += std::string(op) + ",k" + std::to_string((i * 13) % 40) + ",8," + std::to_string(t) + "\n";
  }
  return csv;
}

class PacedReplay : public TraceTest {
 protected:
  void SetUp() override {
    TraceTest::SetUp();
    stream_ =
        load_trace_stream(convert(Format::kCsv, timed_csv(), {.time_unit_ns = 1000}), "paced", "u64", {.paced = true});
    setup_ = driver_.prepare({}, [this](std::optional<std::size_t>) { return stream_; });
  }
  bench::OpenLoopPass pass(double scale) {
    before_ = std::chrono::steady_clock::now().time_since_epoch().count();
    return driver_.run_open_loop_pass({.process = bench::ArrivalProcess::kRecorded, .timestamp_scale = scale});
  }
  // When op i is due, in ns after the pass's clock origin.
  double due_ns(std::size_t i, double scale) const {
    return static_cast<double>(stream_.threads[0].recorded_ns.ns[i]) * scale;
  }

  OperationStream stream_;
  Driver driver_;
  bench::CellSetup setup_;
  std::int64_t before_ = 0;  // steady_clock before the last pass began
};

// Every op reaches the container no earlier than its recorded time x scale
// after the pass began (the clock origin is read after before_), with one
// allowance: the cycle timer's calibration against steady_clock (0.1% of the
// offset) and two timer resolutions. The pass runs every op, with the
// outcomes the trace recorded, and says what it paced.
TEST_F(PacedReplay, NoOpStartsBeforeItsRecordedTimeTimesTheScale) {
  const std::size_t n = stream_.threads[0].ops.size();
  ASSERT_EQ(n, 400u);
  const double span_ns = due_ns(n - 1, 1.0);
  ASSERT_GT(span_ns, 15e6);
  const double resolution = probes::timer_calibration().resolution_ns;
  for (double scale : {1.0, 0.5}) {
    SCOPED_TRACE("scale " + std::to_string(scale));
    const bench::OpenLoopPass p = pass(scale);
    const std::vector<std::int64_t>& starts = LoggedStartsMap<std::uint64_t, std::uint64_t>::last_starts;
    ASSERT_EQ(starts.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const double due = due_ns(i, scale);
      ASSERT_GE(static_cast<double>(starts[i] - before_), due - 0.001 * due - 2 * resolution) << "op " << i;
    }
    EXPECT_EQ(p.arrivals, "recorded");
    EXPECT_EQ(p.paced_phases, std::vector<std::string>{"replay"});
    EXPECT_EQ(p.paced_ops, n);
    EXPECT_DOUBLE_EQ(p.target_ops_per_second, static_cast<double>(n) * 1e9 / (span_ns * scale));
    // The pass ends no earlier than its last op is due.
    EXPECT_GE(p.paced_seconds * 1e9, span_ns * scale * 0.999 - 2 * resolution);
    EXPECT_EQ(all_ops(p.response).count(), n);
    EXPECT_EQ(all_ops(p.service).count(), n);
    const bench::CheckResult c = bench::check_repetition(setup_, p.pass, "open-loop");
    EXPECT_TRUE(c.ok) << c.message;
  }
}

// The container takes well under a microsecond an op against gaps of 2 us
// or more (at scale 0.1: a pass of 1.9 ms, short enough to find one the
// kernel did not preempt on a busy machine). On such a pass every op starts
// on time: its response is its service plus the spin loop's exit lag (one
// timer read), and it reaches the container within 20 us of its due time,
// which tells scale 0.1 from any other (ops up to 17 ms apart at scale 1).
TEST_F(PacedReplay, ResponseEqualsServiceWhenTheContainerKeepsUp) {
  const double scale = 0.1;
  const std::size_t n = stream_.threads[0].ops.size();
  // The first op (if any) that reached the container more than 20 us after
  // its due time (relative to op 0's start, which is due at offset 0).
  auto first_late = [&](const std::vector<std::int64_t>& starts) {
    for (std::size_t i = 0; i < starts.size(); ++i)
      if (static_cast<double>(starts[i] - starts[0]) > due_ns(i, scale) * 1.001 + 20'000) return i;
    return starts.size();
  };
  // unpreempted() judges the pass it last called `meets` on: keep that one's starts.
  std::vector<std::int64_t> starts;
  const auto run = harness_test::unpreempted([&] { return pass(scale); },
                                             [&](const bench::OpenLoopPass& p) {
                                               starts = LoggedStartsMap<std::uint64_t, std::uint64_t>::last_starts;
                                               return harness_test::response_equals_service(p) && starts.size() == n &&
                                                      first_late(starts) == n;
                                             });
  SKIP_IF_ALWAYS_PREEMPTED(run);
  harness_test::expect_response_equals_service(*run);
  ASSERT_EQ(starts.size(), n);
  const std::size_t late = first_late(starts);
  EXPECT_EQ(late, n) << "op " << late << " started " << (starts[late] - starts[0]) << " ns after op 0, due at "
                     << due_ns(late, scale) << " ns";
}

}  // namespace
}  // namespace dstudy::trace
