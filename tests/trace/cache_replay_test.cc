// The converter as a simulated cache (--cache-size): evictions become erases
// that the loader's outcome checks accept, and CacheLib's kvcache rows
// expand to op_count requests; messages escape the bytes they quote.
#include <gtest/gtest.h>

#include "bench/trace/printable.h"
#include "bench/trace/trace_file.h"
#include "bench/trace/trace_input.h"
#include "tests/trace/trace_fixture.h"

namespace dstudy::trace {
namespace {

using CacheReplayTest = TraceTest;

std::uint64_t count(const OperationStream& s, OpType t) { return s.threads[0].expected[static_cast<int>(t)]; }

TEST_F(CacheReplayTest, LruOfTwoKeysEvictsTheLeastRecentlyUsed) {
  // a b a c: c evicts b (a was used after b); then b misses and evicts a.
  ConvertOptions o;
  o.cache_size = parse_cache_size("2");
  const ConvertStats st =
      convert_trace(Format::kCsv, write("in", "get,a\nset,a\nset,b\nget,a\nset,c\nget,b\n"), dir_ / "o.dstrace", o);
  ASSERT_TRUE(st.cache);
  EXPECT_EQ(st.cache->evictions, 1u);  // c evicted b
  EXPECT_EQ(st.cache->misses, 2u);     // the first get of a, the get of b
  const OperationStream s = load_trace_stream(dir_ / "o.dstrace", "t", "u64");
  EXPECT_EQ(count(s, OpType::kErase), 1u);
  EXPECT_EQ(count(s, OpType::kFindMiss), 2u);
  EXPECT_EQ(s.peak_live, 2u);
}

TEST_F(CacheReplayTest, ACacheThatAdmitsNothingIsRefused) {
  // Found by fuzz_csv (tests/fuzz/corpus/fuzz_csv/crash-too_big_for_cache):
  // every object larger than the cache left a trace of no ops, which the
  // loader refuses; the conversion must fail instead.
  ConvertOptions o;
  o.cache_size = parse_cache_size("64B");
  const std::string m = error_of(
      [&] { convert_trace(Format::kCsv, write("in", "set," + std::string(70, 'k') + "\n"), dir_ / "o.dstrace", o); });
  EXPECT_NE(m.find("the simulated cache of 64 bytes admitted none of the 1 requests"), std::string::npos) << m;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "o.dstrace"));
}

TEST_F(CacheReplayTest, FifoIgnoresHits) {
  ConvertOptions o;
  o.cache_size = parse_cache_size("2");
  o.eviction = Eviction::kFifo;
  // a b a c: FIFO evicts a (first in) although it was just used.
  convert_trace(Format::kCsv, write("in", "set,a\nset,b\nget,a\nset,c\nget,a\nget,b\n"), dir_ / "o.dstrace", o);
  const OperationStream s = load_trace_stream(dir_ / "o.dstrace", "t", "u64");
  EXPECT_EQ(count(s, OpType::kFindMiss), 1u);  // a
  EXPECT_EQ(count(s, OpType::kFindHit), 2u);   // a before c came, b
}

TEST_F(CacheReplayTest, CacheSizesParse) {
  EXPECT_EQ(parse_cache_size("10%")->unit, CacheSize::Unit::kPercent);
  EXPECT_EQ(parse_cache_size("64MiB")->amount, 64.0 * 1024 * 1024);
  EXPECT_EQ(parse_cache_size("1000")->unit, CacheSize::Unit::kKeys);
  for (const char* bad : {"", "0", "-1", "1x", "101%", "0.5", "inf", "1e40"})
    EXPECT_FALSE(parse_cache_size(bad)) << bad;
}

TEST_F(CacheReplayTest, KvcacheRowsExpandToOpCountRequests) {
  const auto out = convert(Format::kKvcache, "op,op_count,key\nSET,1,k\nGET,4,k\nDELETE,1,k\nGET_LEASE,2,k\n");
  const OperationStream s = load_trace_stream(out, "t", "u64");
  EXPECT_EQ(s.total_ops(), 8u);
  EXPECT_EQ(count(s, OpType::kFindHit), 4u);
  EXPECT_EQ(count(s, OpType::kFindMiss), 2u);
}

TEST_F(CacheReplayTest, MessagesEscapeTheBytesTheyQuote) {
  const std::string m = error_of([&] { convert(Format::kCsv, std::string("set,a\n\x1b[2J\xff,b\n")); });
  EXPECT_NE(m.find(": line 2: unknown op '\\x1b[2J\\xff'"), std::string::npos) << m;
  EXPECT_EQ(printable(std::string(100, 'x')).size(), 64 + std::string("... (100 bytes)").size());
  EXPECT_EQ(printable("a\\b"), "a\\\\b");
}

TEST_F(CacheReplayTest, EmptyFilesSaySo) {
  const std::string m = error_of([&] { convert_trace(Format::kTwitter, write("e", ""), dir_ / "o.dstrace"); });
  EXPECT_NE(m.find("/e: empty file"), std::string::npos) << m;
  const std::string d = error_of([&] { load_trace_stream(write("e.dstrace", ""), "t", "u64"); });
  EXPECT_NE(d.find("e.dstrace: empty file"), std::string::npos) << d;
}

TEST_F(CacheReplayTest, CompressionIsToldByMagicBytes) {
  using namespace std::string_view_literals;
  EXPECT_EQ(detect_compression("\x28\xb5\x2f\xfd\x00"sv), Compression::kZstd);
  EXPECT_EQ(detect_compression("\x1f\x8b\x08"sv), Compression::kGzip);
  EXPECT_EQ(detect_compression("\xfd"
                               "7zXZ\x00"sv),
            Compression::kXz);
  EXPECT_EQ(detect_compression("BZh91AY&SY"sv), Compression::kBzip2);
  EXPECT_EQ(detect_compression("BZh9,set,k"sv), Compression::kNone);  // a text line that starts alike
  EXPECT_EQ(detect_compression("set,a"sv), Compression::kNone);
}

}  // namespace
}  // namespace dstudy::trace
