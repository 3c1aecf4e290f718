// The stream cache: a stream read back from its file is the generated one
// (every op, phase, expectation and key) and gives the same outcome counts
// and checksum through the harness; a truncated, damaged or foreign file is
// detected and generated again; different specs, seeds, sizes, kv kinds and
// live sizes get different files; processes (threads here) that want the
// same stream at once generate it once.
#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <thread>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_runner.h"
#include "bench/workload/stream_cache.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/core/value_types.h"
#include "tests/harness/test_containers.h"

namespace dstudy {
namespace {

namespace fs = std::filesystem;

class StreamCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dstudy_stream_cache_" + std::to_string(::getpid()) + "_" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

WorkloadSpec preset(const char* name) { return find_workload(default_workloads_dir(), name); }

void expect_same_phase(const Phase& a, const Phase& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.role, b.role);
  EXPECT_EQ(a.headline, b.headline);
  EXPECT_EQ(a.retention, b.retention);
  for (int i = 0; i < kOpTypeCount; ++i) EXPECT_EQ(a.op_counts[i], b.op_counts[i]);
  EXPECT_EQ(a.begin, b.begin);
  EXPECT_EQ(a.end, b.end);
  EXPECT_EQ(a.live_after, b.live_after);
  EXPECT_EQ(a.idle_probes_s, b.idle_probes_s);
  EXPECT_EQ(a.purge_probe, b.purge_probe);
  EXPECT_EQ(a.compact_probe, b.compact_probe);
}

void expect_same_stream(const OperationStream& a, const OperationStream& b) {
  EXPECT_EQ(a.workload, b.workload);
  EXPECT_EQ(a.kv, b.kv);
  EXPECT_EQ(a.seed, b.seed);
  EXPECT_EQ(a.initial_size, b.initial_size);
  EXPECT_EQ(a.size_profile, b.size_profile);
  EXPECT_EQ(a.peak_live, b.peak_live);
  EXPECT_EQ(a.key_seeds, b.key_seeds);
  EXPECT_EQ(a.live_after_phase, b.live_after_phase);
  ASSERT_EQ(a.threads.size(), b.threads.size());
  for (std::size_t t = 0; t < a.threads.size(); ++t) {
    const ThreadStream& x = a.threads[t];
    const ThreadStream& y = b.threads[t];
    ASSERT_EQ(x.ops.size(), y.ops.size());
    for (std::size_t i = 0; i < x.ops.size(); ++i) {
      ASSERT_EQ(x.ops[i].key_seed, y.ops[i].key_seed) << "thread " << t << " op " << i;
      ASSERT_EQ(x.ops[i].key_index, y.ops[i].key_index) << "thread " << t << " op " << i;
      ASSERT_EQ(x.ops[i].type, y.ops[i].type) << "thread " << t << " op " << i;
    }
    for (int i = 0; i < kOpTypeCount; ++i) EXPECT_EQ(x.expected[i], y.expected[i]);
    ASSERT_EQ(x.phases.size(), y.phases.size());
    for (std::size_t p = 0; p < x.phases.size(); ++p) expect_same_phase(x.phases[p], y.phases[p]);
  }
}

// Generates through the cache, counting how often it really generates.
struct Source {
  explicit Source(WorkloadSpec s) : spec(std::move(s)) {}
  WorkloadSpec spec;
  std::string size = "quick";
  std::string kv = "u64";
  std::optional<std::size_t> live;
  std::atomic<int> generated{0};

