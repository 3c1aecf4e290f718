// The study's own tombstone hash map: open addressing over 16-slot groups of
// control bytes (impls/core/control_group.h), probed with one SIMD compare per
// group, keys and values stored inline in one flat slot array.
//
// How it deletes. A key is placed in the first free slot on its probe path,
// so erasing cannot simply empty a slot: a key that once probed past this
// group, because the group was full when it was inserted, would become
// unreachable. Erase therefore writes a tombstone (kDeleted), which inserts
// may reuse. One exception, and it matters to what the study counts: if the
// erased slot's group still holds an empty slot, then no probe has ever
// continued past that group (an insert only moves on from a group with no
// free slot, and a group never regains an empty slot while a key depends on
// it), so the slot is made empty again and no tombstone is left. Groups are
// aligned, so "the group" is exact, not a window. The rule is the same for
// every policy. Consequence: a half-full table rarely makes tombstones; they
// pile up only near the maximum load (7/8), which is where the workloads
// must put the table for the question to be asked at all.
//
// Where a lookup stops: per-group overflow bits, as boost::unordered_flat_map
// has them (boost: 8 bits in each 15-slot group). Each group has one 32-bit
// overflow word; when an insert (or a rehash placing a key) passes a group
// for lack of a free slot, it sets bit hash % 32 of that group's word. A
// lookup stops at the first group whose word lacks its key's bit: no key
// with that bit was ever placed beyond it. The bits are cleared only when a
// group is rebuilt (a rehash in place, a move to a new table, a migration's
// new table, compact()), never by erase, so they over-approximate, which is
// always safe. A group that holds an empty slot has its word clear (it was
// never passed since it was rebuilt), so a probe stops wherever the older
// "the group has an empty slot" test stopped it, and also at full groups
// that few keys went past (one key past a group still stops 31 in 32 misses
// there). What that changes about tombstones: they are made and counted
// exactly as before (the policies' triggers are unchanged), and inserts
// still walk past them to the first free slot, but a miss no longer walks a
// chain of full-or-tombstone groups unless keys with its bit went past each
// one; what a tombstone chain still costs is the space, and the bits it
// left set, until the policy's rehash clears both.
// The words live in a parallel array (one per group, after the slots, in
// the same allocation), not beside each group's control bytes: our groups
// are 16 slots, all 16 bytes are control bytes, and giving one up (boost's
// 15-slot groups) would change every mask and the slot arithmetic. The
// array is 1/4 the size of the control bytes (16 groups, 256 slots, per
// cache line), so it mostly stays cached, and only a lookup that does not
// hit in its home group reads it. It costs 1/4 byte per slot (a byte a
// group took 1/16, but three more instructions per miss: overflow_bit).
//
// When memory comes back. The slot array is one allocation of capacity *
// (1 + sizeof(slot)) bytes plus one overflow word per group; tombstones hold
// a slot each until a rehash walks the table. What triggers that walk is the
// compaction policy:
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
//                         cleanup, shrink) moves into a new table a few keys
//                         per insert/erase while lookups consult both, so no
//                         single operation pays for the whole table, and the
//                         map serves at close to its usual rate while it
//                         migrates (a caller at a steady rate waits no
//                         longer then than at other times). The price
//                         is two tables held during a migration, and a
//                         cleanup that cannot be done in place. No step does
//                         O(capacity) work: the new table's control bytes are
//                         written a group at a time, the new table's pages
//                         are faulted in a bounded piece per step before any
//                         key moves (not one fault per moved key), and the
//                         old table's pages go back to the kernel as it
//                         empties, so freeing it at the end unmaps almost
//                         nothing. How: impls/tombstone_migration.h.
// compact() (every policy) shrinks the table to fit at an idle moment the
// application chooses; only then can the group count be other than a power
// of two.
// Every byte comes from std::allocator (so from the allocator under study)
// through a CountingAllocator; Footprint::bytes is the exact sum of the live
// allocations.
#pragma once

#include <algorithm>
#include <bit>
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
#include "impls/core/iteration.h"
#include "impls/core/prefetch.h"
#include "impls/core/probe_sequence.h"
#include "impls/core/register.h"
#include "impls/tombstone_migration.h"

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
// kKeysPerStep (incremental): keys moved to the new table per insert/erase
//               while a migration runs, when the new table has room to
//               spare; more when it has not (tombstone_migration.h), so the
//               migration always finishes before the new table fills.

struct TombstoneNever {
  static constexpr Fraction kRehashAbove{0, 1};
  static constexpr Fraction kShrinkBelow{0, 1};
  static constexpr bool kIncremental = false;
  static constexpr std::size_t kKeysPerStep = 0;
};

