// The study's own tombstone hash map: open addressing over 16-slot groups of
// control bytes (impls/core/control_group.h), probed with one SIMD compare per
// group, keys and values stored inline in one flat slot array.
//
// How it deletes. A lookup stops at the first group that holds an empty
// slot, so erasing cannot simply empty a slot: a key that once probed past
// this group, because the group was full when it was inserted, would become
// unreachable. Erase therefore writes a tombstone (kDeleted), which lookups
// walk past and inserts may reuse. One exception, and it matters to what the
// study counts: if the erased slot's group still holds an empty slot, then no
// probe has ever continued past that group (an insert only moves on from a
// group with no free slot, and a group never regains an empty slot while a
// key depends on it), so the slot is made empty again and no tombstone is
// left. Groups are aligned, so "the group" is exact, not a window. The rule is
// the same for every policy. Consequence: a half-full table rarely makes
// tombstones; they pile up only near the maximum load (7/8), which is where
// the workloads must put the table for the question to be asked at all.
//
// When memory comes back. The slot array is one allocation of capacity *
// (1 + sizeof(slot)) bytes; tombstones hold a slot each until a rehash walks
// the table. What triggers that walk is the compaction policy:
//   TombstoneNever        only running out of room: like absl, it then
//                         rehashes in place when live keys fit in 25/32 of
//                         the capacity, else doubles. Never shrinks: the
//                         high-water capacity stays until destruction.
//   TombstoneRehash       also rehashes in place (no second table, no memory
//                         spike) once tombstones pass a fraction of capacity,
//                         so misses never walk long tombstone chains.
//   TombstoneShrink       as Rehash, and moves to a smaller table once the
//                         load falls below a fraction, at that erase: memory
//                         returns as the map drains (down to one group).
//   TombstoneIncremental  the Shrink triggers, but every rehash (growth,
//                         cleanup, shrink) moves into a new table a few groups
//                         per insert/erase while lookups consult both, so no
//                         single operation pays for the whole table. The price
//                         is two tables held during a migration, and a
//                         cleanup that cannot be done in place. Not free of
//                         O(capacity) work entirely: starting a migration
//                         sets the new table's control bytes (1 byte a slot,
//                         a memset), and the last step frees the old table.
// Every byte comes from std::allocator (so from the allocator under study)
// through a CountingAllocator; Footprint::bytes is the exact sum of the live
// allocations.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <type_traits>
#include <utility>

#include "impls/core/compaction_timer.h"
#include "impls/core/control_group.h"
#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/hash.h"
#include "impls/core/probe_sequence.h"
#include "impls/core/register.h"

namespace dstudy {

// A threshold as a fraction of capacity. num == 0 switches the rule off.
struct Fraction {
  std::size_t num = 0;
  std::size_t den = 1;
  constexpr std::size_t of(std::size_t n) const noexcept { return n / den * num + n % den * num / den; }
  constexpr bool enabled() const noexcept { return num != 0; }
};

// --- compaction policies ------------------------------------------------------
// kRehashAbove: tombstones > this fraction of capacity -> rehash (in place,
//               or a same-size migration for the incremental policy).
// kShrinkBelow: live keys < this fraction of capacity -> move to the smallest
//               capacity that holds them at half the maximum load (7/16), so
//               a shrink is followed by room to grow before the next growth
//               (hysteresis: shrink at 1/8, land at 7/32..7/16, grow at 7/8).
// kGroupsPerStep (incremental): groups of 16 slots migrated per insert/erase
//               while a migration runs. The new table is sized so that the
//               migration always finishes before it fills.

struct TombstoneNever {
  static constexpr Fraction kRehashAbove{0, 1};
  static constexpr Fraction kShrinkBelow{0, 1};
  static constexpr bool kIncremental = false;
  static constexpr std::size_t kGroupsPerStep = 0;
};

// Default 1/8: with 7/8 the maximum load, tombstones never take more than
// an eighth of the table, so a miss walks at most ~1/8 more full slots than
// on a clean table at the same live load.
template <Fraction kTombstones = Fraction{1, 8}>
struct TombstoneRehash {
  static constexpr Fraction kRehashAbove = kTombstones;
  static constexpr Fraction kShrinkBelow{0, 1};
  static constexpr bool kIncremental = false;
  static constexpr std::size_t kGroupsPerStep = 0;
};

// Shrink default 1/8 of capacity (1/7 of the maximum load), in the spirit of
// google::dense_hash_map's 20% of its 50% growth point.
template <Fraction kTombstones = Fraction{1, 8}, Fraction kLowLoad = Fraction{1, 8}>
struct TombstoneShrink {
  static constexpr Fraction kRehashAbove = kTombstones;
  static constexpr Fraction kShrinkBelow = kLowLoad;
  static constexpr bool kIncremental = false;
  static constexpr std::size_t kGroupsPerStep = 0;
};

// One group (16 slots) per operation: bounded work of at most 16 moves.
template <std::size_t kGroups = 1, Fraction kTombstones = Fraction{1, 8}, Fraction kLowLoad = Fraction{1, 8}>
struct TombstoneIncremental {
  static_assert(kGroups >= 1);
  static constexpr Fraction kRehashAbove = kTombstones;
  static constexpr Fraction kShrinkBelow = kLowLoad;
  static constexpr bool kIncremental = true;
  static constexpr std::size_t kGroupsPerStep = kGroups;
};

template <class K, class V, class Policy = TombstoneRehash<>, class GroupT = ctrl::Group>
class TombstoneMap {
 public:
  using key_type = K;
  using mapped_type = V;
  using policy_type = Policy;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = Policy::kShrinkBelow.enabled() && !Policy::kIncremental;

