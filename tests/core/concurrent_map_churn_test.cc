// The concurrent map under churn at a constant live set (impls/concurrent_map.h):
// tombstones fill a shard's table, not live keys, so its cleanups rebuild
// the table at the same size and the footprint stays where the load left it.
// The live set fills about 0.59 of every shard's table, between the old
// rule's 3/8 (which doubled such a table at its first cleanup) and the 11/16
// above which a cleanup would leave too little room and the table grows.
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "impls/concurrent_map.h"

namespace dstudy {
namespace {

using Map = ConcurrentMap<std::uint64_t, std::uint64_t>;

// 1200 keys a shard (+- 35, the spread of a hash's shares): grown at 768
// (3/4 of 1024) to 2048 slots, under its growth point of 1536.
constexpr std::size_t kLive = 1200 * Map::kShards;
// Erase + insert pairs: every slot of every table turns tombstone several times.
constexpr std::size_t kChurnPairs = 8 * kLive;

TEST(ConcurrentMapChurn, FootprintStaysBoundedAtAConstantLiveSet) {
  Map m;
  std::vector<std::uint64_t> live;
  live.reserve(kLive);
  std::uint64_t next = 0;
  for (; next < kLive; ++next) {
    live.push_back(mix64(next));
    ASSERT_TRUE(m.insert(live.back(), std::uint64_t{next}));
  }
  m.quiesce();
  const Footprint loaded = m.footprint();
  ASSERT_TRUE(loaded.capacity && loaded.compactions);
  // The premise: live keys fill between 3/8 and 11/16 of the tables.
  ASSERT_GT(static_cast<double>(kLive), 0.375 * static_cast<double>(*loaded.capacity));
  ASSERT_LT(static_cast<double>(kLive), Map::kMaxLiveAfterCleanup * static_cast<double>(*loaded.capacity));

  std::mt19937_64 rng(7);
  for (std::size_t i = 0; i < kChurnPairs; ++i, ++next) {
    std::uint64_t& victim = live[rng() % live.size()];
    ASSERT_TRUE(m.erase(victim));
    victim = mix64(next);
    ASSERT_TRUE(m.insert(victim, std::uint64_t{next}));
  }
  m.quiesce();
  const Footprint churned = m.footprint();

  EXPECT_EQ(m.size(), kLive);
  // The tombstones were cleaned up (each table several times), in place.
  EXPECT_GE(*churned.compactions - *loaded.compactions, Map::kShards);
  EXPECT_EQ(*churned.capacity, *loaded.capacity);
  EXPECT_LE(static_cast<double>(churned.bytes), 1.1 * static_cast<double>(loaded.bytes));
  for (std::size_t i = 0; i < live.size(); i += 97) {
    EXPECT_TRUE(m.find(live[i], [](std::uint64_t) {}));
  }
}

}  // namespace
}  // namespace dstudy