// Default 1/8: with 7/8 the maximum load, tombstones never take more than
// an eighth of the table, so a miss walks at most ~1/8 more full slots than
// on a clean table at the same live load.
template <Fraction kTombstones = Fraction{1, 8}>
struct TombstoneRehash {
  static constexpr Fraction kRehashAbove = kTombstones;
  static constexpr Fraction kShrinkBelow{0, 1};
  static constexpr bool kIncremental = false;
  static constexpr std::size_t kKeysPerStep = 0;
};

// Shrink default 1/8 of capacity (1/7 of the maximum load), in the spirit of
// google::dense_hash_map's 20% of its 50% growth point.
template <Fraction kTombstones = Fraction{1, 8}, Fraction kLowLoad = Fraction{1, 8}>
struct TombstoneShrink {
  static constexpr Fraction kRehashAbove = kTombstones;
  static constexpr Fraction kShrinkBelow = kLowLoad;
  static constexpr bool kIncremental = false;
  static constexpr std::size_t kKeysPerStep = 0;
};

// Two keys per operation where the new table's room allows: a move costs
// about what a lookup beyond the cache does, so an insert or erase that also
// moves two stays within a small multiple of one that does not. One a step
// (with the pre-fault spread out in time) measured no better response tail
// under open load and much less throughput: both tables are held, and every
// lookup looks in both, for twice as long.
template <std::size_t kKeys = 2, Fraction kTombstones = Fraction{1, 8}, Fraction kLowLoad = Fraction{1, 8}>
struct TombstoneIncremental {
  static constexpr Fraction kRehashAbove = kTombstones;
  static constexpr Fraction kShrinkBelow = kLowLoad;
  static constexpr bool kIncremental = true;
  static constexpr std::size_t kKeysPerStep = kKeys;
};

template <class K, class V, class Policy = TombstoneRehash<>, class GroupT = ctrl::Group>
class TombstoneMap : public PositionIteration<TombstoneMap<K, V, Policy, GroupT>, K, V>, public MigrationPacing {
 public:
  using key_type = K;
  using mapped_type = V;
  using policy_type = Policy;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = Policy::kShrinkBelow.enabled() && !Policy::kIncremental;
  // Whether an erase may start a rebuild (a rehash, a shrink, a migration).
  static constexpr bool kRebuildsOnErase = Policy::kRehashAbove.enabled() || Policy::kShrinkBelow.enabled();

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

  // The incremental policy's step record; MigrationPacing holds its
  // tunables (kReleaseBytes, kPopulate*, next_populate_bytes, kCanPopulate).
  StepWork max_step_work() const noexcept { return progress_.max_step_work; }

  void swap(TombstoneMap& o) noexcept {
    std::swap(t_, o.t_);
    std::swap(old_, o.old_);
    std::swap(progress_, o.progress_);
    std::swap(bytes_, o.bytes_);
    std::swap(compactions_, o.compactions_);
    std::swap(rehash_above_, o.rehash_above_);
    std::swap(shrink_below_, o.shrink_below_);
  }

  bool insert(const K& key, V&& value) {
    const std::size_t h = hasher{}(key);
    if constexpr (Policy::kIncremental) {
      if (old_.capacity != 0) [[unlikely]]
        return Migration::insert(*this, key, std::move(value), h);
    }
    // Nearly every insert is decided in the key's home group: it does not
    // hold the key, no key with the key's overflow bit was placed beyond it,
    // and it has a free slot, the first of which is where the probe would put
    // the key. That case is done here, without the probe loop, whose state
    // cost insert a stack frame of six saved registers on every call; any
    // other case takes the whole probe, out of line (insert_probing, which
    // looks at the home group again). Callgrind, pure_churn at 20k keys:
    // 91 -> 81 instructions per op for tombstone_never.
    const std::size_t g = probe(t_, h).offset();
    if (is_ready(t_, g)) [[likely]] {
      const GroupT group(t_.ctrl + g * kW);
      if (holds(t_, group, g, h2(h), key)) return false;
      const ctrl::BitMask free = group.match_empty_or_deleted();
      if (free && !passed(t_, g, overflow_bit(h))) [[likely]] {
        place_or_grow(g * kW + free.lowest(), key, std::move(value), h);
        return true;
      }
    }
    return insert_probing(key, std::move(value), h);
  }