  static_assert(std::is_nothrow_move_constructible_v<K> && std::is_nothrow_move_constructible_v<V>,
                "slots are moved during rehash without a rollback path");

  TombstoneMap() noexcept = default;
  TombstoneMap(const TombstoneMap&) = delete;
  TombstoneMap& operator=(const TombstoneMap&) = delete;
  TombstoneMap(TombstoneMap&& o) noexcept { swap(o); }
  TombstoneMap& operator=(TombstoneMap&& o) noexcept {
    if (this != &o) {
      TombstoneMap(std::move(o)).swap(*this);
    }
    return *this;
  }
  ~TombstoneMap() {
    release(t_);
    if constexpr (Policy::kIncremental) release(old_);
  }

  void swap(TombstoneMap& o) noexcept {
    std::swap(t_, o.t_);
    std::swap(old_, o.old_);
    std::swap(cursor_, o.cursor_);
    std::swap(bytes_, o.bytes_);
    std::swap(compactions_, o.compactions_);
    std::swap(rehash_above_, o.rehash_above_);
    std::swap(shrink_below_, o.shrink_below_);
  }

  bool insert(const K& key, V&& value) {
    const std::size_t h = hasher{}(key);
    if constexpr (Policy::kIncremental) {
      if (old_.capacity != 0) [[unlikely]] return insert_migrating(key, std::move(value), h);
    }
    std::size_t target = find_or_prepare(t_, key, h);
    if (target == kFound) return false;
    if (t_.ctrl[target] == ctrl::kEmpty && t_.growth_left == 0) [[unlikely]] {
      grow_for_insert();
      if constexpr (Policy::kIncremental) {
        if (old_.capacity != 0) {
          place(t_, find_first_non_full(t_, h), h, key, std::move(value));
          migrate_step();
          return true;
        }
      }
      target = find_first_non_full(t_, h);
    }
    place(t_, target, h, key, std::move(value));
    return true;
  }

  bool erase(const K& key) {
    const std::size_t h = hasher{}(key);
    if constexpr (Policy::kIncremental) {
      if (old_.capacity != 0) [[unlikely]] return erase_migrating(key, h);
    }
    const std::size_t i = find_index(t_, key, h);
    if (i == kNotFound) return false;
    erase_at(t_, i);
    after_erase();
    return true;
  }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    const std::size_t h = hasher{}(key);
    std::size_t i = find_index(t_, key, h);
    if (i != kNotFound) [[likely]] {
      on_found(std::as_const(t_.slots[i].value));
      return true;
    }
    if constexpr (Policy::kIncremental) {
      if (old_.capacity != 0) {
        i = find_index(old_, key, h);
        if (i != kNotFound) {
          on_found(std::as_const(old_.slots[i].value));
          return true;
        }
      }
    }
    return false;
  }

  std::size_t size() const noexcept { return t_.size + old_.size; }

