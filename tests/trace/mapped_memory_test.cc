// A replayed trace's records are mapped from its file; a repetition runs in
// a forked process, which inherits the mapping without its page-table
// entries. The harness faults the records in before the memory baseline
// (fault_in_stream in bench/cell/cell_runner.h), so the rss_bytes layer counts the container, not the
// records it replays: the same as when the records are held in memory.
#include <gtest/gtest.h>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "bench/cell/cell_runner.h"
#include "bench/cell/repetition_process.h"
#include "bench/trace/trace_file.h"
#include "impls/core/value_types.h"
#include "tests/harness/skip_under_sanitizer.h"
#include "tests/harness/test_containers.h"
#include "tests/trace/trace_fixture.h"

namespace dstudy::trace {
namespace {

// rss_bytes growth from the baseline to the end of the replay, read in a
// forked process as a repetition's memory pass is.
std::int64_t rss_growth(const OperationStream& s) {
  bench::ContainerCellDriver<harness_test::PlainMap<std::uint64_t, std::uint64_t>, KvU64> d;
  d.prepare({}, [&](std::optional<std::size_t>) { return s; });
  const nlohmann::json j = bench::run_in_child_process("memory pass", [&] {
    d.run_memory_pass();
    return nlohmann::json(d.memory().phase_end.back().after.process.rss_bytes.value_or(-1));
  });
  return j.get<std::int64_t>();
}

TEST_F(TraceTest, MappedRecordsAreInTheMemoryBaseline) {
  DSTUDY_SKIP_UNDER_SANITIZED_MALLOC();
  // 400,000 ops (6.4 MB of records) on 50 keys: a container of a few KB.
  std::string csv;
  for (int i = 0; i < 400000; ++i) csv += (i < 50 ? "set,k" : "get,k") + std::to_string(i % 50) + "\n";
  const auto file = convert(Format::kCsv, csv);
  const std::int64_t records = 400000 * 16;
  const auto mapped = load_trace_stream(file, "t", "u64");
  ASSERT_TRUE(mapped.threads[0].ops.is_view());
  const std::int64_t in_mapped = rss_growth(mapped);
  const std::int64_t in_memory = rss_growth(load_trace_stream(file, "t", "u64", {.in_memory = true}));
  ASSERT_GE(in_mapped, 0) << "no rss reading";
  EXPECT_LT(in_mapped, records / 4) << "rss grew by " << in_mapped << " bytes over a replay of " << records
                                    << " bytes of mapped records (in memory: " << in_memory << ")";
  EXPECT_LT(in_memory, records / 4);
}

}  // namespace
}  // namespace dstudy::trace