  // Two erases, by whether an erase may start a rebuild (kRebuildsOnErase).
  // Where it may (rehash, shrink, incremental), the compiler left to itself
  // makes erase a call; forced inline, and deciding in the key's home group
  // as insert does (the key is there, or no key of its overflow bit went on
  // past it; the rest of the probe out of line, erase_probing), erase +
  // insert churn costs tombstone_rehash 83 instructions per op, 93 as a call
  // through the whole probe (callgrind, pure_churn at 20k keys). boost's
  // tables force their emplace and find inline the same way
  // (BOOST_FORCEINLINE). Where it may not (never), the compiler inlines the
  // whole probe by itself, and the home-group form, forced, measured 3-5%
  // slower in cache (steady churn and misses after deletes, 9 interleaved
  // rounds) though it counts fewer instructions.
  [[gnu::always_inline]] bool erase(const K& key) requires kRebuildsOnErase {
    const std::size_t h = hasher{}(key);
    if constexpr (Policy::kIncremental) {
      if (old_.capacity != 0) [[unlikely]]
        return Migration::erase(*this, key, h);
    }
    prefetch_home_slots(t_, h);
    const std::size_t g = probe(t_, h).offset();
    if (!is_ready(t_, g)) return false;  // an unwritten group is empty
    const GroupT group(t_.ctrl + g * kW);
    for (std::uint32_t i : group.match(h2(h))) {
      if (std::equal_to<K>{}(t_.slots[g * kW + i].key, key)) [[likely]] {
        erase_at(t_, g * kW + i, static_cast<bool>(group.match_empty()));
        after_erase();
        return true;
      }
    }
    if (!passed(t_, g, overflow_bit(h))) [[likely]]
      return false;
    return erase_probing(key, h);
  }

