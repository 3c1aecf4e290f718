// SlotIndex on its own (impls/core/slot_index.h): the ring buffer's
// conformance suite reaches it only through the ring buffer. Each test plays
// the owner: a keys[] array of slots, a free list for freed slots, and a
// std::unordered_map as the reference answer for key -> slot.
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <utility>
#include <vector>

#include "impls/core/slot_index.h"

namespace dstudy {
namespace {

static_assert(!std::is_copy_constructible_v<SlotIndex>);
static_assert(!std::is_copy_assignable_v<SlotIndex>);

// slot_at() of an empty bucket: its stored word is 0, so slot + 1 == 0. No
// real slot has this number (kMaxSlot is one below it), which lets a test
// tell empty buckets from used ones through the public interface.
constexpr std::uint32_t kEmptyBucketSlot = 0xFFFFFFFFu;
static_assert(kEmptyBucketSlot == SlotIndex::kMaxSlot + 1);

std::uint64_t mix(std::uint64_t x) {  // splitmix64 finaliser
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// The owner of an index: slot s holds keys[s]; freed slots are reused, most
// recently freed first, the way a ring buffer's owner may reuse them.
class Owner {
 public:
  using HashFn = std::function<std::uint64_t(std::uint64_t)>;
  explicit Owner(HashFn hash = &mix) : hash_(std::move(hash)) {}

  std::size_t find(std::uint64_t key) const {
    return index.find(hash_(key), [&](std::uint32_t slot) {
      EXPECT_LT(slot, keys.size()) << "index returned a slot the owner never gave it";
      return slot < keys.size() && live[slot] && keys[slot] == key;
    });
  }

  // Inserts key if absent; returns whether it did.
  bool insert(std::uint64_t key) {
    if (find(key) != SlotIndex::kNotFound) return false;
    std::uint32_t slot;
    if (!free_slots.empty()) {
      slot = free_slots.back();
      free_slots.pop_back();
      keys[slot] = key;
      live[slot] = true;
    } else {
      slot = static_cast<std::uint32_t>(keys.size());
      keys.push_back(key);
      live.push_back(true);
    }
    index.prepare_insert();
    const std::size_t cap = index.capacity();
    index.insert(hash_(key), slot);
    EXPECT_EQ(index.capacity(), cap) << "insert grew the table after prepare_insert";
    ref[key] = slot;
    return true;
  }

  // Erases key if present; returns whether it did.
  bool erase(std::uint64_t key) {
    const std::size_t bucket = find(key);
    if (bucket == SlotIndex::kNotFound) return false;
    const std::uint32_t slot = index.slot_at(bucket);
    index.erase_at(bucket);
    live[slot] = false;
    free_slots.push_back(slot);
    ref.erase(key);
    return true;
  }

  // Every reference key found at its slot, the size right, exactly size()
  // buckets used (no tombstones), and no other key found.
  void check(const std::vector<std::uint64_t>& absent = {}) const {
    ASSERT_EQ(index.size(), ref.size());
    for (const auto& [key, slot] : ref) {
      const std::size_t bucket = find(key);
      ASSERT_NE(bucket, SlotIndex::kNotFound) << "key " << key << " lost";
      ASSERT_LT(bucket, index.capacity());
      ASSERT_EQ(index.slot_at(bucket), slot) << "key " << key;
    }
    for (std::uint64_t key : absent) {
      if (!ref.count(key)) {
        ASSERT_EQ(find(key), SlotIndex::kNotFound) << "absent key " << key << " found";
      }
    }
    std::size_t used = 0;
    for (std::size_t b = 0; b < index.capacity(); ++b) used += index.slot_at(b) != kEmptyBucketSlot;
    ASSERT_EQ(used, index.size()) << "buckets in use differ from size(): a dead entry stayed behind";
    ASSERT_EQ(index.bytes(), index.capacity() * sizeof(std::uint64_t));
    if (index.capacity() != 0) {
      ASSERT_TRUE(std::has_single_bit(index.capacity()));
      ASSERT_GE(index.capacity(), SlotIndex::kMinCapacity);
      ASSERT_LE(index.size() * 4, index.capacity() * 3) << "load above 3/4";
    }
  }

  SlotIndex index;
  std::vector<std::uint64_t> keys;
  std::vector<bool> live;
  std::vector<std::uint32_t> free_slots;
  std::unordered_map<std::uint64_t, std::uint32_t> ref;

 private:
  HashFn hash_;
};

TEST(SlotIndex, EmptyIndexFindsNothingAndOwnsNoMemory) {
  SlotIndex index;
  EXPECT_EQ(index.size(), 0u);
  EXPECT_EQ(index.capacity(), 0u);
  EXPECT_EQ(index.bytes(), 0u);
  bool asked = false;
  EXPECT_EQ(index.find(mix(1), [&](std::uint32_t) { return asked = true; }), SlotIndex::kNotFound);
  EXPECT_FALSE(asked) << "an empty index must not ask the owner about any slot";
  EXPECT_FALSE(index.shrink_if_sparse());
  EXPECT_EQ(index.capacity(), 0u);
}

TEST(SlotIndex, FirstInsertAllocatesTheMinimumTable) {
  Owner o;
  ASSERT_TRUE(o.insert(42));
  EXPECT_EQ(o.index.capacity(), SlotIndex::kMinCapacity);
  EXPECT_EQ(o.index.size(), 1u);
  o.check({1, 2, 3});
}

TEST(SlotIndex, EraseOfAbsentKeyIsNotFoundAndChangesNothing) {
  Owner o;
  EXPECT_FALSE(o.erase(7));  // on the empty index
  for (std::uint64_t k = 0; k < 10; ++k) ASSERT_TRUE(o.insert(k));
  const std::size_t cap = o.index.capacity();
  EXPECT_FALSE(o.erase(1000));
  EXPECT_TRUE(o.erase(3));
  EXPECT_FALSE(o.erase(3));  // a second erase of the same key
  EXPECT_EQ(o.index.size(), 9u);
  EXPECT_EQ(o.index.capacity(), cap);
  o.check({3, 1000});
}

TEST(SlotIndex, FindDoesNotConfuseKeysWhoseHashesShareTheStoredBits) {
  // Only the hash's upper 32 bits are stored: keys whose hashes differ only
  // in the lower half share a tag, and only the owner's compare tells them
  // apart.
  Owner o([](std::uint64_t k) { return (std::uint64_t{0xABCD} << 32) | (k & 0xFFFFFFFF); });
  for (std::uint64_t k = 0; k < 12; ++k) ASSERT_TRUE(o.insert(k));
  o.check({12, 13, 100});
  ASSERT_TRUE(o.erase(0));
  ASSERT_TRUE(o.erase(5));
  o.check({0, 5, 12});
}

TEST(SlotIndex, StoredHashBitsSpareTheOwnerWrongCandidates) {
  // Ten keys with one home bucket but distinct upper hash halves: a lookup
  // walks the whole cluster, yet asks the owner only about the entry whose
  // stored bits match.
  const auto hash = [](std::uint64_t k) -> std::uint64_t { return (((k + 1) << 8 | 5) << 32) | k; };
  Owner o(hash);
  for (std::uint64_t k = 0; k < 10; ++k) ASSERT_TRUE(o.insert(k));
  ASSERT_EQ(o.index.capacity(), SlotIndex::kMinCapacity);
  for (std::uint64_t k = 0; k < 12; ++k) {
    int asked = 0;
    const std::size_t b = o.index.find(hash(k), [&](std::uint32_t slot) {
      ++asked;
      return o.keys[slot] == k;
    });
    EXPECT_EQ(asked, k < 10 ? 1 : 0) << "key " << k;
    EXPECT_EQ(b != SlotIndex::kNotFound, k < 10) << "key " << k;
  }
}

TEST(SlotIndex, SlotZeroAndTheLargestSlotRoundTrip) {
  SlotIndex index;
  index.prepare_insert();
  index.insert(mix(1), 0);
  index.prepare_insert();
  index.insert(mix(2), SlotIndex::kMaxSlot);
  EXPECT_EQ(index.size(), 2u);
  const std::size_t b0 = index.find(mix(1), [](std::uint32_t s) { return s == 0; });
  const std::size_t bmax = index.find(mix(2), [](std::uint32_t s) { return s == SlotIndex::kMaxSlot; });
  ASSERT_NE(b0, SlotIndex::kNotFound);
  ASSERT_NE(bmax, SlotIndex::kNotFound);
  EXPECT_EQ(index.slot_at(b0), 0u);
  EXPECT_EQ(index.slot_at(bmax), SlotIndex::kMaxSlot);
  index.erase_at(b0);
  EXPECT_EQ(index.find(mix(1), [](std::uint32_t s) { return s == 0; }), SlotIndex::kNotFound);
  const std::size_t again = index.find(mix(2), [](std::uint32_t s) { return s == SlotIndex::kMaxSlot; });
  ASSERT_NE(again, SlotIndex::kNotFound);
  EXPECT_EQ(index.slot_at(again), SlotIndex::kMaxSlot);
}

TEST(SlotIndex, FreedSlotIsReusedForAnotherKey) {
  Owner o;
  for (std::uint64_t k = 0; k < 8; ++k) ASSERT_TRUE(o.insert(k));
  const std::uint32_t freed = o.ref.at(4);
  ASSERT_TRUE(o.erase(4));
  ASSERT_TRUE(o.insert(99));
  ASSERT_EQ(o.ref.at(99), freed) << "the owner reuses the freed slot";
  // The slot now holds 99: the old key must not be found through it, the new
  // one must.
  EXPECT_EQ(o.find(4), SlotIndex::kNotFound);
  const std::size_t b = o.find(99);
  ASSERT_NE(b, SlotIndex::kNotFound);
  EXPECT_EQ(o.index.slot_at(b), freed);
  o.check({4});
}

TEST(SlotIndex, GrowsAtThreeQuartersLoad) {
  Owner o;
  std::size_t last_cap = 0;
  for (std::uint64_t k = 0; k < 5000; ++k) {
    ASSERT_TRUE(o.insert(k));
    const std::size_t cap = o.index.capacity();
    if (cap != last_cap) {
      // It grew on this insert: doubling, and only because the old table
      // would have gone above 3/4.
      if (last_cap != 0) {
        EXPECT_EQ(cap, last_cap * 2) << "at size " << o.index.size();
        EXPECT_GT(o.index.size() * 4, last_cap * 3) << "grew early, at size " << o.index.size();
      }
      last_cap = cap;
    }
    ASSERT_LE(o.index.size() * 4, cap * 3);
  }
  o.check({5000, 5001});
  EXPECT_EQ(o.index.capacity(), 8192u);  // 5000 > 3/4 of 4096
}

TEST(SlotIndex, ReserveMakesRoomWithoutGrowth) {
  for (std::size_t n : {0, 1, 12, 13, 100, 768, 769, 1000}) {
    Owner o;
    o.index.reserve(n);
    const std::size_t cap = o.index.capacity();
    EXPECT_TRUE(std::has_single_bit(cap)) << n;
    EXPECT_GE(cap, SlotIndex::kMinCapacity) << n;
    for (std::uint64_t k = 0; k < n; ++k) ASSERT_TRUE(o.insert(k));
    EXPECT_EQ(o.index.capacity(), cap) << "reserve(" << n << ") was not enough for " << n << " entries";
    // Not more than needed: half the table would not have held n entries.
    if (cap > SlotIndex::kMinCapacity) {
      EXPECT_GT(n * 4, (cap / 2) * 3) << n;
    }
    o.check();
    // Reserving less than the current capacity never shrinks.
    o.index.reserve(0);
    EXPECT_EQ(o.index.capacity(), cap);
  }
}

TEST(SlotIndex, ReservePastTheLimitThrowsAndKeepsTheIndex) {
  Owner o;
  for (std::uint64_t k = 0; k < 10; ++k) ASSERT_TRUE(o.insert(k));
  // 2^32 entries need 2^33 buckets, one bit more than the limit; the check
  // comes before any allocation.
  EXPECT_THROW(o.index.reserve(std::size_t{1} << 32), std::length_error);
  EXPECT_EQ(o.index.capacity(), SlotIndex::kMinCapacity);
  o.check();
}

TEST(SlotIndex, ShrinksOnlyBelowOneEighthAndNeverBelowTheMinimum) {
  Owner o;
  for (std::uint64_t k = 0; k < 1000; ++k) ASSERT_TRUE(o.insert(k));
  ASSERT_EQ(o.index.capacity(), 2048u);
  EXPECT_FALSE(o.index.shrink_if_sparse()) << "dense table shrank";
  // Down to 256 live = exactly 1/8: still no shrink.
  for (std::uint64_t k = 256; k < 1000; ++k) ASSERT_TRUE(o.erase(k));
  ASSERT_EQ(o.index.size(), 256u);
  EXPECT_FALSE(o.index.shrink_if_sparse()) << "shrank at exactly 1/8 load";
  EXPECT_EQ(o.index.capacity(), 2048u);
  // One fewer: shrinks, to the smallest power of two >= 2 * size.
  ASSERT_TRUE(o.erase(255));
  EXPECT_TRUE(o.index.shrink_if_sparse());
  EXPECT_EQ(o.index.capacity(), 512u);
  o.check({255, 256, 999});
  // Empty: back to the minimum table, which stays.
  for (std::uint64_t k = 0; k < 255; ++k) ASSERT_TRUE(o.erase(k));
  EXPECT_TRUE(o.index.shrink_if_sparse());
  EXPECT_EQ(o.index.capacity(), SlotIndex::kMinCapacity);
  EXPECT_FALSE(o.index.shrink_if_sparse());
  EXPECT_EQ(o.index.capacity(), SlotIndex::kMinCapacity);
  EXPECT_EQ(o.index.size(), 0u);
  o.check({0, 1, 2});
  ASSERT_TRUE(o.insert(5));
  o.check();
}

TEST(SlotIndex, RemapRewritesSlotsAndKeepsEveryKey) {
  Owner o;
  for (std::uint64_t k = 0; k < 300; ++k) ASSERT_TRUE(o.insert(k * 7));
  for (std::uint64_t k = 0; k < 300; k += 3) ASSERT_TRUE(o.erase(k * 7));
  // Compact the owner's slots the way a ring buffer does: live slots move
  // to the front, in order.
  std::vector<std::uint32_t> new_slot(o.keys.size(), kEmptyBucketSlot);
  std::vector<std::uint64_t> keys;
  std::vector<bool> live;
  for (std::size_t s = 0; s < o.keys.size(); ++s) {
    if (!o.live[s]) continue;
    new_slot[s] = static_cast<std::uint32_t>(keys.size());
    keys.push_back(o.keys[s]);
    live.push_back(true);
  }
  std::size_t calls = 0;
  o.index.remap([&](std::uint32_t old) {
    ++calls;
    EXPECT_LT(old, new_slot.size());
    EXPECT_NE(new_slot[old], kEmptyBucketSlot) << "remap asked about a dead slot " << old;
    return new_slot[old];
  });
  EXPECT_EQ(calls, o.index.size()) << "remap must visit each entry once";
  o.keys = std::move(keys);
  o.live = std::move(live);
  o.free_slots.clear();
  for (auto& [key, slot] : o.ref) slot = new_slot[slot];
  o.check({0, 21, 42});
  // The index keeps working on the new slots.
  for (std::uint64_t k = 5000; k < 5100; ++k) ASSERT_TRUE(o.insert(k));
  for (std::uint64_t k = 1; k < 300; k += 3) ASSERT_TRUE(o.erase(k * 7));
  o.check({7, 5100});
}

// Backward-shift deletion across the end of the table: keys whose homes are
// the last buckets form a cluster that wraps to bucket 0; every erase order
// of such a cluster must leave the rest reachable.
TEST(SlotIndex, EraseInWrappedClusterKeepsEveryKeyReachable) {
  // Capacity stays at 16 for up to 12 entries. Homes 13, 14, 15 (tag &
  // 15); the low 32 bits tell keys apart.
  const auto hash = [](std::uint64_t k) -> std::uint64_t {
    const std::uint64_t home = 13 + (k % 3);
    return ((home | (k << 4)) << 32) | k;
  };
  std::mt19937_64 rng(7);
  for (int round = 0; round < 400; ++round) {
    Owner o(hash);
    const std::size_t n = 4 + rng() % 9;  // 4..12 entries: 13,14,15,0,1,...
    std::vector<std::uint64_t> keys;
    for (std::uint64_t k = 0; k < n; ++k) {
      const std::uint64_t key = rng() % 1000;
      if (o.insert(key)) keys.push_back(key);
    }
    ASSERT_EQ(o.index.capacity(), SlotIndex::kMinCapacity);
    std::shuffle(keys.begin(), keys.end(), rng);
    std::vector<std::uint64_t> gone;
    for (std::uint64_t key : keys) {
      ASSERT_TRUE(o.erase(key));
      gone.push_back(key);
      ASSERT_NO_FATAL_FAILURE(o.check(gone)) << "round " << round;
      // Put some back now and then, into the middle of the cluster.
      if (rng() % 4 == 0) {
        ASSERT_TRUE(o.insert(key));
        gone.pop_back();
        ASSERT_NO_FATAL_FAILURE(o.check(gone));
        ASSERT_TRUE(o.erase(key));
        gone.push_back(key);
      }
    }
    EXPECT_EQ(o.index.size(), 0u);
  }
}

// Randomised sequences against the reference, on three hash functions: a good
// one, one with few distinct homes (long clusters), and one whose upper half
// is constant (every key collides, only the owner's compare decides).
class SlotIndexRandom : public ::testing::TestWithParam<int> {};

std::uint64_t hash_for(int which, std::uint64_t k) {
  switch (which) {
    case 0: return mix(k);
    case 1: return (mix(k) & 0x0000000700000000ull) | (k & 0xFFFFFFFF);  // 8 tags
    default: return 0x1234567800000000ull | (k & 0xFFFFFFFF);            // 1 tag
  }
}

TEST_P(SlotIndexRandom, MatchesUnorderedMapOnRandomSequences) {
  const int which = GetParam();
  Owner o([which](std::uint64_t k) { return hash_for(which, k); });
  std::mt19937_64 rng(1234 + which);
  // Fewer keys when every key collides: each lookup walks the cluster.
  const std::uint64_t universe = which == 2 ? 200 : 4000;
  const int ops = which == 2 ? 6000 : 60000;
  std::vector<std::uint64_t> probe;
  for (int i = 0; i < ops; ++i) {
    const std::uint64_t key = rng() % universe;
    const unsigned op = rng() % 100;
    // Phases: mostly insert, then mostly erase, so the size sweeps up and
    // down and the table both grows and shrinks.
    const bool growing = (i / (ops / 6)) % 2 == 0;
    if (op < (growing ? 60u : 25u)) {
      const bool absent = o.ref.count(key) == 0;
      ASSERT_EQ(o.insert(key), absent) << "op " << i;
    } else if (op < 90) {
      const bool present = o.ref.count(key) != 0;
      ASSERT_EQ(o.erase(key), present) << "op " << i;
    } else if (op < 97) {
      const std::size_t b = o.find(key);
      const auto it = o.ref.find(key);
      if (it == o.ref.end()) {
        ASSERT_EQ(b, SlotIndex::kNotFound) << "op " << i;
      } else {
        ASSERT_NE(b, SlotIndex::kNotFound) << "op " << i;
        ASSERT_EQ(o.index.slot_at(b), it->second) << "op " << i;
      }
    } else {
      const std::size_t size = o.index.size();
      const std::size_t cap = o.index.capacity();
      const bool shrank = o.index.shrink_if_sparse();
      ASSERT_EQ(shrank, cap > SlotIndex::kMinCapacity && size * 8 < cap) << "op " << i;
      if (shrank) {
        ASSERT_LT(o.index.capacity(), cap);
      }
      ASSERT_EQ(o.index.size(), size);
    }
    if (i % 997 == 0) {
      probe.clear();
      for (int j = 0; j < 50; ++j) probe.push_back(rng() % (universe * 2));
      ASSERT_NO_FATAL_FAILURE(o.check(probe)) << "after op " << i;
    }
  }
  ASSERT_NO_FATAL_FAILURE(o.check());
}

std::string hash_name(const ::testing::TestParamInfo<int>& info) {
  static const char* const kNames[] = {"Mixed", "EightTags", "OneTag"};
  return kNames[info.param];
}

INSTANTIATE_TEST_SUITE_P(Hashes, SlotIndexRandom, ::testing::Values(0, 1, 2), hash_name);

}  // namespace
}  // namespace dstudy