  Footprint footprint() const {
    Footprint f;
    f.bytes = bytes_.bytes();
    f.capacity = t_.capacity + old_.capacity;
    f.max_load = 7.0 / 8.0;
    f.tombstones = t_.tombstones + old_.tombstones;
    compactions_.report(f);
    return f;
  }

  // Introspection, never timed (container.h, ProbeIntrospectable): the
  // probes beyond the first look that a lookup of `key` makes, counted as
  // absl's hashtable_debug counts them: one per further group visited, one
  // per tag match whose key differed. During a migration a miss in the new
  // table goes on to the old one (one more probe, then its own).
  std::size_t probe_length(const K& key) const {
    const std::size_t h = hasher{}(key);
    std::size_t n = 0;
    auto count = [&](const Table& t) {
      for (TriangularProbe seq = probe(t, h);; seq.next(), ++n) {
        const GroupT group(t.ctrl + seq.offset() * kW);
        for (std::uint32_t i : group.match(h2(h))) {
          if (std::equal_to<K>{}(t.slots[seq.offset() * kW + i].key, key)) return true;
          ++n;
        }
        if (group.match_empty()) return false;
      }
    };
    if (count(t_) || old_.capacity == 0) return n;
    ++n;
    count(old_);
    return n;
  }

  // Room for n keys without growing (finishes any migration first).
  void reserve(std::size_t n) {
    if constexpr (Policy::kIncremental) finish_migration();
    std::size_t cap = kMinCapacity;
    while (growth_budget(cap) < n) cap *= 2;
    if (cap > t_.capacity) rehash_to(cap);
  }

 private:
  using hasher = Hash<K>;
  using ctrl_t = ctrl::ctrl_t;
  static constexpr std::size_t kW = ctrl::kGroupWidth;
  static constexpr std::size_t kMinCapacity = kW;
  static constexpr std::size_t kNotFound = ~std::size_t{0};
  static constexpr std::size_t kFound = ~std::size_t{0} - 1;

  struct Slot {
    template <class KK, class VV>
    Slot(KK&& k, VV&& v) : key(std::forward<KK>(k)), value(std::forward<VV>(v)) {}
    K key;
    V value;
  };
  static_assert(alignof(Slot) <= 16, "slots follow the 16-aligned control bytes");
  struct alignas(16) Chunk {
    unsigned char bytes[16];
  };

  struct Table {
    ctrl_t* ctrl = const_cast<ctrl_t*>(ctrl::kEmptyGroup);  // never written while capacity == 0
    Slot* slots = nullptr;
    std::size_t group_mask = 0;  // groups - 1
    std::size_t capacity = 0;
    std::size_t size = 0;
    std::size_t growth_left = 0;  // empty slots an insert may still take before a rehash
    std::size_t tombstones = 0;
  };

  static constexpr std::size_t growth_budget(std::size_t cap) noexcept { return cap - cap / 8; }
  static std::size_t h1(std::size_t h) noexcept { return h >> 7; }
  // The groups a key's probe visits, from its home group.
  static TriangularProbe probe(const Table& t, std::size_t h) noexcept { return TriangularProbe(h1(h), t.group_mask); }
  static ctrl_t h2(std::size_t h) noexcept { return static_cast<ctrl_t>(h & 0x7F); }
  static std::size_t units_for(std::size_t cap) noexcept { return (cap + cap * sizeof(Slot) + 15) / 16; }

  // --- allocation ------------------------------------------------------------
  Table allocate(std::size_t cap) {
    Table t;
    const std::size_t units = units_for(cap);
    Chunk* mem = CountingAllocator<Chunk>(&bytes_).allocate(units);
    t.ctrl = reinterpret_cast<ctrl_t*>(mem);
    std::memset(t.ctrl, static_cast<unsigned char>(ctrl::kEmpty), cap);
    t.slots = reinterpret_cast<Slot*>(reinterpret_cast<unsigned char*>(mem) + cap);
    t.capacity = cap;
    t.group_mask = cap / kW - 1;
    t.growth_left = growth_budget(cap);
    return t;
  }

  // Frees the storage only; slots must already be destroyed or moved out.
  void deallocate(Table& t) noexcept {
    if (t.capacity != 0) {
      CountingAllocator<Chunk>(&bytes_).deallocate(reinterpret_cast<Chunk*>(t.ctrl), units_for(t.capacity));
    }
    t = Table{};
  }

