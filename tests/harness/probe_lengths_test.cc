// Probe lengths (bench/pass/probe_lengths.h, container.h probe_length): a tiny
// tombstone map whose hash is planted, so every key's home group and tag are
// chosen and every lookup's probe length is known by hand, read through the
// memory recorder exactly as a phase end reads it.
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <string_view>
#include <vector>

#include "bench/memory/memory_recorder.h"
#include "bench/pass/probe_lengths.h"
#include "bench/pass/stream_keys.h"
#include "impls/tombstone_map.h"

namespace dstudy {

// A key whose seed plants its hash: seed bit 7 is the home group (this test's
// table has two groups, and tombstone_map.h takes the home group from the
// high half of hash x groups, so the hash's top bit), bits 0..6 the tag
// (h2 = h & 0x7F; its low 5 bits are the overflow bit, h % 32). The high
// bits make keys with the same hash distinct.
struct PlantedKey {
  std::uint64_t seed = 0;
  PlantedKey() = default;
  explicit PlantedKey(std::uint64_t s) : seed(s) {}
  bool operator==(const PlantedKey&) const = default;
};

template <>
struct Hash<PlantedKey> {
  std::size_t operator()(const PlantedKey& k) const noexcept { return ((k.seed >> 7) & 1) << 63 | (k.seed & 0x7F); }
};

namespace bench {
namespace {

struct KvPlanted {
  using key_type = PlantedKey;
  using mapped_type = std::uint64_t;
  static constexpr std::string_view kName = "planted";
  static key_type make_key(std::uint64_t seed) { return PlantedKey(seed); }
  static mapped_type make_value(std::uint64_t seed) { return seed; }
  static std::size_t payload_bytes(const key_type&, const mapped_type&) { return 16; }
  static std::size_t heap_bytes(const key_type&, const mapped_type&) { return 0; }
  static std::uint64_t digest(const mapped_type& v) { return v; }
};

using Map = TombstoneMap<PlantedKey, std::uint64_t, TombstoneNever>;
static_assert(ProbeIntrospectable<Map>);

// seed of key `id` with home group `group` (0 or 1) and tag `tag`
constexpr std::uint64_t planted(std::uint64_t id, std::uint64_t group, std::uint64_t tag) {
  return (id << 32) | (group << 7) | tag;
}

class PlantedTable : public ::testing::Test {
 protected:
  // Applies `ops` to the map and to the recorder's view, one phase, and
  // returns what the phase end recorded.
  PhaseEnd run_phase(const std::vector<std::pair<OpType, std::uint64_t>>& ops) {
    OperationStream s;
    ThreadStream t;
    for (const auto& [type, seed] : ops) {
      std::uint32_t index = 0;
      while (index < seeds_.size() && seeds_[index] != seed) ++index;
      if (index == seeds_.size()) seeds_.push_back(seed);
      t.ops.push_back({seed, index, type});
      if (type == OpType::kInsert) {
        EXPECT_TRUE(map_.insert(PlantedKey(seed), seed + 0));
      }
      if (type == OpType::kErase) {
        EXPECT_TRUE(map_.erase(PlantedKey(seed)));
      }
    }
    s.key_seeds = seeds_;
    s.threads.push_back(t);
    keys_.materialise(s);
    Phase ph;
    ph.name = "p";
    ph.role = "steady";
    ph.begin = 0;
    ph.end = t.ops.size();
    recorder_.begin_phase(map_, ph);
    recorder_.advance(t.ops.data(), 0, t.ops.size());
    recorder_.end_phase(map_, ph, true);
    return recorder_.record().phase_end.back();
  }