  StreamIdentity identity() const { return stream_identity(spec, size, kv, live); }
  OperationStream generate() {
    ++generated;
    return generate_stream(spec, size, kv, live);
  }
  OperationStream get(StreamCache& cache) {
    return cache.get(identity(), [this] { return generate(); });
  }
};

TEST_F(StreamCacheTest, ReadStreamIsTheGeneratedStream) {
  for (const char* name : {"zipf_churn", "concurrent_churn", "drain.fill85"}) {
    SCOPED_TRACE(name);
    Source src(preset(name));
    src.live = 3000;
    StreamCache cache(dir_);
    const OperationStream first = src.get(cache);
    EXPECT_EQ(cache.last().outcome, StreamCache::Outcome::kGenerated);
    EXPECT_TRUE(fs::exists(cache.last().file));
    const OperationStream second = src.get(cache);
    EXPECT_EQ(cache.last().outcome, StreamCache::Outcome::kRead);
    EXPECT_TRUE(cache.last().replaced.empty());
    EXPECT_EQ(src.generated, 1);
    ASSERT_TRUE(second.threads[0].ops.is_view()) << "a cached stream is read from the mapped file";
    const OperationStream generated = generate_stream(src.spec, src.size, src.kv, src.live);
    expect_same_stream(generated, first);
    expect_same_stream(generated, second);
  }
}

// The same outcome counts and find_hit checksum through the harness, in a
// memory pass (which faults the mapped records in before its baseline) and
// a timed pass.
TEST_F(StreamCacheTest, CachedStreamGivesTheSameResults) {
  using Driver = bench::ContainerCellDriver<harness_test::PlainMap<std::uint64_t, std::uint64_t>, KvU64>;
  Source src(preset("zipf_churn"));
  StreamCache cache(dir_);
  src.get(cache);  // the file exists from here on
  Driver generated, cached;
  bench::CellOptions options;
  options.memory_sample_every = 4096;
  const bench::CellSetup a = generated.prepare(
      options, [&](std::optional<std::size_t> live) { return generate_stream(src.spec, src.size, src.kv, live); });
  const bench::CellSetup b = cached.prepare(options, [&](std::optional<std::size_t> live) {
    src.live = live;
    return src.get(cache);
  });
  ASSERT_TRUE(cached.stream().threads[0].ops.is_view());
  EXPECT_FALSE(generated.stream().threads[0].ops.is_view());
  EXPECT_EQ(a.expected_checksum, b.expected_checksum);
  EXPECT_EQ(a.expected, b.expected);
  for (bool memory : {true, false}) {
    const bench::RepetitionResult x = memory ? generated.run_memory_pass() : generated.run_timed_pass();
    const bench::RepetitionResult y = memory ? cached.run_memory_pass() : cached.run_timed_pass();
    EXPECT_TRUE(bench::check_repetition(b, y, "cached").ok) << bench::check_repetition(b, y, "cached").message;
    EXPECT_EQ(x.observed, y.observed);
    EXPECT_EQ(x.checksum, y.checksum);
    EXPECT_EQ(x.total_ops, y.total_ops);
  }
  EXPECT_EQ(generated.memory().phase_end.size(), cached.memory().phase_end.size());
}

// Damages the file the way `damage` says; the next get() must notice, say
// why (`reason`), generate again and give the right stream.
void expect_regenerated(const fs::path& dir, const std::function<void(const fs::path&)>& damage, const char* reason) {
  SCOPED_TRACE(reason);
  fs::remove_all(dir);  // generated afresh for each kind of damage
  Source src(preset("steady_churn.fill55"));
  src.live = 2000;
  StreamCache cache(dir);
  src.get(cache);
  damage(cache.last().file);
  EXPECT_THROW(read_stream_file(cache.last().file, src.identity().text), StreamFileError);
  const OperationStream s = src.get(cache);
  EXPECT_EQ(cache.last().outcome, StreamCache::Outcome::kGenerated);
  EXPECT_NE(cache.last().replaced.find(reason), std::string::npos) << cache.last().replaced;
  EXPECT_EQ(src.generated, 2);
  expect_same_stream(generate_stream(src.spec, src.size, src.kv, src.live), s);
  src.get(cache);  // and the file written in its place is good
  EXPECT_EQ(cache.last().outcome, StreamCache::Outcome::kRead);
}

void flip_byte(const fs::path& file, std::uintmax_t offset) {
  std::fstream f(file, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(static_cast<std::streamoff>(offset));
  char c = 0;
  f.get(c);
  f.seekp(static_cast<std::streamoff>(offset));
  f.put(static_cast<char>(c ^ 0x10));
}

TEST_F(StreamCacheTest, TruncatedFileIsGeneratedAgain) {
  expect_regenerated(
      dir_, [](const fs::path& f) { fs::resize_file(f, fs::file_size(f) / 2); }, "truncated");
  expect_regenerated(
      dir_, [](const fs::path& f) { fs::resize_file(f, 10); }, "truncated");
}

TEST_F(StreamCacheTest, DamagedFileIsGeneratedAgain) {
  // a byte in the first thread's ops, right after the header
  expect_regenerated(
      dir_, [](const fs::path& f) { flip_byte(f, kStreamHeaderBytes + 3); }, "damaged");
  // a byte of the metadata at the end
  expect_regenerated(
      dir_, [](const fs::path& f) { flip_byte(f, fs::file_size(f) - 5); }, "damaged");
  expect_regenerated(
      dir_, [](const fs::path& f) { flip_byte(f, 0); }, "magic");
}

TEST_F(StreamCacheTest, FileOfAnotherStreamIsNeverRead) {
  Source a(preset("zipf_churn")), b(preset("zipf_churn"));
  b.spec.seed += 1;
  StreamCache cache(dir_);
  a.get(cache);
  // b's stream put where a's file is: the identity in the file tells them apart
  EXPECT_THROW(
      {
        try {
          read_stream_file(cache.file_for(a.identity()), b.identity().text);
        } catch (const StreamFileError& e) {
          EXPECT_NE(std::string(e.what()).find("another stream"), std::string::npos) << e.what();
          throw;
        }
      },
      StreamFileError);
}

TEST_F(StreamCacheTest, DifferentStreamsGetDifferentFiles) {
  StreamCache cache(dir_);
  Source base(preset("zipf_churn"));
  std::vector<StreamIdentity> ids = {base.identity()};
  auto with = [&](auto change) {
    Source s(base.spec);
    change(s);
    ids.push_back(s.identity());
  };
  with([](Source& s) { s.spec.seed += 1; });
  with([](Source& s) { s.kv = "string"; });
  with([](Source& s) { s.size = "full"; });
  with([](Source& s) { s.live = 1000; });
  with([](Source& s) { s.live = 1001; });
  with([](Source& s) { s.spec = preset("steady_churn.fill55"); });
  with([](Source& s) { s.spec = preset("steady_churn.fill85"); });  // same file, another workload
  for (std::size_t i = 0; i < ids.size(); ++i)
    for (std::size_t j = i + 1; j < ids.size(); ++j) {
      EXPECT_NE(ids[i].text, ids[j].text) << i << " vs " << j;
      EXPECT_NE(cache.file_for(ids[i]), cache.file_for(ids[j])) << i << " vs " << j;
    }
  // and the spec file's content, not its name, is what counts
  const fs::path copy = dir_ / "zipf_churn.json";
  fs::copy_file(base.spec.source, copy);
  WorkloadSpec edited = load_workload_spec(copy);
  EXPECT_EQ(stream_identity(edited, "quick", "u64", std::nullopt).text, base.identity().text);
  std::string text;
  {
    std::ifstream in(copy);
    text.assign(std::istreambuf_iterator<char>(in), {});
  }
  const std::string before = stream_identity(edited, "quick", "u64", std::nullopt).text;
  text.replace(text.find("\"turnovers\": 2"), 14, "\"turnovers\": 3");
  std::ofstream(copy) << text;
  EXPECT_NE(stream_identity(load_workload_spec(copy), "quick", "u64", std::nullopt).text, before);
}

TEST_F(StreamCacheTest, CellsStartingAtOnceGenerateOnce) {
  Source src(preset("zipf_churn"));
  std::vector<OperationStream> got(4);
  std::vector<std::thread> cells;
  for (std::size_t i = 0; i < got.size(); ++i)
    cells.emplace_back([&, i] {
      StreamCache cache(dir_);  // each its own, as each cell process has
      got[i] = src.get(cache);
    });
  for (auto& t : cells) t.join();
  EXPECT_EQ(src.generated, 1);
  for (const OperationStream& s : got) expect_same_stream(got[0], s);
  for (const auto& entry : fs::directory_iterator(dir_))
    EXPECT_EQ(entry.path().string().find(".partial"), std::string::npos) << entry.path();
}

TEST_F(StreamCacheTest, UnwritableFolderIsReported) {
  fs::create_directories(dir_);
  const fs::path file = dir_ / "plain_file";
  std::ofstream(file) << "x";
  EXPECT_THROW(StreamCache{file / "sub"}, std::runtime_error);
}

}  // namespace
}  // namespace dstudy