  void release(Table& t) noexcept {
    if constexpr (!std::is_trivially_destructible_v<Slot>) {
      for (std::size_t g = 0; g * kW < t.capacity; ++g) {
        for (std::uint32_t i : GroupT(t.ctrl + g * kW).match_full()) std::destroy_at(&t.slots[g * kW + i]);
      }
    }
    deallocate(t);
  }

  void refresh_thresholds() noexcept {
    rehash_above_ = Policy::kRehashAbove.enabled() ? Policy::kRehashAbove.of(t_.capacity) : ~std::size_t{0};
    shrink_below_ = Policy::kShrinkBelow.enabled() && t_.capacity > kMinCapacity
                        ? Policy::kShrinkBelow.of(t_.capacity)
                        : 0;
  }

  // --- probing ----------------------------------------------------------------
  // Groups are visited in triangular order (g, g+1, g+3, g+6, ...), which
  // reaches every group of a power-of-two table; at least capacity/8 slots are
  // always empty, so every probe ends.
  static std::size_t find_index(const Table& t, const K& key, std::size_t h) {
    const ctrl_t tag = h2(h);
    for (TriangularProbe seq = probe(t, h);; seq.next()) {
      const std::size_t g = seq.offset();
      const GroupT group(t.ctrl + g * kW);
      for (std::uint32_t i : group.match(tag)) {
        const std::size_t idx = g * kW + i;
        if (std::equal_to<K>{}(t.slots[idx].key, key)) [[likely]] return idx;
      }
      if (group.match_empty()) [[likely]] return kNotFound;
    }
  }

  // One pass for insert: kFound if the key is present, else the slot where it
  // goes (first empty or tombstone on its probe path).
  static std::size_t find_or_prepare(const Table& t, const K& key, std::size_t h) {
    const ctrl_t tag = h2(h);
    std::size_t target = kNotFound;
    for (TriangularProbe seq = probe(t, h);; seq.next()) {
      const std::size_t g = seq.offset();
      const GroupT group(t.ctrl + g * kW);
      for (std::uint32_t i : group.match(tag)) {
        if (std::equal_to<K>{}(t.slots[g * kW + i].key, key)) [[likely]] return kFound;
      }
      const ctrl::BitMask empty = group.match_empty();
      if (target == kNotFound) {
        const ctrl::BitMask free = group.match_empty_or_deleted();
        if (free) target = g * kW + free.lowest();
      }
      // In an empty table (capacity 0) this is slot 0 of the shared empty
      // group: it reads as kEmpty with no growth left, so the caller grows.
      if (empty) [[likely]] return target;
    }
  }

  static std::size_t find_first_non_full(const Table& t, std::size_t h) noexcept {
    for (TriangularProbe seq = probe(t, h);; seq.next()) {
      const std::size_t g = seq.offset();
      const ctrl::BitMask free = GroupT(t.ctrl + g * kW).match_empty_or_deleted();
      if (free) [[likely]] return g * kW + free.lowest();
    }
  }

  template <class KK, class VV>
  static void place(Table& t, std::size_t i, std::size_t h, KK&& key, VV&& value) {
    const std::size_t was_empty = t.ctrl[i] == ctrl::kEmpty;
    std::construct_at(&t.slots[i], std::forward<KK>(key), std::forward<VV>(value));
    t.ctrl[i] = h2(h);
    ++t.size;
    t.growth_left -= was_empty;  // branch-free: near full load either is likely
    t.tombstones -= 1 - was_empty;
  }

  static void erase_at(Table& t, std::size_t i) noexcept {
    std::destroy_at(&t.slots[i]);
    --t.size;
    // No probe has passed a group that still has an empty slot: no tombstone
    // needed there. Branch-free, since near full load the test is a coin flip.
    const std::size_t empty = static_cast<bool>(GroupT(t.ctrl + (i & ~(kW - 1))).match_empty());
    t.ctrl[i] = empty ? ctrl::kEmpty : ctrl::kDeleted;
    t.growth_left += empty;
    t.tombstones += 1 - empty;
  }

