// The tombstone map's per-group overflow bits (tombstone_map.h): a miss stops
// at a full group unless a key with its overflow bit was placed beyond that
// group, tombstones included, and a rebuild clears the bits and sets them
// anew. A planted hash chooses every key's home group and tag, and the tag's
// low 5 bits are the overflow bit (hash % 32), so each lookup's probe length
// (probe_length: groups beyond the first, plus tag matches whose key
// differed) is known by hand. Every policy, and the portable group.
#include <gtest/gtest.h>

#include <cstdint>

#include "impls/tombstone_map.h"

namespace dstudy {

// seed bits: 0..6 the tag (h2 = h & 0x7F; overflow bit = h & 31), 10 the
// home group (this test's table has two groups, and the home group is the
// high half of hash x groups, so the hash's top bit); the high bits make
// keys with the same hash distinct.
struct OverflowKey {
  std::uint64_t seed = 0;
  bool operator==(const OverflowKey&) const = default;
};

template <>
struct Hash<OverflowKey> {
  std::size_t operator()(const OverflowKey& k) const noexcept { return ((k.seed >> 10) & 1) << 63 | (k.seed & 0x7F); }
};

namespace {

// Key `id` with home group `group` and tag `tag` (overflow bit tag % 32).
constexpr OverflowKey key(std::uint64_t id, std::uint64_t group, std::uint64_t tag) {
  return OverflowKey{(id << 32) | (group << 10) | tag};
}

template <class Map>
class OverflowBits : public ::testing::Test {};

using Maps = ::testing::Types<TombstoneMap<OverflowKey, std::uint64_t, TombstoneNever>,
                              TombstoneMap<OverflowKey, std::uint64_t, TombstoneRehash<>>,
                              TombstoneMap<OverflowKey, std::uint64_t, TombstoneShrink<>>,
                              TombstoneMap<OverflowKey, std::uint64_t, TombstoneIncremental<>>,
                              TombstoneMap<OverflowKey, std::uint64_t, TombstoneRehash<>, ctrl::GroupPortable>>;
TYPED_TEST_SUITE(OverflowBits, Maps);

TYPED_TEST(OverflowBits, AMissStopsAtAFullGroupUnlessItsBitIsSet) {
  TypeParam m;
  m.reserve(17);
  ASSERT_EQ(m.footprint().capacity, 32u);
  // 16 keys (tags 0..15) fill home group 0; a 17th (tag 16) goes on to group
  // 1 and sets bit 16 of group 0's overflow word.
  for (std::uint64_t t = 0; t < 16; ++t) ASSERT_TRUE(m.insert(key(t, 0, t), std::uint64_t{t}));
  ASSERT_TRUE(m.insert(key(16, 0, 16), 16));
  EXPECT_EQ(m.probe_length(key(16, 0, 16)), 1u) << "the spilled key is one group on";
  EXPECT_TRUE(m.find(key(16, 0, 16), [](const std::uint64_t& v) { EXPECT_EQ(v, 16u); }));

  EXPECT_EQ(m.probe_length(key(100, 0, 48)), 1u) << "bit 16 is set: the miss walks on";
  EXPECT_EQ(m.probe_length(key(100, 0, 17)), 0u) << "bit 17 is clear: the miss stops at its full home group";
  EXPECT_EQ(m.probe_length(key(100, 0, 5)), 1u) << "stops, after one key comparison (tag 5 is live)";
  EXPECT_FALSE(m.find(key(100, 0, 17), [](const std::uint64_t&) { FAIL(); }));

  // Erasing from the full group leaves a tombstone, counted as before; a miss
  // whose bit is clear still stops there.
  ASSERT_TRUE(m.erase(key(3, 0, 3)));
  EXPECT_EQ(m.footprint().tombstones, 1u);
  EXPECT_EQ(m.probe_length(key(3, 0, 3)), 0u);
  EXPECT_EQ(m.probe_length(key(3, 0, 48)), 1u);
  // The insert-side lookup also stops at the clear bit: the key lands in the
  // tombstone, in its home group.
  ASSERT_TRUE(m.insert(key(200, 0, 35), 200));
  EXPECT_EQ(m.footprint().tombstones, 0u);
  EXPECT_EQ(m.probe_length(key(200, 0, 35)), 0u);
  EXPECT_FALSE(m.insert(key(16, 0, 16), 0)) << "the spilled key is still found by insert";
  EXPECT_EQ(m.size(), 17u);
}

TYPED_TEST(OverflowBits, ARebuildClearsTheBitsAndMarksPathsAnew) {
  TypeParam m;
  m.reserve(17);
  for (std::uint64_t t = 0; t < 16; ++t) ASSERT_TRUE(m.insert(key(t, 0, t), std::uint64_t{t}));
  ASSERT_TRUE(m.insert(key(16, 0, 16), 16));
  ASSERT_TRUE(m.erase(key(16, 0, 16)));  // group 1 has empty slots: no tombstone
  ASSERT_TRUE(m.erase(key(3, 0, 3)));    // group 0 was full: a tombstone
  ASSERT_EQ(m.footprint().tombstones, 1u);
  EXPECT_EQ(m.probe_length(key(100, 0, 48)), 1u) << "bit 16 stays set until a rebuild";
  m.compact();  // 15 keys still need two groups: cleaned in place
  ASSERT_EQ(m.footprint().capacity, 32u);
  EXPECT_EQ(m.footprint().tombstones, 0u);
  EXPECT_EQ(m.probe_length(key(100, 0, 48)), 0u) << "the rebuild cleared bit 16";
  // Fill group 0 again and spill a key with bit 18: only bit 18 walks on.
  ASSERT_TRUE(m.insert(key(3, 0, 3), 3));
  ASSERT_TRUE(m.insert(key(17, 0, 18), 17));
  EXPECT_EQ(m.probe_length(key(17, 0, 18)), 1u);
  EXPECT_EQ(m.probe_length(key(100, 0, 50)), 1u);
  EXPECT_EQ(m.probe_length(key(100, 0, 48)), 0u);
  for (std::uint64_t t = 0; t < 16; ++t) EXPECT_TRUE(m.find(key(t, 0, t), [](const std::uint64_t&) {}));
}

}  // namespace
}  // namespace dstudy
