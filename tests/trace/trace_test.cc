// The trace converters and loader: each format's ops and outcomes on small
// hand-written traces whose outcomes are known, TTL expiry ordering, every
// bad-trace error (naming the file and the line, record or byte offset), and
// the harness checking a container's answers on a replayed trace exactly.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_runner.h"
#include "bench/trace/trace_convert.h"
#include "bench/trace/trace_error.h"
#include "bench/trace/trace_file.h"
#include "bench/trace/trace_format.h"
#include "impls/core/value_types.h"
#include "tests/harness/test_containers.h"
#include "tests/trace/trace_fixture.h"

namespace dstudy::trace {
namespace {

namespace fs = std::filesystem;
using T = OpType;

std::vector<T> types(const OperationStream& s) {
  std::vector<T> v;
  for (const Operation& op : s.threads[0].ops) v.push_back(op.type);
  return v;
}

std::string oracle_record(std::uint32_t ts, std::uint64_t id, std::uint32_t size) {
  std::string r(24, '\0');
  const std::int64_t next = -1;
  std::memcpy(&r[0], &ts, 4);
  std::memcpy(&r[4], &id, 8);
  std::memcpy(&r[12], &size, 4);
  std::memcpy(&r[16], &next, 8);
  return r;
}

TEST_F(TraceTest, CsvOutcomesAreExact) {
  const auto s = load_trace_stream(convert(Format::kCsv,
                                           "op,key,value_size,timestamp\n"
                                           "insert,a,10,100\n"
                                           "insert,a,10,101\n"
                                           "find,a,,102\n"
                                           "find,b,,103\n"
                                           "erase,b,,104\n"
                                           "erase,a,,105\n"
                                           "find,a,,106\n"
                                           "set,a,5,107\n"
                                           "get,a,,108\n"
                                           "delete,a,,109\n"),
                                   "t", "u64");
  EXPECT_EQ(types(s), (std::vector<T>{T::kInsert, T::kUpdate, T::kFindHit, T::kFindMiss, T::kEraseMiss, T::kErase,
                                      T::kFindMiss, T::kInsert, T::kFindHit, T::kErase}));
  const ThreadStream& t = s.threads[0];
  EXPECT_EQ(s.key_seeds.size(), 2u);
  EXPECT_EQ(t.ops[0].key_index, 0u);
  EXPECT_EQ(t.ops[3].key_index, 1u);
  EXPECT_EQ(t.ops[0].key_seed, s.key_seeds[0]);
  EXPECT_LE(s.key_seeds[1], kMaxU64Key);
  EXPECT_EQ(s.peak_live, 1u);
  EXPECT_EQ(t.expected[static_cast<int>(T::kUpdate)], 1u);
  EXPECT_EQ(t.expected[static_cast<int>(T::kEraseMiss)], 1u);
  ASSERT_EQ(t.recorded_ns.size, 10u);
  EXPECT_EQ(t.recorded_ns.ns[0], 0u);  // ns since the first record
  EXPECT_EQ(t.recorded_ns.ns[9], 9'000'000'000u);
  ASSERT_EQ(t.phases.size(), 1u);
  EXPECT_EQ(t.phases[0].role, "steady");
  EXPECT_TRUE(t.phases[0].headline);
  EXPECT_TRUE(t.ops.is_view());
}

TEST_F(TraceTest, CsvWithoutTimestampsAndTimeUnits) {
  auto s = load_trace_stream(convert(Format::kCsv, "set,x\nget,x\n"), "t", "u64");
  EXPECT_EQ(types(s), (std::vector<T>{T::kInsert, T::kFindHit}));
  EXPECT_EQ(s.threads[0].recorded_ns.size, 0u);
  s = load_trace_stream(convert(Format::kCsv, "set,x,1,1000\nget,x,1,1500\n", {.time_unit_ns = 1000}), "t", "u64");
  EXPECT_EQ(s.threads[0].recorded_ns.ns[1], 500'000u);
}

TEST_F(TraceTest, TwitterTtlExpiryBecomesErasesInOrder) {
  // timestamp,key,key_size,value_size,client_id,operation,TTL
  const auto s = load_trace_stream(convert(Format::kTwitter,
                                           "0,k1,2,100,1,set,10\n"     // insert, expires at 10
                                           "5,k1,2,100,1,get,0\n"      // hit
                                           "5,k2,2,100,1,add,3\n"      // insert, expires at 8
                                           "9,k2,2,100,1,get,0\n"      // (erase k2 at 8) miss
                                           "10,k1,2,100,1,gets,0\n"    // (erase k1 at 10) miss
                                           "11,k1,2,100,1,set,0\n"     // insert, no TTL
                                           "12,k1,2,100,1,incr,0\n"    // read-modify-write: hit
                                           "13,k3,2,100,1,delete,0\n"  // absent: erase_miss
                                           "900,k1,2,100,1,cas,0\n"),  // update
                                   "t", "u64");
  EXPECT_EQ(types(s), (std::vector<T>{T::kInsert, T::kFindHit, T::kInsert, T::kErase, T::kFindMiss, T::kErase,
                                      T::kFindMiss, T::kInsert, T::kFindHit, T::kEraseMiss, T::kUpdate}));
  const auto& ns = s.threads[0].recorded_ns;
  EXPECT_EQ(ns.ns[3], 8'000'000'000u);  // the expiry erase is stamped with its expiry time
  EXPECT_EQ(s.threads[0].ops[3].key_index, 1u);
  EXPECT_EQ(ns.ns[5], 10'000'000'000u);
  EXPECT_EQ(s.threads[0].ops[5].key_index, 0u);
}

TEST_F(TraceTest, TwitterLongerAndShorterTtl) {
  const auto s = load_trace_stream(convert(Format::kTwitter,
                                           "0,a,1,1,1,set,10\n"    // a expires at 10
                                           "5,a,1,1,1,set,10\n"    // ... now at 15
                                           "12,a,1,1,1,get,0\n"    // still there
                                           "20,b,1,1,1,set,100\n"  // (erase a at 15) b expires at 120
                                           "21,b,1,1,1,set,5\n"    // ... now at 26
                                           "30,b,1,1,1,get,0\n"),  // (erase b at 26) miss
                                   "t", "u64");
  EXPECT_EQ(types(s), (std::vector<T>{T::kInsert, T::kUpdate, T::kFindHit, T::kErase, T::kInsert, T::kUpdate, T::kErase,
                                      T::kFindMiss}));
  EXPECT_EQ(s.threads[0].recorded_ns.ns[3], 15'000'000'000u);
  EXPECT_EQ(s.threads[0].recorded_ns.ns[6], 26'000'000'000u);
}

TEST_F(TraceTest, OracleGeneralGetsInsertOnAMiss) {
  const fs::path in = write("in.oracleGeneral", oracle_record(0, 7, 100) + oracle_record(1, 9, 50) +
                                                    oracle_record(2, 7, 100) + oracle_record(2, 9, 50));
  convert_trace(Format::kOracleGeneral, in, dir_ / "o.dstrace");
  const auto s = load_trace_stream(dir_ / "o.dstrace", "t", "u64");
  EXPECT_EQ(types(s), (std::vector<T>{T::kFindMiss, T::kInsert, T::kFindMiss, T::kInsert, T::kFindHit, T::kFindHit}));
  EXPECT_EQ(s.key_seeds.size(), 2u);
  EXPECT_EQ(s.threads[0].recorded_ns.ns[5], 2'000'000'000u);
}

// ---- bad traces -------------------------------------------------------------

TEST_F(TraceTest, UnknownOpNamesFileAndLine) {
  const std::string m = error_of([&] { convert(Format::kCsv, "set,a\nget,a\nfrob,a\n"); });
  EXPECT_NE(m.find((dir_ / "in").string() + ": line 3: unknown op 'frob'"), std::string::npos) << m;
  const std::string t = error_of([&] { convert(Format::kTwitter, "0,a,1,1,1,set,0\n1,a,1,1,1,touch,0\n"); });
  EXPECT_NE(t.find("line 2: unknown op 'touch'"), std::string::npos) << t;
  const std::string f = error_of([&] { convert(Format::kTwitter, "0,a,1,1,1,set\n"); });
  EXPECT_NE(f.find("line 1: expected 7 fields"), std::string::npos) << f;
  const std::string n = error_of([&] { convert(Format::kCsv, "set,a,big\n"); });
  EXPECT_NE(n.find("line 1: value_size: expected a non-negative integer, got 'big'"), std::string::npos) << n;
}

TEST_F(TraceTest, TwitterNonMonotonicTimestampNamesTheLine) {
  const std::string m =
      error_of([&] { convert(Format::kTwitter, "5,a,1,1,1,set,10\n7,a,1,1,1,get,0\n6,b,1,1,1,get,0\n"); });
  EXPECT_NE(m.find("line 3: non-monotonic timestamp: 6 after 7"), std::string::npos) << m;
}

TEST_F(TraceTest, TruncatedOracleRecordNamesTheByteOffset) {
  const fs::path in = write("in.bin", oracle_record(0, 1, 1) + oracle_record(0, 2, 1) + std::string(10, 'x'));
  const std::string m = error_of([&] { convert_trace(Format::kOracleGeneral, in, dir_ / "o.dstrace"); });
  EXPECT_NE(m.find("truncated record 2 at byte offset 48: 10 of 24 bytes"), std::string::npos) << m;
}

TEST_F(TraceTest, AFailedConversionLeavesTheOutputAsItWas) {
  const fs::path out = write("kept.dstrace", "an earlier result");
  EXPECT_FALSE(error_of([&] { convert_trace(Format::kCsv, write("bad", "set,a\nfrob,b\n"), out); }).empty());
  std::ifstream in(out);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "an earlier result");
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  EXPECT_FALSE(fs::exists(out.string() + ".partial.sizes"));
}

class DamagedTrace : public TraceTest {
 protected:
  void SetUp() override {
    TraceTest::SetUp();
    file_ = convert(Format::kCsv, "set,a,1,0\nset,b,1,1\nget,a,1,2\nget,c,1,3\n");
    std::ifstream in(file_, std::ios::binary);
    bytes_.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  std::string load_error(const std::string& bytes, LoadOptions o = {}) {
    const fs::path p = write("damaged.dstrace", bytes);
    return error_of([&] { load_trace_stream(p, "t", "u64", o); });
  }
  fs::path file_;
  std::string bytes_;
};

TEST_F(DamagedTrace, TheUndamagedFileLoads) { EXPECT_EQ(load_error(bytes_), ""); }

TEST_F(DamagedTrace, TruncatedFileNamesTheByteOffset) {
  const std::string m = load_error(bytes_.substr(0, kHeaderBytes + 16 * 2 + 5));
  EXPECT_NE(m.find("damaged.dstrace: truncated records: item 2 at byte offset 288 is incomplete"), std::string::npos)
      << m;
  const std::string h = load_error(bytes_.substr(0, 100));
  EXPECT_NE(h.find("truncated header at byte offset 100"), std::string::npos) << h;
  EXPECT_NE(load_error("not a trace at all, but long enough" + std::string(300, ' ')).find("not a study trace"),
            std::string::npos);
}

TEST_F(DamagedTrace, UnknownOpTypeNamesTheRecord) {
  std::string b = bytes_;
  b[kHeaderBytes + 16 * 3 + 12] = 9;
  const std::string m = load_error(b);
  EXPECT_NE(m.find("record 3 at byte offset 304: unknown op type 9"), std::string::npos) << m;
}

TEST_F(DamagedTrace, InconsistentOutcomeIsCaught) {
  std::string b = bytes_;
  b[kHeaderBytes + 16 * 2 + 12] = static_cast<char>(OpType::kFindMiss);  // a is live there: a find hits
  const std::string m = load_error(b);
  EXPECT_NE(m.find("record 2 at byte offset 288: find_miss of key index 0, which is live there"), std::string::npos)
      << m;
}

TEST_F(TraceTest, PacedReplayNeedsMonotonicTimestamps) {
  const fs::path p = convert(Format::kCsv, "set,a,1,0\nget,a,1,5\nget,a,1,3\n");
  EXPECT_EQ(load_trace_stream(p, "t", "u64").total_ops(), 3u);  // fine as fast as possible
  const std::string m = error_of([&] { load_trace_stream(p, "t", "u64", {.paced = true}); });
  EXPECT_NE(m.find("record 2 at byte offset"), std::string::npos) << m;
  EXPECT_NE(m.find("non-monotonic timestamp: 3000000000 ns after 5000000000 ns"), std::string::npos) << m;
  const fs::path untimed = convert(Format::kCsv, "set,a\n");
  EXPECT_NE(error_of([&] { load_trace_stream(untimed, "t", "u64", {.paced = true}); }).find("has no timestamps"),
            std::string::npos);
}

// ---- the harness on a replayed trace ------------------------------------------

// Overwrites on an insert of a present key and reports it new, as an
// insert_or_assign would: wrong for the study's concept, caught by updates.
template <class K, class V>
class UpsertMap : public harness_test::PlainMap<K, V> {
 public:
  bool insert(const K& k, V&& v) {
    this->map_.insert_or_assign(k, std::move(v));
    return true;
  }
};

TEST_F(TraceTest, HarnessChecksEveryOutcomeOfAReplayedTrace) {
  std::string csv;
  for (int i = 0; i < 3000; ++i) {
    const std::string k = std::to_string((i * 37) % 211);
    csv += (i % 5 == 0 ? "delete," : i % 3 == 0 ? "set," : "get,") + k + ",8," + std::to_string(i) + "\n";
  }
  for (bool in_memory : {false, true}) {
    const auto s = load_trace_stream(convert(Format::kCsv, csv), "t", "u64", {.in_memory = in_memory});
    EXPECT_EQ(s.threads[0].ops.is_view(), !in_memory);
    // A trace holds every op type but the iteration ones (the container picks their key).
    for (int t = 0; t < kOpTypeCount; ++t)
      if (!needs_iteration(static_cast<OpType>(t))) {
        EXPECT_GT(s.threads[0].expected[t], 0u) << kOpTypeNames[t];
      }
    const auto ok = replay_and_check<harness_test::PlainMap<std::uint64_t, std::uint64_t>, KvU64>(s);
    EXPECT_TRUE(ok.ok) << ok.message;
    const auto str = replay_and_check<harness_test::PlainMap<std::string, std::string>, KvString>(s);
    EXPECT_TRUE(str.ok) << str.message;
    const auto bad = replay_and_check<UpsertMap<std::uint64_t, std::uint64_t>, KvU64>(s);
    EXPECT_FALSE(bad.ok);
    EXPECT_NE(bad.message.find("update expected"), std::string::npos) << bad.message;
  }
}

}  // namespace
}  // namespace dstudy::trace