  // Moves every slot of `from` into `to` (which must have room); frees `from`.
  void move_all(Table& from, Table& to) {
    for (std::size_t g = 0; g * kW < from.capacity; ++g) {
      for (std::uint32_t i : GroupT(from.ctrl + g * kW).match_full()) {
        Slot& s = from.slots[g * kW + i];
        const std::size_t h = hasher{}(s.key);
        place(to, find_first_non_full(to, h), h, std::move(s.key), std::move(s.value));
        std::destroy_at(&s);
      }
    }
    from.size = 0;
    deallocate(from);
  }

  // --- stop-the-world compaction (non-incremental policies) --------------------
  void rehash_to(std::size_t cap) {
    CompactionTimer timer(compactions_);
    Table next = allocate(cap);
    move_all(t_, next);
    t_ = next;
    refresh_thresholds();
  }

  // Clears every tombstone without a second table: full slots are marked
  // "to place", then each is moved to the first free slot on its probe path
  // (staying put if that is in its own group), swapping with a slot still to
  // place when it lands on one.
  void rehash_in_place() {
    CompactionTimer timer(compactions_);
    Table& t = t_;
    for (std::size_t i = 0; i < t.capacity; ++i) {
      t.ctrl[i] = ctrl::is_full(t.ctrl[i]) ? ctrl::kDeleted : ctrl::kEmpty;
    }
    for (std::size_t i = 0; i < t.capacity; ++i) {
      if (t.ctrl[i] != ctrl::kDeleted) continue;
      const std::size_t h = hasher{}(t.slots[i].key);
      const std::size_t target = find_first_non_full(t, h);
      if ((target ^ i) < kW) {  // same group: already where a probe looks first
        t.ctrl[i] = h2(h);
        continue;
      }
      if (t.ctrl[target] == ctrl::kEmpty) {
        std::construct_at(&t.slots[target], std::move(t.slots[i].key), std::move(t.slots[i].value));
        std::destroy_at(&t.slots[i]);
        t.ctrl[target] = h2(h);
        t.ctrl[i] = ctrl::kEmpty;
      } else {  // another slot still to place: swap, then place what came back
        Slot tmp(std::move(t.slots[target].key), std::move(t.slots[target].value));
        std::destroy_at(&t.slots[target]);
        std::construct_at(&t.slots[target], std::move(t.slots[i].key), std::move(t.slots[i].value));
        std::destroy_at(&t.slots[i]);
        std::construct_at(&t.slots[i], std::move(tmp.key), std::move(tmp.value));
        t.ctrl[target] = h2(h);
        --i;
      }
    }
    t.tombstones = 0;
    t.growth_left = growth_budget(t.capacity) - t.size;
  }

  static std::size_t shrink_capacity(std::size_t live) noexcept {
    std::size_t cap = kMinCapacity;
    while (live > cap / 16 * 7) cap *= 2;
    return cap;
  }

  // Out of room: clean in place when live keys fit in 25/32 of capacity, else
  // double (abseil's rule, so TombstoneNever behaves like the absl peer).
  void grow_for_insert() {
    const std::size_t cap = t_.capacity;
    const bool in_place = cap != 0 && t_.size * 32 <= cap * 25;
    if constexpr (Policy::kIncremental) {
      if (cap != 0) {
        start_migration(in_place ? cap : cap * 2);
        return;
      }
      rehash_to(kMinCapacity);
      return;
    }
    if (in_place) {
      rehash_in_place();
    } else {
      rehash_to(cap == 0 ? kMinCapacity : cap * 2);
    }
  }

  void after_erase() {
    if constexpr (Policy::kRehashAbove.enabled()) {
      if (t_.tombstones > rehash_above_) [[unlikely]] {
        if constexpr (Policy::kIncremental) {
          if (start_migration(t_.capacity)) migrate_step();
        } else {
          rehash_in_place();
        }
        return;
      }
    }
    if constexpr (Policy::kShrinkBelow.enabled()) {
      if (t_.size < shrink_below_) [[unlikely]] {
        if constexpr (Policy::kIncremental) {
          const std::size_t cap = shrink_capacity(t_.size);
          if (cap < t_.capacity && start_migration(cap)) migrate_step();
        } else {
          rehash_to(shrink_capacity(t_.size));
        }
      }
    }
  }