  Map map_;
  std::vector<std::uint64_t> seeds_;
  StreamKeys<KvPlanted> keys_;
  MemoryRecorder<Map, KvPlanted> recorder_{keys_};
};

TEST_F(PlantedTable, HistogramsAreTheHandCountedProbeLengths) {
  recorder_.start();
  map_.reserve(17);  // two groups of 16
  ASSERT_EQ(map_.footprint().capacity, 32u);
  std::vector<std::pair<OpType, std::uint64_t>> ops;
  // 17 keys at home group 0 with distinct tags: 16 fill group 0, one spills
  // to group 1 (the next on the probe path).
  for (std::uint64_t i = 0; i < 17; ++i) ops.push_back({OpType::kInsert, planted(i, 0, i)});
  for (std::uint64_t i = 0; i < 17; ++i) ops.push_back({OpType::kFindHit, planted(i, 0, i)});
  // Misses: home group 0 (full, and key 16 set overflow bit 16 there, which
  // tags 48, 80 and 112 share: one more group, 1 probe) x 3; home group 1
  // (has an empty slot, no tag match: 0 probes) x 1.
  for (std::uint64_t i = 0; i < 3; ++i) ops.push_back({OpType::kFindMiss, planted(100 + i, 0, 48 + 32 * i)});
  ops.push_back({OpType::kFindMiss, planted(200, 1, 120)});
  const PhaseEnd first = run_phase(ops);
  ASSERT_TRUE(first.probe_hit && first.probe_miss);
  EXPECT_EQ(first.probe_hit->counts, (std::vector<std::uint64_t>{16, 1}));
  EXPECT_EQ(first.probe_miss->counts, (std::vector<std::uint64_t>{1, 3}));
  EXPECT_DOUBLE_EQ(first.probe_miss->mean(), 0.75);
  EXPECT_EQ(first.probe_miss->max(), 1u);
  EXPECT_EQ(first.probe_miss->quantile(0.5), 1u);
  EXPECT_EQ(first.probe_hit->quantile(0.5), 0u);

  // Erase key 3: group 0 was full, so it leaves a tombstone and group 0
  // stays without an empty slot. A miss whose tag matches a live key of
  // group 0 pays a key comparison, then stops there (its overflow bit, 5,
  // is clear): 1 probe. Key 3's lookups (still among the recent hits) now
  // miss and drop out of the hit sample; the erased key is counted among
  // misses only when a find_miss looks it up.
  const PhaseEnd second = run_phase({{OpType::kErase, planted(3, 0, 3)},
                                     {OpType::kFindMiss, planted(300, 0, 5)},
                                     {OpType::kFindMiss, planted(3, 0, 3)}});
  EXPECT_EQ(map_.footprint().tombstones, 1u);
  ASSERT_TRUE(second.probe_hit && second.probe_miss);
  EXPECT_EQ(second.probe_hit->counts, (std::vector<std::uint64_t>{15, 1}));
  // 0: the group-1 miss and key 3 (its tag's slot is now a tombstone, so no
  // match, and its bit 3 is clear); 1: three group-0 misses and the tag-5
  // miss.
  EXPECT_EQ(second.probe_miss->counts, (std::vector<std::uint64_t>{2, 4}));
}

TEST_F(PlantedTable, NoLookupsYetMeansNoHistogram) {
  recorder_.start();
  const PhaseEnd pe = run_phase({{OpType::kInsert, planted(1, 0, 1)}});
  EXPECT_FALSE(pe.probe_hit);
  EXPECT_FALSE(pe.probe_miss);
}

TEST(ProbeLengths, QuantilesAreNearestRank) {
  ProbeLengths p;
  for (int i = 0; i < 98; ++i) p.add(0);
  p.add(3);
  p.add(7);
  EXPECT_EQ(p.samples(), 100u);
  EXPECT_EQ(p.quantile(0.5), 0u);
  EXPECT_EQ(p.quantile(0.98), 0u);
  EXPECT_EQ(p.quantile(0.99), 3u);
  EXPECT_EQ(p.max(), 7u);
  EXPECT_DOUBLE_EQ(p.mean(), 0.1);
}

TEST(RecentOps, KeepsTheLastSampleOfOps) {
  RecentOps r;
  for (std::uint32_t i = 0; i < kProbeSample + 10; ++i) r.push({i, i, OpType::kFindHit});
  ASSERT_EQ(r.ops().size(), kProbeSample);
  std::uint32_t least = ~0u;
  for (const Operation& op : r.ops()) least = std::min(least, op.key_index);
  EXPECT_EQ(least, 10u);
}

}  // namespace
}  // namespace bench
}  // namespace dstudy