  bool erase(const K& key) requires(!kRebuildsOnErase) { return erase_probing(key, hasher{}(key)); }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    const std::size_t h = hasher{}(key);
    if constexpr (Policy::kIncremental) {
      if (old_.size != 0) prefetch_both_tables(h);
    }
    const bool found =
        lookup(t_, key, h, [&](std::size_t i, const GroupT&) { on_found(std::as_const(t_.slots[i].value)); });
    if (found) [[likely]]
      return true;
    if constexpr (Policy::kIncremental) {
      if (old_.size != 0) {
        const std::size_t i = find_index(old_, key, h);
        if (i != kNotFound) {
          on_found(std::as_const(old_.slots[i].value));
          return true;
        }
      }
    }
    return false;
  }

  std::size_t size() const noexcept { return t_.size + old_.size; }
  // Whether an incremental migration is running (two tables held).
  bool migrating() const noexcept { return old_.capacity != 0; }

  Footprint footprint() const {
    Footprint f;
    f.bytes = bytes_.bytes();
    f.capacity = t_.capacity + old_.capacity;
    f.max_load = 7.0 / 8.0;
    f.tombstones = t_.tombstones() + old_.tombstones();
    compactions_.report(f);
    return f;
  }

  // Shrinks to the smallest table that holds the live keys at the maximum
  // load (whole groups, so at most one group more), with no tombstones; an
  // empty map frees its table. The container-level analogue of an
  // allocator's purge, for an application to call at idle: unlike the
  // shrink policy's own shrink it leaves no room to grow, so the next
  // inserts grow the table again. Stop-the-world for every policy (the
  // incremental one finishes its migration first); a table already that
  // small is only cleaned in place.
  void compact() {
    if constexpr (Policy::kIncremental) Migration::finish(*this);
    if (t_.size == 0) {
      deallocate(t_);
    } else if (const std::size_t cap = fit_capacity(t_.size); cap < t_.capacity) {
      rehash_to(cap);
    } else if (t_.tombstones() != 0) {
      rehash_in_place();
    }
    refresh_thresholds();
  }

  // Iteration positions (impls/core/iteration.h): the old table's slots
  // during a migration, then the current table's, in slot order. Finding the
  // first live slot scans the control bytes a group at a time, as absl's
  // begin() does, so it pays for every empty slot and tombstone before it.
  std::size_t iter_next(std::size_t from) const {
    if (from < old_.capacity) {
      const std::size_t i = next_full(old_, from);
      if (i != kNotFound) return i;
      from = old_.capacity;
    }
    const std::size_t i = next_full(t_, from - old_.capacity);
    return i == kNotFound ? kNoPosition : old_.capacity + i;
  }
  const K& iter_key(std::size_t p) const { return slot_at(p).key; }
  const V& iter_value(std::size_t p) const { return slot_at(p).value; }
  std::size_t iter_find(const K& key) const {
    const std::size_t h = hasher{}(key);
    if (const std::size_t i = find_index(t_, key, h); i != kNotFound) return old_.capacity + i;
    if (old_.capacity != 0)
      if (const std::size_t i = find_index(old_, key, h); i != kNotFound) return i;
    return kNoPosition;
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
      if (t.capacity == 0) return false;
      for (FoldedTriangularProbe seq = probe(t, h);; seq.next(), ++n) {
        if (!is_ready(t, seq.offset())) return false;  // an unwritten group is empty
        const GroupT group(t.ctrl + seq.offset() * kW);
        for (std::uint32_t i : group.match(h2(h))) {
          if (std::equal_to<K>{}(t.slots[seq.offset() * kW + i].key, key)) return true;
          ++n;
        }
        if (!passed(t, seq.offset(), overflow_bit(h))) return false;
      }
    };
    if (count(t_) || old_.capacity == 0) return n;
    ++n;
    count(old_);
    return n;
  }

  // Room for n keys without growing (finishes any migration first).
  void reserve(std::size_t n) {
    if constexpr (Policy::kIncremental) Migration::finish(*this);
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
  using group_type = GroupT;
  // The incremental policy's migration (impls/tombstone_migration.h) works
  // on the tables below through these private members.
  using Migration = IncrementalMigration<TombstoneMap>;
  friend Migration;

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

  static constexpr std::uint32_t kNoOverflow[1] = {0};
  struct Table {
    ctrl_t* ctrl = const_cast<ctrl_t*>(ctrl::kEmptyGroup);  // never written while capacity == 0
    Slot* slots = nullptr;
    std::size_t groups = 0;      // capacity / kW: a power of two unless shrunk to fit
    std::size_t group_mask = 0;  // next power of two >= groups, minus 1 (the probe's range)
    std::size_t capacity = 0;
    std::size_t size = 0;
    // Slots not in use, by kind, indexed by "is empty" (kEmpty vs kDeleted):
    // [1] the empty slots an insert may still take before a rehash (growth
    // left), [0] the tombstones. An insert or erase changes the count of the
    // kind it found or made with one indexed add; near full load either kind
    // is likely, so a branch would miss often, and two branch-free updates
    // cost twice the instructions.
    std::size_t spare[2] = {0, 0};
    std::size_t& growth_left() noexcept { return spare[1]; }
    std::size_t growth_left() const noexcept { return spare[1]; }
    std::size_t& tombstones() noexcept { return spare[0]; }
    std::size_t tombstones() const noexcept { return spare[0]; }
    // Incremental policy, new table of a migration: bit g set once group g's
    // control bytes are written (null: all are). A group not yet written
    // reads as empty; it is written when a key first lands in it or when the
    // migration's sweep reaches it, so no operation sets a whole table.
    std::uint64_t* ready = nullptr;
    // One overflow word per group, after the slots (see the header comment):
    // bit h % 32 of group g is set once a key with hash h was
    // placed beyond g because g had no free slot. Cleared only when the
    // table is rebuilt. Without storage: kNoOverflow, never written (the
    // shared empty group always has a free slot).
    std::uint32_t* overflow = const_cast<std::uint32_t*>(kNoOverflow);
  };

  static constexpr std::size_t growth_budget(std::size_t cap) noexcept { return cap - cap / 8; }
  // The groups a key's probe visits, from its home group. The home group is
  // the hash's high bits scaled to [0, groups) (the high half of h x groups,
  // Lemire's fastrange): uniform for any group count, so a table compact()
  // left at a count that is not a power of two needs no second draw, and for
  // a power of two it is just the top bits, as boost's h >> shift. One
  // multiply, where masking the low bits and re-drawing past the end cost
  // five instructions more on every lookup. H2 is the low 7 bits, so the two
  // stay independent. In an empty table (groups 0) this yields 0: the shared
  // empty group.
  static FoldedTriangularProbe probe(const Table& t, std::size_t h) noexcept {
    const auto home = static_cast<std::size_t>((static_cast<unsigned __int128>(h) * t.groups) >> 64);
    return FoldedTriangularProbe(home, t.group_mask, t.groups);
  }
  static ctrl_t h2(std::size_t h) noexcept { return static_cast<ctrl_t>(h & 0x7F); }
  // Which overflow bit a hash marks and tests: its low 5 bits (the tag's low
  // bits; the home group is the top bits). Kept as the hash's low word and
  // reduced (& 31) where it is used: x86's shifts and bit tests on a 32-bit
  // word take the count modulo 32 themselves, so the test is one
  // instruction on the raw hash, where a byte (bits 7..9) cost four more per
  // miss and building a mask (1 << index) five more (callgrind,
  // bench/tools/instructions_per_op.sh); and with 32 bits, one key past a group sends on 1 in 32
  // misses there, not 1 in 8.
  static unsigned overflow_bit(std::size_t h) noexcept { return static_cast<unsigned>(h); }
  // Whether some key with overflow bit `bit` was placed beyond group g: if
  // not, a probe for such a key stops at g. A group that holds an empty slot
  // has never been passed since the last rebuild (see erase_at), so this
  // also stops wherever the old "the group has an empty slot" test did.
  static bool passed(const Table& t, std::size_t g, unsigned bit) noexcept {
    return ((t.overflow[g] >> (bit & 31)) & 1u) != 0;
  }
  static void mark_passed(Table& t, std::size_t g, unsigned bit) noexcept { t.overflow[g] |= 1u << (bit & 31); }
  // Control bytes, slots, then one overflow word per group.
  static std::size_t units_for(std::size_t cap) noexcept { return (cap + cap * sizeof(Slot) + cap / kW * 4 + 15) / 16; }

  static std::size_t ready_words(const Table& t) noexcept { return (t.groups + 63) / 64; }
  static std::size_t next_full(const Table& t, std::size_t from) noexcept {
    for (std::size_t g = from & ~(kW - 1); g < t.capacity; g += kW) {
      if (!is_ready(t, g / kW)) continue;  // unwritten, or given back: holds nothing
      std::uint32_t full = GroupT(t.ctrl + g).match_full().bits();
      if (g < from) full &= ~std::uint32_t{0} << (from - g);
      if (full != 0) return g + static_cast<std::size_t>(std::countr_zero(full));
    }
    return kNotFound;
  }
  const Slot& slot_at(std::size_t p) const { return p < old_.capacity ? old_.slots[p] : t_.slots[p - old_.capacity]; }

  // --- allocation ------------------------------------------------------------
  // `lazy`: leave the control bytes unwritten and track them in t.ready.
  Table allocate(std::size_t cap, bool lazy = false) {
    Table t;
    const std::size_t units = units_for(cap);
    Chunk* mem = CountingAllocator<Chunk>(&bytes_).allocate(units);
    t.ctrl = reinterpret_cast<ctrl_t*>(mem);
    if (lazy) {
      t.groups = cap / kW;
      t.ready = CountingAllocator<std::uint64_t>(&bytes_).allocate(ready_words(t));
      std::memset(t.ready, 0, ready_words(t) * sizeof(std::uint64_t));
    } else {
      std::memset(t.ctrl, static_cast<unsigned char>(ctrl::kEmpty), cap);
    }
    t.slots = reinterpret_cast<Slot*>(reinterpret_cast<unsigned char*>(mem) + cap);
    t.overflow = reinterpret_cast<std::uint32_t*>(t.slots + cap);
    if (!lazy) std::memset(t.overflow, 0, cap / kW * 4);  // lazy: make_ready clears each group's
    t.capacity = cap;
    t.groups = cap / kW;
    t.group_mask = std::bit_ceil(t.groups) - 1;
    t.growth_left() = growth_budget(cap);
    return t;
  }

  // Frees the storage only; slots must already be destroyed or moved out.
  void deallocate(Table& t) noexcept {
    drop_ready(t);
    if (t.capacity != 0) {
      CountingAllocator<Chunk>(&bytes_).deallocate(reinterpret_cast<Chunk*>(t.ctrl), units_for(t.capacity));
    }
    t = Table{};
  }

  void drop_ready(Table& t) noexcept {
    if (t.ready != nullptr) CountingAllocator<std::uint64_t>(&bytes_).deallocate(t.ready, ready_words(t));
    t.ready = nullptr;
  }

  // Whether group g's control bytes are written (always, outside the new
  // table of an incremental migration).
  static bool is_ready(const Table& t, std::size_t g) noexcept {
    if constexpr (Policy::kIncremental) {
      return t.ready == nullptr || ((t.ready[g / 64] >> (g % 64)) & 1) != 0;
    } else {
      return true;
    }
  }
  static void make_ready(Table& t, std::size_t g) noexcept {
    if (is_ready(t, g)) return;
    std::memset(t.ctrl + g * kW, static_cast<unsigned char>(ctrl::kEmpty), kW);
    t.overflow[g] = 0;
    t.ready[g / 64] |= std::uint64_t{1} << (g % 64);
  }

  void release(Table& t) noexcept {
    if constexpr (!std::is_trivially_destructible_v<Slot>) {
      // An emptied old table may have had its control bytes given back.
      for (std::size_t g = 0; t.size != 0 && g * kW < t.capacity; ++g) {
        if (!is_ready(t, g)) continue;
        for (std::uint32_t i : GroupT(t.ctrl + g * kW).match_full()) std::destroy_at(&t.slots[g * kW + i]);
      }
    }
    deallocate(t);
  }

  void refresh_thresholds() noexcept {
    rehash_above_ = Policy::kRehashAbove.enabled() ? Policy::kRehashAbove.of(t_.capacity) : ~std::size_t{0};
    shrink_below_ =
        Policy::kShrinkBelow.enabled() && t_.capacity > kMinCapacity ? Policy::kShrinkBelow.of(t_.capacity) : 0;
  }

  // --- probing ----------------------------------------------------------------
  // Groups are visited in triangular order (g, g+1, g+3, g+6, ...), which
  // reaches every group of a power-of-two table; at least capacity/8 slots are
  // always empty, so every probe ends.
  // Calls hit(i, group) for the slot i that holds `key`, `group` being the
  // control bytes of its group as the probe loaded them, and returns true;
  // false if the key is absent. The hit's work is done inside the probe loop,
  // so find and erase neither test a returned index against kNotFound nor
  // load the group again (erase needs its empty slots).
  template <class Hit>
  static bool lookup(const Table& t, const K& key, std::size_t h, Hit&& hit) {
    const ctrl_t tag = h2(h);
    const unsigned bit = overflow_bit(h);
    prefetch_home_slots(t, h);
    for (FoldedTriangularProbe seq = probe(t, h);; seq.next()) {
      const std::size_t g = seq.offset();
      if (!is_ready(t, g)) return false;  // an unwritten group is empty
      const GroupT group(t.ctrl + g * kW);
      for (std::uint32_t i : group.match(tag)) {
        const std::size_t idx = g * kW + i;
        if (std::equal_to<K>{}(t.slots[idx].key, key)) [[likely]] {
          hit(idx, group);
          return true;
        }
      }
      if (!passed(t, g, bit)) [[likely]]
        return false;
    }
  }

  static std::size_t find_index(const Table& t, const K& key, std::size_t h) {
    std::size_t found = kNotFound;
    lookup(t, key, h, [&found](std::size_t i, const GroupT&) { found = i; });
    return found;
  }

  // One pass for insert: kFound if the key is present, else the slot where it
  // goes (first empty or tombstone on its probe path). Two loops, so that the
  // groups after the first with a free slot (the home group, nearly always)
  // are only checked for the key and for the key's overflow bit.
  // Marks every group it passes for lacking a free slot as overflowed for this
  // hash before knowing whether the key is present: if it is, further on, its
  // own insert set that same bit already, so the mark changes nothing.
  static std::size_t find_or_prepare(Table& t, const K& key, std::size_t h) {
    const ctrl_t tag = h2(h);
    const unsigned bit = overflow_bit(h);
    FoldedTriangularProbe seq = probe(t, h);
    std::size_t target;
    for (;; seq.next()) {
      const std::size_t g = seq.offset();
      if (!is_ready(t, g)) return g * kW;
      const GroupT group(t.ctrl + g * kW);
      if (holds(t, group, g, tag, key)) return kFound;
      if (const ctrl::BitMask free = group.match_empty_or_deleted()) {
        target = g * kW + free.lowest();
        // In an empty table (capacity 0) this is slot 0 of the shared empty
        // group: it reads as kEmpty with no growth left, so the caller grows.
        if (!passed(t, g, bit)) [[likely]]
          return target;
        break;
      }
      mark_passed(t, g, bit);
    }
    for (;;) {
      seq.next();
      const std::size_t g = seq.offset();
      if (!is_ready(t, g)) return target;
      const GroupT group(t.ctrl + g * kW);
      if (holds(t, group, g, tag, key)) return kFound;
      if (!passed(t, g, bit)) [[likely]]
        return target;
    }
  }

  // Beyond the caches a hit costs two misses in a row: the control group,
  // then the slot its tag match points to. Both addresses follow from the
  // hash alone, so a lookup in a large table asks for the home group's first
  // four slot lines while the control group is still on its way, and the two
  // misses overlap. Measured at 1.56M keys (performance.md section 1): +9-23%
  // on steady churn and miss-after-delete; two lines did about as well, a
  // fifth line (the group's last slots when the slots are not line-aligned)
  // and the same for insert's search did worse. Small tables skip it: in
  // cache it is only instructions. So do sparse ones (under 1/4 full, as
  // after a drain): their lookups are mostly misses, which need no slot,
  // and they run so fast (6 ns a miss at 1.5M slots) that four lines a
  // lookup saturate the memory bus: 0.6-0.8x without this test. (prefetch.h
  // says why not __builtin_prefetch.)
  static constexpr std::size_t kPrefetchSlotsFromCapacity = std::size_t{1} << 16;
  static void prefetch_home_slots(const Table& t, std::size_t h) noexcept {
    if (t.capacity >= kPrefetchSlotsFromCapacity && t.size * 4 >= t.capacity) {
      const char* first = reinterpret_cast<const char*>(t.slots + probe(t, h).offset() * kW);
      for (std::size_t line = 0; line < 4; ++line) prefetch_for_read(first + line * 64);
    }
  }

  // During a migration a key is looked for in both tables, one after the
  // other; asking for both home groups' control bytes at once makes the
  // second table's miss overlap the first's. The old table's only while it
  // holds keys.
  void prefetch_both_tables(std::size_t h) const noexcept {
    prefetch_for_read(t_.ctrl + probe(t_, h).offset() * kW);
    if (old_.size != 0) prefetch_for_read(old_.ctrl + probe(old_, h).offset() * kW);
  }

  // Whether `group` (group g) holds `key`, whose tag is `tag`.
  static bool holds(const Table& t, const GroupT& group, std::size_t g, ctrl_t tag, const K& key) {
    for (std::uint32_t i : group.match(tag)) {
      if (std::equal_to<K>{}(t.slots[g * kW + i].key, key)) [[likely]]
        return true;
    }
    return false;
  }

  // The first free slot on h's probe path; marks the groups it passes (the
  // key to be placed there goes on past them).
  static std::size_t find_first_non_full(Table& t, std::size_t h) noexcept {
    const unsigned bit = overflow_bit(h);
    for (FoldedTriangularProbe seq = probe(t, h);; seq.next()) {
      const std::size_t g = seq.offset();
      if (!is_ready(t, g)) return g * kW;
      const ctrl::BitMask free = GroupT(t.ctrl + g * kW).match_empty_or_deleted();
      if (free) [[likely]]
        return g * kW + free.lowest();
      mark_passed(t, g, bit);
    }
  }

  template <class KK, class VV>
  static void place(Table& t, std::size_t i, std::size_t h, KK&& key, VV&& value) {
    if constexpr (Policy::kIncremental) make_ready(t, i / kW);
    const bool was_empty = t.ctrl[i] == ctrl::kEmpty;
    std::construct_at(&t.slots[i], std::forward<KK>(key), std::forward<VV>(value));
    t.ctrl[i] = h2(h);
    ++t.size;
    --t.spare[was_empty];
  }

  static void erase_at(Table& t, std::size_t i) noexcept {
    erase_at(t, i, static_cast<bool>(GroupT(t.ctrl + (i & ~(kW - 1))).match_empty()));
  }
  // `group_has_empty`: whether slot i's group holds an empty slot.
  static void erase_at(Table& t, std::size_t i, bool group_has_empty) noexcept {
    std::destroy_at(&t.slots[i]);
    --t.size;
    // No probe has passed a group that still has an empty slot: no tombstone
    // needed there. Branch-free, since near full load the test is a coin flip.
    const bool empty = group_has_empty;
    t.ctrl[i] = empty ? ctrl::kEmpty : ctrl::kDeleted;
    ++t.spare[empty];
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
  // The rehashes, growth (grow_and_insert) and the incremental policy's
  // migrating paths are out of line (noinline) so that insert and erase stay
  // small enough for the compiler to inline into the caller's loop: inlined
  // into insert, rehash_in_place made it a call with a stack frame of six
  // saved registers on every insert.
  [[gnu::noinline]] void rehash_to(std::size_t cap) {
    CompactionTimer timer(compactions_);
    Table next = allocate(cap);
    move_all(t_, next);
    t_ = next;
    refresh_thresholds();
  }

  // Clears every tombstone without a second table: full slots are marked
  // "to place" (a group at a time), then each is moved to the first free
  // slot on its probe path (staying put if that is in its own group),
  // swapping with a slot still to place when it lands on one. Slots to place
  // are found a group at a time too, lowest first; one that took a swapped-in
  // key is still marked, so the next look at its group places that key.
  [[gnu::noinline]] void rehash_in_place() {
    CompactionTimer timer(compactions_);
    Table& t = t_;
    for (std::size_t g = 0; g < t.capacity; g += kW) {
      GroupT(t.ctrl + g).store_special_as_empty_full_as_deleted(t.ctrl + g);
    }
    std::memset(t.overflow, 0, t.groups * 4);  // placing each key marks its path anew
    for (std::size_t g = 0; g < t.capacity; g += kW) {
      while (const ctrl::BitMask to_place = GroupT(t.ctrl + g).match(ctrl::kDeleted)) {
        place_for_rehash(g + to_place.lowest());
      }
    }
    t.tombstones() = 0;
    t.growth_left() = growth_budget(t.capacity) - t.size;
  }

  // rehash_in_place's step for slot i, marked "to place": leaves it placed
  // or empty, or holding a swapped-in key still marked "to place".
  void place_for_rehash(std::size_t i) {
    Table& t = t_;
    const std::size_t h = hasher{}(t.slots[i].key);
    const std::size_t target = find_first_non_full(t, h);
    if ((target ^ i) < kW) {  // same group: already where a probe looks first
      t.ctrl[i] = h2(h);
      return;
    }
    if (t.ctrl[target] == ctrl::kEmpty) {
      std::construct_at(&t.slots[target], std::move(t.slots[i].key), std::move(t.slots[i].value));
      std::destroy_at(&t.slots[i]);
      t.ctrl[target] = h2(h);
      t.ctrl[i] = ctrl::kEmpty;
    } else {  // another slot still to place: swap; slot i stays marked
      Slot tmp(std::move(t.slots[target].key), std::move(t.slots[target].value));
      std::destroy_at(&t.slots[target]);
      std::construct_at(&t.slots[target], std::move(t.slots[i].key), std::move(t.slots[i].value));
      std::destroy_at(&t.slots[i]);
      std::construct_at(&t.slots[i], std::move(tmp.key), std::move(tmp.value));
      t.ctrl[target] = h2(h);
    }
  }

  // The fewest whole groups whose growth budget holds `live` keys.
  static std::size_t fit_capacity(std::size_t live) noexcept {
    std::size_t cap = (live + live / 7 + kW - 1) / kW * kW;
    while (growth_budget(cap) < live) cap += kW;
    return std::max(cap, kMinCapacity);
  }

  static std::size_t shrink_capacity(std::size_t live) noexcept {
    std::size_t cap = kMinCapacity;
    while (live > cap / 16 * 7) cap *= 2;
    return cap;
  }

  // erase through the whole probe: out of line where erase decides in the
  // home group first (kRebuildsOnErase), inline where it is all of erase.
  // g++ 12's inlining is fragile here: the never erase calling
  // erase_through_probe directly (the same code) changed what it inlined
  // for the incremental policy, whose erase + insert churn went from 123 to
  // 152 instructions per op (callgrind, pure_churn at 20k keys).
  bool erase_probing(const K& key, std::size_t h) {
    if constexpr (kRebuildsOnErase) {
      return erase_probing_out_of_line(key, h);
    } else {
      return erase_through_probe(key, h);
    }
  }
  [[gnu::noinline]] bool erase_probing_out_of_line(const K& key, std::size_t h) { return erase_through_probe(key, h); }
  bool erase_through_probe(const K& key, std::size_t h) {
    const bool erased = lookup(t_, key, h, [this](std::size_t i, const GroupT& group) {
      erase_at(t_, i, static_cast<bool>(group.match_empty()));
    });
    if (erased) after_erase();
    return erased;
  }

  // insert's path past the home group: the whole probe.
  [[gnu::noinline]] bool insert_probing(const K& key, V&& value, std::size_t h) {
    const std::size_t target = find_or_prepare(t_, key, h);
    if (target == kFound) return false;
    place_or_grow(target, key, std::move(value), h);
    return true;
  }

  // Puts the absent key at `target` (its probe path's first free slot), or
  // grows first when that would take the last empty slot of the budget.
  void place_or_grow(std::size_t target, const K& key, V&& value, std::size_t h) {
    // growth_left() first: it is almost never 0, so the branch predicts,
    // where near full load "the target is empty" is a coin flip.
    if (t_.growth_left() == 0 && t_.ctrl[target] == ctrl::kEmpty) [[unlikely]] {
      grow_and_insert(key, std::move(value), h);
      return;
    }
    place(t_, target, h, key, std::move(value));
  }

  // insert's growth path (out of line): no room for a key known to be
  // absent. Grows (or cleans, or starts a migration), then places the key.
  [[gnu::noinline]] void grow_and_insert(const K& key, V&& value, std::size_t h) {
    grow_for_insert();
    place(t_, find_first_non_full(t_, h), h, key, std::move(value));
    if constexpr (Policy::kIncremental) {
      if (old_.capacity != 0) Migration::step(*this);
    }
  }

  // Out of room: clean in place when live keys fit in 25/32 of capacity, else
  // double (abseil's rule, so TombstoneNever behaves like the absl peer).
  void grow_for_insert() {
    const std::size_t cap = t_.capacity;
    const bool in_place = cap != 0 && t_.size * 32 <= cap * 25;
    if constexpr (Policy::kIncremental) {
      if (cap != 0) {
        Migration::start(*this, in_place ? cap : cap * 2);
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
      if (t_.tombstones() > rehash_above_) [[unlikely]] {
        if constexpr (Policy::kIncremental) {
          if (Migration::start(*this, t_.capacity)) Migration::step(*this);
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
          if (cap < t_.capacity && Migration::start(*this, cap)) Migration::step(*this);
        } else {
          rehash_to(shrink_capacity(t_.size));
        }
      }
    }
  }

  Table t_;
  Table old_;                   // incremental policy only: the table being migrated out of
  MigrationProgress progress_;  // incremental policy only: where a migration has got to
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

DSTUDY_REGISTER(tombstone_never, dstudy::TombstoneMapNever, study)
DSTUDY_REGISTER(tombstone_rehash, dstudy::TombstoneMapRehash, study)
DSTUDY_REGISTER(tombstone_shrink, dstudy::TombstoneMapShrink, study)
DSTUDY_REGISTER(tombstone_incremental, dstudy::TombstoneMapIncremental, study)