  // --- incremental migration -----------------------------------------------------
  // t_ is the new table, old_ the one being emptied; every key lives in
  // exactly one of them. Each insert/erase migrates kGroupsPerStep groups of
  // old_. The new table is sized for old_'s keys plus one insert per step.
  // Returns whether a migration is now running (false: done at once, or the
  // sized table would not be smaller than a shrink wanted).
  bool start_migration(std::size_t wanted) {
    const std::size_t steps = (t_.capacity / kW + Policy::kGroupsPerStep - 1) / Policy::kGroupsPerStep;
    const std::size_t need = t_.size + steps + 1;
    std::size_t cap = std::max(wanted, kMinCapacity);
    while (growth_budget(cap) < need) cap *= 2;
    if (wanted < t_.capacity && cap >= t_.capacity) return false;
    CompactionTimer timer(compactions_);
    if (t_.size == 0) {  // nothing to carry over
      deallocate(t_);
      t_ = allocate(cap);
      refresh_thresholds();
      return false;
    }
    old_ = t_;
    t_ = allocate(cap);
    cursor_ = 0;
    refresh_thresholds();
    return true;
  }

  void migrate_step() {
    CompactionTimer timer(compactions_, kContinues);  // counted at start_migration
    const std::size_t groups = old_.capacity / kW;
    const std::size_t end = std::min(groups, cursor_ + Policy::kGroupsPerStep);
    for (; cursor_ < end && old_.size != 0; ++cursor_) {
      const GroupT group(old_.ctrl + cursor_ * kW);
      old_.tombstones -= static_cast<std::size_t>(group.match(ctrl::kDeleted).count());
      for (std::uint32_t i : group.match_full()) {
        const std::size_t idx = cursor_ * kW + i;
        Slot& s = old_.slots[idx];
        const std::size_t h = hasher{}(s.key);
        place(t_, find_first_non_full(t_, h), h, std::move(s.key), std::move(s.value));
        std::destroy_at(&s);
        old_.ctrl[idx] = ctrl::kDeleted;  // keeps later keys' probe paths intact
        --old_.size;
      }
    }
    if (old_.size == 0) deallocate(old_);
  }

  void finish_migration() {
    while (old_.capacity != 0) migrate_step();
  }

  bool insert_migrating(const K& key, V&& value, std::size_t h) {
    if (find_index(old_, key, h) != kNotFound) {
      migrate_step();
      return false;
    }
    std::size_t target = find_or_prepare(t_, key, h);
    if (target == kFound) {
      migrate_step();
      return false;
    }
    if (t_.ctrl[target] == ctrl::kEmpty && t_.growth_left == 0) [[unlikely]] {
      // Cannot happen with the sizing in start_migration; stay correct anyway.
      finish_migration();
      return insert(key, std::move(value));
    }
    place(t_, target, h, key, std::move(value));
    migrate_step();
    return true;
  }

  bool erase_migrating(const K& key, std::size_t h) {
    std::size_t i = find_index(t_, key, h);
    bool erased = false;
    if (i != kNotFound) {
      erase_at(t_, i);
      erased = true;
    } else if ((i = find_index(old_, key, h)) != kNotFound) {
      std::destroy_at(&old_.slots[i]);
      old_.ctrl[i] = ctrl::kDeleted;
      --old_.size;
      ++old_.tombstones;
      erased = true;
    }
    migrate_step();
    return erased;
  }

  Table t_;
  Table old_;  // incremental policy only: the table being migrated out of
  std::size_t cursor_ = 0;
  ByteCounter bytes_;
  CompactionStats compactions_;
  std::size_t rehash_above_ = ~std::size_t{0};
  std::size_t shrink_below_ = 0;
};

template <class K, class V>
using TombstoneMapNever = TombstoneMap<K, V, TombstoneNever>;
template <class K, class V>
using TombstoneMapRehash = TombstoneMap<K, V, TombstoneRehash<>>;
template <class K, class V>
using TombstoneMapShrink = TombstoneMap<K, V, TombstoneShrink<>>;
template <class K, class V>
using TombstoneMapIncremental = TombstoneMap<K, V, TombstoneIncremental<>>;

}  // namespace dstudy

DSTUDY_REGISTER(tombstone_never, dstudy::TombstoneMapNever)
DSTUDY_REGISTER(tombstone_rehash, dstudy::TombstoneMapRehash)
DSTUDY_REGISTER(tombstone_shrink, dstudy::TombstoneMapShrink)
DSTUDY_REGISTER(tombstone_incremental, dstudy::TombstoneMapIncremental)
