// The tombstone map's pieces that the conformance suite cannot see: the SSE2
// and portable control groups agree bit for bit, the whole conformance suite
// passes on the portable group (the DSTUDY_NO_SIMD path), and each policy
// does what its name says to tombstones, capacity and memory.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "impls/core/control_group.h"
#include "impls/tombstone_map.h"  // DSTUDY_REGISTER is a no-op here
#undef DSTUDY_REGISTER
#include "tests/conformance/conformance_suite.h"

namespace dstudy {
namespace {

using ctrl::ctrl_t;

template <class K, class V>
using PortableNever = TombstoneMap<K, V, TombstoneNever, ctrl::GroupPortable>;
template <class K, class V>
using PortableRehash = TombstoneMap<K, V, TombstoneRehash<>, ctrl::GroupPortable>;
template <class K, class V>
using PortableShrink = TombstoneMap<K, V, TombstoneShrink<>, ctrl::GroupPortable>;
template <class K, class V>
using PortableIncremental = TombstoneMap<K, V, TombstoneIncremental<>, ctrl::GroupPortable>;

// The whole conformance suite again, on the scalar group.
const bool kRegistered = conformance::register_suite<PortableNever>("tombstone_portable_never") &&
                         conformance::register_suite<PortableRehash>("tombstone_portable_rehash") &&
                         conformance::register_suite<PortableShrink>("tombstone_portable_shrink") &&
                         conformance::register_suite<PortableIncremental>("tombstone_portable_incremental");

// Reference answers, byte by byte.
template <class Pred>
std::uint32_t expected_mask(const ctrl_t* bytes, Pred pred) {
  std::uint32_t m = 0;
  for (int i = 0; i < 16; ++i) m |= static_cast<std::uint32_t>(pred(bytes[i])) << i;
  return m;
}

template <class G>
void check_group(const ctrl_t* bytes) {
  const G g(bytes);
  for (int b = -128; b < 128; ++b) {
    const auto v = static_cast<ctrl_t>(b);
    ASSERT_EQ(g.match(v).bits(), expected_mask(bytes, [&](ctrl_t c) { return c == v; })) << "byte " << b;
  }
  ASSERT_EQ(g.match_empty().bits(), expected_mask(bytes, [](ctrl_t c) { return c == ctrl::kEmpty; }));
  ASSERT_EQ(g.match_empty_or_deleted().bits(), expected_mask(bytes, [](ctrl_t c) { return c < 0; }));
  ASSERT_EQ(g.match_full().bits(), expected_mask(bytes, [](ctrl_t c) { return c >= 0; }));
  alignas(16) ctrl_t converted[16];
  g.store_special_as_empty_full_as_deleted(converted);
  for (int i = 0; i < 16; ++i) {
    ASSERT_EQ(converted[i], bytes[i] >= 0 ? ctrl::kDeleted : ctrl::kEmpty) << "byte " << i << " was " << int{bytes[i]};
  }
}

TEST(TombstoneControlGroup, PortableAndSimdMatchEveryByteExactly) {
  std::mt19937_64 rng(42);
  alignas(16) ctrl_t bytes[16];
  for (int round = 0; round < 2000; ++round) {
    for (auto& b : bytes) {
      const auto r = rng() % 4;
      b = r == 0 ? ctrl::kEmpty : r == 1 ? ctrl::kDeleted : static_cast<ctrl_t>(rng() % (round < 1000 ? 128 : 256));
    }
    ASSERT_NO_FATAL_FAILURE(check_group<ctrl::GroupPortable>(bytes));
#ifdef DSTUDY_GROUP_SSE2
    ASSERT_NO_FATAL_FAILURE(check_group<ctrl::GroupSse2>(bytes));
#endif
  }
}

// Inserts keys 0..live-1 (value = key); `keys` becomes that live set.
template <class Map>
void fill_keys(Map& m, std::uint64_t live, std::vector<std::uint64_t>& keys) {
  keys.resize(live);
  for (std::uint64_t k = 0; k < live; ++k) {
    keys[k] = k;
    ASSERT_TRUE(m.insert(k, std::uint64_t{k}));
  }
}

// `ops` times: erases a random live key and inserts a fresh one in its
// place (value = key); `keys` (not empty) stays the live set.
template <class Map>
void churn(Map& m, std::vector<std::uint64_t>& keys, std::uint64_t ops, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uint64_t next = *std::max_element(keys.begin(), keys.end()) + 1;
  for (std::uint64_t i = 0; i < ops; ++i) {
    const std::size_t j = rng() % keys.size();
    ASSERT_TRUE(m.erase(keys[j]));
    keys[j] = next++;
    ASSERT_TRUE(m.insert(keys[j], std::uint64_t{keys[j]}));
  }
}

// Fill near the growth point, then churn: returns the map for inspection.
template <class Map>
void churn_near_full(Map& m, std::uint64_t live, std::uint64_t ops) {
  std::vector<std::uint64_t> keys;
  ASSERT_NO_FATAL_FAILURE(fill_keys(m, live, keys));
  ASSERT_NO_FATAL_FAILURE(churn(m, keys, ops, 7));
  for (const auto k : keys) ASSERT_TRUE(m.find(k, [&](const std::uint64_t& v) { ASSERT_EQ(v, k); }));
}

TEST(TombstonePolicies, NeverKeepsCapacityAndRehashesInPlaceUnderChurn) {
  TombstoneMapNever<std::uint64_t, std::uint64_t> m;
  const std::uint64_t live = 4096 * 7 / 8 * 85 / 100;  // 85% of the growth point of 4096 slots
  churn_near_full(m, live, 200000);
  const Footprint f = m.footprint();
  EXPECT_EQ(*f.capacity, 4096u) << "churn at constant size must not grow the table";
  EXPECT_GT(*f.compactions, 1u) << "growth_left ran out: in-place cleanups expected";
}

TEST(TombstonePolicies, RehashCapsTombstones) {
  TombstoneMapRehash<std::uint64_t, std::uint64_t> m;
  churn_near_full(m, 4096 * 7 / 8 * 85 / 100, 200000);
  const Footprint f = m.footprint();
  EXPECT_EQ(*f.capacity, 4096u);
  EXPECT_LE(*f.tombstones, 4096u / 8);
}

TEST(TombstonePolicies, ShrinkReturnsMemoryOnDrainAndIncrementalFollows) {
  TombstoneMapShrink<std::uint64_t, std::uint64_t> s;
  TombstoneMapIncremental<std::uint64_t, std::uint64_t> inc;
  for (std::uint64_t k = 0; k < 100000; ++k) {
    s.insert(k, std::uint64_t{k});
    inc.insert(k, std::uint64_t{k});
  }
  const std::size_t peak = s.footprint().bytes;
  for (std::uint64_t k = 0; k < 99000; ++k) {
    ASSERT_TRUE(s.erase(k));
    ASSERT_TRUE(inc.erase(k));
  }
  EXPECT_LE(s.footprint().bytes, peak / 16);
  for (int i = 0; i < 10000; ++i) inc.find(1, ValueProbe<std::uint64_t>{});
  for (std::uint64_t k = 99000; k < 100000; ++k) ASSERT_TRUE(inc.erase(k));
  EXPECT_LE(inc.footprint().bytes, peak / 16);
}

TEST(TombstonePolicies, IncrementalMigratesAcrossOperationsAndKeepsEveryKey) {
  // While a migration runs the map holds two tables (capacity is not a power
  // of two); every key must stay visible, and the migration must end before
  // the new table fills: within its room (its growth budget less the keys
  // moved into it), each operation here inserting one more key.
  using Map = TombstoneMapIncremental<std::uint64_t, std::uint64_t>;
  Map m;
  std::size_t ops_in_migration = 0;
  std::size_t longest = 0;
  std::mt19937_64 rng(3);
  for (std::uint64_t k = 0; k < 200000; ++k) {
    ASSERT_TRUE(m.insert(k, std::uint64_t{k}));
    const std::size_t cap = *m.footprint().capacity;
    if ((cap & (cap - 1)) != 0) {
      longest = std::max(longest, ++ops_in_migration);
      const std::uint64_t probe = rng() % (k + 1);
      ASSERT_TRUE(m.find(probe, [&](const std::uint64_t& v) { ASSERT_EQ(v, probe); }));
    } else {
      ops_in_migration = 0;
    }
  }
  EXPECT_GT(longest, 0u) << "growth never migrated incrementally";
  constexpr std::size_t kKeysMoved = 131072u / 8 * 7;  // the growth point of the 128k-slot table
  constexpr std::size_t kRoom = 262144u / 8 * 7 - kKeysMoved;
  EXPECT_LE(longest, kRoom);
  EXPECT_GE(longest, kKeysMoved / Map::kMaxKeysPerStep) << "a step moved more than its bound";
  for (std::uint64_t k = 0; k < 200000; ++k) ASSERT_TRUE(m.find(k, ValueProbe<std::uint64_t>{}));
  EXPECT_EQ(m.size(), 200000u);
}

// The pre-fault piece follows the measured cost of a page: what fits in the
// budget at the last call's rate, at most twice the last piece, whole pages,
// within [min, max].
TEST(TombstonePolicies, PrefaultPieceFitsTheBudgetAtTheMeasuredRate) {
  using Map = TombstoneMapIncremental<std::uint64_t, std::uint64_t>;
  constexpr std::size_t kPage = 4096, kKiB = 1024;
  static_assert(Map::kPopulateBudgetNs == 50'000);
  EXPECT_EQ(Map::next_populate_bytes(32 * kKiB, 10'000, kPage), 64 * kKiB) << "fast: doubles, no more";
  EXPECT_EQ(Map::next_populate_bytes(64 * kKiB, 20'000, kPage), 128 * kKiB) << "fast: up to the maximum";
  EXPECT_EQ(Map::next_populate_bytes(128 * kKiB, 10'000, kPage), Map::kPopulateMaxBytes);
  EXPECT_EQ(Map::next_populate_bytes(128 * kKiB, 42'000, kPage), 128 * kKiB) << "a warm VM: 1.3 us a page";
  EXPECT_EQ(Map::next_populate_bytes(32 * kKiB, 130'000, kPage), 12 * kKiB) << "a fresh guest: 16 us a page";
  EXPECT_EQ(Map::next_populate_bytes(8 * kKiB, 1'000'000, kPage), Map::kPopulateMinBytes) << "never below the minimum";
  EXPECT_EQ(Map::next_populate_bytes(32 * kKiB, 0, kPage), 64 * kKiB) << "a clock that did not move";
  EXPECT_EQ(Map::next_populate_bytes(32 * kKiB, 100'000, 16 * kKiB) % (16 * kKiB), 0u) << "whole pages";
  EXPECT_EQ(Map::next_populate_bytes(64 * kKiB, 1'000'000, 64 * kKiB), 64 * kKiB) << "at least one page";
}

// compact() after a 90% random drain: every policy lands on the fewest whole
// groups that hold the live keys at the maximum load (not a power of two),
// within 1.3x the payload plus one group; the compacted table then grows and
// churns like any other, and compacting an empty map frees it.
template <template <class, class> class Map>
void compact_after_drain() {
  Map<std::uint64_t, std::uint64_t> m;
  constexpr std::uint64_t kKeys = 100000;
  for (std::uint64_t k = 0; k < kKeys; ++k) ASSERT_TRUE(m.insert(k, std::uint64_t{k}));
  std::vector<std::uint64_t> keys(kKeys);
  for (std::uint64_t k = 0; k < kKeys; ++k) keys[k] = k;
  std::shuffle(keys.begin(), keys.end(), std::mt19937_64(11));
  for (std::uint64_t i = 0; i < kKeys * 9 / 10; ++i) ASSERT_TRUE(m.erase(keys[i]));
  keys.erase(keys.begin(), keys.begin() + kKeys * 9 / 10);
  m.compact();
  const Footprint f = m.footprint();
  const std::size_t live = keys.size();
  EXPECT_EQ(*f.tombstones, 0u);
  EXPECT_EQ(*f.capacity % 16, 0u);
  EXPECT_LE(*f.capacity, live * 8 / 7 + 16) << "more than one group beyond the fit";
  EXPECT_GE(*f.capacity * 7 / 8, live);
  EXPECT_LE(f.bytes, live * 16 * 13 / 10 + 16 * 17 + 16) << "1.3x the payload plus one group";
  for (const auto k : keys) ASSERT_TRUE(m.find(k, [&](const std::uint64_t& v) { ASSERT_EQ(v, k); }));
  // Churn and growth on the compacted table, whose group count is not a power of two.
  std::mt19937_64 rng(5);
  std::uint64_t next = kKeys;
  for (int i = 0; i < 100000; ++i) {
    if (rng() % 3 != 0) {
      ASSERT_TRUE(m.insert(next, std::uint64_t{next}));
      keys.push_back(next++);
    } else {
      const std::size_t j = rng() % keys.size();
      ASSERT_TRUE(m.erase(keys[j]));
      keys[j] = keys.back();
      keys.pop_back();
    }
  }
  for (const auto k : keys) ASSERT_TRUE(m.find(k, [&](const std::uint64_t& v) { ASSERT_EQ(v, k); }));
  EXPECT_EQ(m.size(), keys.size());
  for (const auto k : keys) ASSERT_TRUE(m.erase(k));
  m.compact();
  EXPECT_EQ(m.footprint().bytes, 0u);
  EXPECT_FALSE(m.find(keys.front(), ValueProbe<std::uint64_t>{}));
  ASSERT_TRUE(m.insert(1, 1));
}

TEST(TombstoneMap, CompactFitsTheLiveKeysWithinOneGroupForEveryPolicy) {
  compact_after_drain<TombstoneMapNever>();
  compact_after_drain<TombstoneMapRehash>();
  compact_after_drain<TombstoneMapShrink>();
  compact_after_drain<TombstoneMapIncremental>();
  compact_after_drain<PortableRehash>();
}

// No step of a migration does work that grows with the table: each writes a
// bounded number of the new table's control groups (the rest are written as
// keys land in them), moves at most kMaxKeysPerStep keys from at most
// kMaxGroupsPerStep groups and gives back at most
// kReleaseBytes of the old table, pre-faults at most kPopulateMaxBytes of the
// new one. Counted, not timed. Growth from 16 slots to
// 512k slots, then churn near the growth point (tombstone cleanups), then a drain
// (shrinks): every kind of migration runs, on tables of many sizes.
TEST(TombstonePolicies, IncrementalStepsDoBoundedWorkAtEverySize) {
  using Map = TombstoneMapIncremental<std::uint64_t, std::uint64_t>;
  Map m;
  constexpr std::uint64_t kKeys = 440000;  // 0.84 of 512k slots: churn makes tombstones
  std::vector<std::uint64_t> keys;
  ASSERT_NO_FATAL_FAILURE(fill_keys(m, kKeys, keys));
  ASSERT_NO_FATAL_FAILURE(churn(m, keys, 400000, 9));
  const std::size_t compactions_after_churn = *m.footprint().compactions;
  while (keys.size() > 1000) {
    ASSERT_TRUE(m.erase(keys.back()));
    keys.pop_back();
  }
  for (const auto k : keys) ASSERT_TRUE(m.find(k, [&](const std::uint64_t& v) { ASSERT_EQ(v, k); }));
  EXPECT_GT(compactions_after_churn, 16u) << "15 growths from 16 slots, then cleanups under churn";
  const Map::StepWork w = m.max_step_work();
  EXPECT_GE(w.moved_keys, 1u);
  EXPECT_LE(w.moved_keys, Map::kMaxKeysPerStep);
  EXPECT_GE(w.entered_groups, 1u);
  EXPECT_LE(w.entered_groups, Map::kMaxGroupsPerStep);
  EXPECT_FALSE(w.finished_at_once) << "the new table filled before the move ended";
  EXPECT_GE(w.swept_groups, 1u);
  EXPECT_LE(w.swept_groups, 4u) << "control bytes written per step must not grow with the table";
  EXPECT_GT(w.released_bytes, 0u) << "a 7 MB table's emptied pages were never given back";
  EXPECT_LE(w.released_bytes, Map::kReleaseBytes);
  if (Map::kCanPopulate) {
    EXPECT_GT(w.populated_bytes, 0u) << "a 7 MB new table was never pre-faulted";
  }
  EXPECT_LE(w.populated_bytes, Map::kPopulateMaxBytes);
}

// Under churn (an erase for every insert) the new table's room stays as it
// was, so a cleanup migration moves kKeysPerStep keys a step from start to
// end: it never speeds up into steps that would make every operation slow
// for a while. A pure insert run is what may raise the pace.
TEST(TombstonePolicies, IncrementalCleanupUnderChurnKeepsItsPace) {
  using Map = TombstoneMapIncremental<std::uint64_t, std::uint64_t>;
  Map m;
  constexpr std::uint64_t kKeys = 440000;  // 0.84 of 512k slots: churn makes tombstones
  m.reserve(kKeys);                        // no growth: every migration below is a cleanup
  std::vector<std::uint64_t> keys;
  ASSERT_NO_FATAL_FAILURE(fill_keys(m, kKeys, keys));
  ASSERT_EQ(*m.footprint().compactions, 1u) << "reserve's one rehash, no migration";
  ASSERT_NO_FATAL_FAILURE(churn(m, keys, 1500000, 11));
  EXPECT_GE(*m.footprint().compactions, 2u) << "churn near the growth point never cleaned up";
  const Map::StepWork w = m.max_step_work();
  EXPECT_EQ(w.moved_keys, Map::policy_type::kKeysPerStep);
  EXPECT_FALSE(w.finished_at_once);
  for (const auto k : keys) ASSERT_TRUE(m.find(k, [&](const std::uint64_t& v) { ASSERT_EQ(v, k); }));
}

TEST(TombstoneMap, StringKeysAndMoveOnlyFriendlyValues) {
  TombstoneMapRehash<std::string, HeapBlob> m;
  for (std::uint64_t i = 0; i < 5000; ++i) ASSERT_TRUE(m.insert(std::to_string(i), HeapBlob(i)));
  for (std::uint64_t i = 0; i < 5000; i += 2) ASSERT_TRUE(m.erase(std::to_string(i)));
  for (std::uint64_t i = 0; i < 5000; ++i) {
    const bool found = m.find(std::to_string(i), [&](const HeapBlob& b) { EXPECT_EQ(b.first_word(), i); });
    EXPECT_EQ(found, i % 2 == 1);
  }
  TombstoneMapRehash<std::string, HeapBlob> moved(std::move(m));
  EXPECT_EQ(moved.size(), 2500u);
  EXPECT_EQ(m.size(), 0u);
  EXPECT_EQ(m.footprint().bytes, 0u);
}

}  // namespace
}  // namespace dstudy
