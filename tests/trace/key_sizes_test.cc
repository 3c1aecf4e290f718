// Recorded key sizes: a trace that records them (twitter's key_size column,
// a csv key's length) keeps each key's size in its .dstrace, and the string
// kind builds its keys at those sizes: distinct, deterministic, made from the
// key seed. A trace without them (oracleGeneral) keeps the kind's own keys.
// Version 2 files (before the key-size table) still load; others are refused
// with a message that says what to do.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <fstream>
#include <iterator>
#include <set>
#include <string>
#include <vector>

#include "bench/pass/stream_keys.h"
#include "bench/trace/key_size_summary.h"
#include "bench/trace/trace_file.h"
#include "bench/trace/trace_format.h"
#include "bench/workload/stream_generator.h"
#include "impls/core/value_types.h"
#include "tests/harness/test_containers.h"
#include "tests/trace/trace_fixture.h"

namespace dstudy::trace {
namespace {

TEST(SizedString, HasTheSizeAskedForAndIsUniquePerSeed) {
  std::set<std::string> seen;
  for (std::uint64_t i = 0; i < 100000; ++i) {
    const std::uint64_t seed = workload_detail::key_seed_of(i, KeyEncoding::kHashed);
    const std::size_t bytes = 1 + i % 300;
    const std::string k = KvString::make_key(seed, bytes);
    ASSERT_EQ(k.size(), std::max(bytes, detail::kSizedStringMin)) << "key " << i;
    ASSERT_EQ(k, KvString::make_key(seed, bytes));  // deterministic
    // The leading kSizedStringMin bytes alone tell seeds apart.
    ASSERT_TRUE(seen.insert(k.substr(0, detail::kSizedStringMin)).second) << "key " << i << ": " << k;
  }
  // Neighbouring seeds (the low digit) and seeds apart only in the top bits.
  EXPECT_NE(KvString::make_key(1, 11), KvString::make_key(2, 11));
  EXPECT_NE(KvString::make_key(1, 11), KvString::make_key(1 | (1ull << 63), 11));
}

TEST_F(TraceTest, TwitterKeySizesBuildStringKeysOfThoseSizes) {
  // timestamp,key,key_size,value_size,client_id,operation,TTL
  const auto s = load_trace_stream(convert(Format::kTwitter,
                                           "0,alpha,40,100,1,set,0\n"
                                           "1,beta,200,100,1,set,0\n"
                                           "2,gamma,5,100,1,get,0\n"   // shorter than any unique key
                                           "3,alpha,99,100,1,get,0\n"  // a key keeps its first size
                                           "4,delta,11,100,1,delete,0\n"
                                           "5,beta,200,100,1,get,0\n"),
                                   "t", "string");
  ASSERT_EQ(s.key_sizes, (std::vector<std::uint32_t>{40, 200, 5, 11}));
  bench::StreamKeys<KvString> keys;
  keys.materialise(s);
  std::set<std::string> distinct;
  for (std::size_t i = 0; i < s.key_seeds.size(); ++i) {
    const std::string& k = keys.string_key(i);
    EXPECT_EQ(k.size(), std::max<std::size_t>(s.key_sizes[i], detail::kSizedStringMin)) << "key " << i;
    EXPECT_EQ(k, KvString::make_key(s.key_seeds[i], s.key_sizes[i]));
    distinct.insert(k);
  }
  EXPECT_EQ(distinct.size(), 4u);
  const auto summary = summarise_key_sizes(s.key_sizes);
  ASSERT_TRUE(summary);
  EXPECT_EQ(summary->min, 5u);
  EXPECT_EQ(summary->max, 200u);
  EXPECT_DOUBLE_EQ(summary->mean, 64.0);
  EXPECT_EQ(summary->lengthened, 1u);
  // Replayed at those sizes, every outcome still checks.
  const auto ok = replay_and_check<harness_test::PlainMap<std::string, std::string>, KvString>(s);
  EXPECT_TRUE(ok.ok) << ok.message;
}

TEST_F(TraceTest, CsvKeySizesAreTheKeysLengths) {
  const auto s =
      load_trace_stream(convert(Format::kCsv, "set,short\nset,a_rather_longer_key_of_35_bytes_xyz\n"), "t", "string");
  EXPECT_EQ(s.key_sizes, (std::vector<std::uint32_t>{5, 35}));
}

TEST_F(TraceTest, OracleGeneralHasNoKeySizesSoStringKeysAreTheKinds) {
  std::string in(24, '\0');
  in[4] = 7;  // obj_id 7, timestamp 0, size 0
  convert_trace(Format::kOracleGeneral, write("in.oracleGeneral", in), dir_ / "o.dstrace");
  const auto s = load_trace_stream(dir_ / "o.dstrace", "t", "string");
  EXPECT_TRUE(s.key_sizes.empty());
  bench::StreamKeys<KvString> keys;
  keys.materialise(s);
  EXPECT_EQ(keys.string_key(0), KvString::make_key(s.key_seeds[0]));
}

class TraceVersions : public TraceTest {
 protected:
  // A converted trace with its header's version (and flags) replaced.
  std::string with_version(std::uint32_t version, std::uint32_t flags) {
    std::ifstream in(convert(Format::kCsv, "set,a,1,0\nget,a,1,1\n"), std::ios::binary);
    std::string b((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::memcpy(&b[offsetof(TraceHeader, version)], &version, 4);
    std::memcpy(&b[offsetof(TraceHeader, flags)], &flags, 4);
    return b;
  }
};

TEST_F(TraceVersions, AVersion2FileLoadsWithoutKeySizes) {
  const auto s = load_trace_stream(write("v2.dstrace", with_version(2, kHasTimestamps)), "t", "string");
  EXPECT_EQ(s.total_ops(), 2u);
  EXPECT_TRUE(s.key_sizes.empty());
  EXPECT_EQ(s.threads[0].recorded_ns.size, 2u);
}

TEST_F(TraceVersions, OtherVersionsAreRefusedSayingWhatToDo) {
  for (std::uint32_t v : {1u, kVersion + 1}) {
    const auto p = write("v.dstrace", with_version(v, kHasTimestamps | kHasKeySizes));
    const std::string m = error_of([&] { load_trace_stream(p, "t", "u64"); });
    EXPECT_NE(m.find("v.dstrace: trace format version " + std::to_string(v) + ", this build reads versions 2 to " +
                     std::to_string(kVersion) + ": convert the original trace again"),
              std::string::npos)
        << m;
  }
}

}  // namespace
}  // namespace dstudy::trace
