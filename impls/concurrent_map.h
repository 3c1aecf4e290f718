// The study's concurrent map: 128 shards, each an open-addressing table
// (linear probing) of tagged pointers to immutable nodes, with a spin lock
// per shard for writers (impls/core/spin_lock.h: a writer holds it for one
// probe) and lock-free readers.
//
// How it deletes: erase, under the shard lock, overwrites the slot with a
// tombstone and retires the node to the calling thread's epoch list. Readers
// run inside an epoch guard (impls/core/epoch_reclaimer.h), so the node is
// reused or freed only once the global epoch has moved two steps past the
// erase, i.e. when no reader can still be looking at it; a thread tries to
// move the epoch and frees its ripe nodes every 128 retirements. Until then
// its bytes are reported as reclaim_pending_bytes (the reclamation lag).
//
// The lag is bounded (epoch_reclaimer.h): no thread holds more than
// epoch::Domain::kMaxPendingBytes (64 KiB) of erased nodes plus one node, and
// the shared list of old tables no more than 64 KiB plus one table (a bigger
// table is freed before the insert or erase that retired it returns): at most
// T x (64 KiB + one node) + 64 KiB + the largest shard table for T threads,
// whatever the readers do (a writer over the cap waits for them).
// reclaim_pending_peak_bytes reports each list's peak, summed.
//
// Node memory is recycled per thread: a ripe node is destroyed and kept as a
// spare of the thread that erased it (at most Domain::kMaxSpares, 512 nodes),
// and that thread's next insert builds in a spare before it asks the
// allocator, so steady churn runs without a malloc and free per insert and
// erase. Spares are allocated bytes and count in the footprint; quiesce()
// releases them.
//
// When memory comes back: node bytes after the epoch delay above (or at
// quiesce()), except up to 512 spare nodes per thread. Tombstones are dropped
// when a shard rebuilds its table: at the 3/4 load point (used = live +
// tombstones) a shard rebuilds at the same size (a cleanup) while tombstones
// hold at least 1/16 of its slots, i.e. while live keys fill at most 11/16,
// and at double size only when live keys alone fill more than that. So churn
// at a constant live set never grows a table (a workload at fill 0.85 of the
// growth point keeps 0.64 of the slots live), and a cleanup always frees at
// least 1/16 of the slots, which the inserts before the next rebuild use:
// each rebuild's copy of the table is paid for by at least cap/16 inserts. A
// shard whose live keys fall under 1/8 of its slots rebuilds at the smallest
// size that holds them under 1/4 load (never below what reserve() asked for),
// and an empty shard drops its table. Old tables are retired like nodes.
//
// Slots are 64-bit words: 0 empty, 1 tombstone, else a node pointer with 16
// hash bits (the tag) in its unused top bits, so a probe dereferences a node
// only when the tag matches. A slot only ever goes empty -> node ->
// tombstone -> node within one table, so a key present for the whole of a
// find is always reached. Nodes are never modified after publication: a find
// reads the value it returns while still inside its guard.
//
// reserve(n): every shard's table is sized so that its share of n keys (with
// slack for hash imbalance) fits under the 3/4 load point, and shrinking
// never goes below that size afterwards.
#pragma once

#include <algorithm>
#include <atomic>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <mutex>  // std::lock_guard
#include <new>
#include <type_traits>
#include <utility>

#include "impls/core/compaction_timer.h"
#include "impls/core/counting_allocator.h"
#include "impls/core/epoch_reclaimer.h"
#include "impls/core/footprint.h"
#include "impls/core/hash.h"
#include "impls/core/probe_sequence.h"
#include "impls/core/register.h"
#include "impls/core/spin_lock.h"

namespace dstudy {

template <class K, class V>
class ConcurrentMap {
 public:
  using key_type = K;
  using mapped_type = V;

  static constexpr bool kThreadSafe = true;
  static constexpr bool kOrdered = false;
  // Erasing everything frees every node and drops every shard's table (after
  // the epoch delay, at the latest at quiesce()).
  static constexpr bool kReturnsMemory = true;

  static constexpr unsigned kShardBits = 7;
  static constexpr std::size_t kShards = std::size_t{1} << kShardBits;
  static constexpr std::size_t kMinCapacity = 8;
  static constexpr double kMaxLoad = 0.75;
  // At the kMaxLoad point a shard cleans its table at the same size while
  // live keys fill at most this share of it (the rest are tombstones), and
  // doubles it otherwise: a cleanup frees at least kMaxLoad - this = 1/16.
  static constexpr double kMaxLiveAfterCleanup = 0.6875;

  ConcurrentMap() : domain_(this, &ConcurrentMap::release_node_cb) {
    shards_ = Alloc<Shard>(&bytes_).allocate(kShards);
    for (std::size_t i = 0; i < kShards; ++i) new (&shards_[i]) Shard();
  }

  ConcurrentMap(const ConcurrentMap&) = delete;
  ConcurrentMap& operator=(const ConcurrentMap&) = delete;

  ~ConcurrentMap() {
    domain_.quiesce();
    for (std::size_t i = 0; i < kShards; ++i) {
      Table* t = tables_[i].load(std::memory_order_relaxed);
      if (t) {
        for (std::size_t s = 0; s <= t->mask; ++s) {
          const std::uintptr_t w = t->slots()[s].load(std::memory_order_relaxed);
          if (w > kTombstone) free_node(node_of(w));
        }
        free_table(t);
      }
      shards_[i].~Shard();
    }
    Alloc<Shard>(&bytes_).deallocate(shards_, kShards);
  }

  bool insert(const K& key, V&& value) {
    const std::size_t h = Hash<K>{}(key);
    Shard& sh = shard_for(h);
    // Build the node outside the lock; it is thrown away if the key exists.
    Node* node = new_node(h, key, std::move(value));
    Table* old_table = nullptr;
    {
      std::lock_guard lock(sh.mu);
      Table* t = table_of(sh).load(std::memory_order_relaxed);
      if (t) {
        const std::uint16_t tag = tag_of(h);
        LinearProbe seq(h, t->mask);
        std::size_t first_tomb = kNone;
        for (;; seq.next()) {
          const std::size_t i = seq.offset();
          const std::uintptr_t w = t->slots()[i].load(std::memory_order_relaxed);
          if (w == kEmpty) break;
          if (w == kTombstone) {
            if (first_tomb == kNone) first_tomb = i;
          } else if (tag_in(w) == tag && matches(node_of(w), h, key)) {
            node->~Node();
            domain_.keep_spare(node);  // never published
            return false;
          }
        }
        if (first_tomb != kNone) {
          t->slots()[first_tomb].store(pack(node, tag), std::memory_order_release);
          sh.tombstones.store(sh.tombstones.load(std::memory_order_relaxed) - 1, std::memory_order_relaxed);
          sh.size.store(sh.size.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
          return true;
        }
        const std::size_t live = sh.size.load(std::memory_order_relaxed);
        const std::size_t used = live + sh.tombstones.load(std::memory_order_relaxed);
        if (static_cast<double>(used + 1) <= kMaxLoad * static_cast<double>(t->mask + 1)) {
          t->slots()[seq.offset()].store(pack(node, tag), std::memory_order_release);
          sh.size.store(live + 1, std::memory_order_relaxed);
          return true;
        }
      }
      // No table yet, or the 3/4 load point: rebuild, then place the node.
      // Grow only when live keys, not tombstones, fill the table.
      const std::size_t live = sh.size.load(std::memory_order_relaxed);
      std::size_t cap = t ? t->mask + 1 : std::max(kMinCapacity, sh.floor);
      if (t && static_cast<double>(live + 1) > kMaxLiveAfterCleanup * static_cast<double>(cap)) cap *= 2;
      Table* nt = rebuild(sh, t, cap);
      old_table = t;
      place(nt, node, h);
      sh.size.store(live + 1, std::memory_order_relaxed);
    }
    retire_table(old_table);
    return true;
  }

  bool erase(const K& key) {
    const std::size_t h = Hash<K>{}(key);
    Shard& sh = shard_for(h);
    Node* victim = nullptr;
    Table* old_table = nullptr;
    {
      std::lock_guard lock(sh.mu);
      Table* t = table_of(sh).load(std::memory_order_relaxed);
      if (!t) return false;
      const std::uint16_t tag = tag_of(h);
      for (LinearProbe seq(h, t->mask);; seq.next()) {
        const std::size_t i = seq.offset();
        const std::uintptr_t w = t->slots()[i].load(std::memory_order_relaxed);
        if (w == kEmpty) return false;
        if (w != kTombstone && tag_in(w) == tag && matches(node_of(w), h, key)) {
          victim = node_of(w);
          t->slots()[i].store(kTombstone, std::memory_order_release);
          break;
        }
      }
      const std::size_t live = sh.size.load(std::memory_order_relaxed) - 1;
      sh.size.store(live, std::memory_order_relaxed);
      sh.tombstones.store(sh.tombstones.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
      const std::size_t cap = t->mask + 1;
      if (live == 0 && sh.floor == 0) {
        // Empty shard: drop the table (readers may still be probing it).
        table_of(sh).store(nullptr, std::memory_order_release);
        sh.tombstones.store(0, std::memory_order_relaxed);
        sh.capacity.store(0, std::memory_order_relaxed);
        old_table = t;
        rebuilds_.add(1, 0);  // nothing to copy: counted, no time
      } else if (cap > kMinCapacity && cap > sh.floor && live * 8 < cap) {
        std::size_t new_cap = std::max({kMinCapacity, sh.floor, std::bit_ceil(live * 4)});
        if (new_cap < cap) {
          rebuild(sh, t, new_cap);
          old_table = t;
        }
      }
    }
    // Outside the lock: either may wait for readers (the lag bound).
    domain_.retire_reusable(victim, &ConcurrentMap::destroy_node_cb, sizeof(Node));
    retire_table(old_table);
    return true;
  }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    const std::size_t h = Hash<K>{}(key);
    const Shard& sh = shard_for(h);
    epoch::Domain::Guard guard(domain_);
    const Table* t = table_of(sh).load(std::memory_order_acquire);
    if (!t) return false;
    const std::uint16_t tag = tag_of(h);
    for (LinearProbe seq(h, t->mask);; seq.next()) {
      const std::uintptr_t w = t->slots()[seq.offset()].load(std::memory_order_acquire);
      if (w == kEmpty) return false;
      if (w != kTombstone && tag_in(w) == tag) {
        const Node* n = node_of(w);
        if (matches(n, h, key)) {
          on_found(static_cast<const V&>(n->value));
          return true;
        }
      }
    }
  }

  std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < kShards; ++i) n += shards_[i].size.load(std::memory_order_relaxed);
    return n;
  }

  Footprint footprint() const {
    Footprint f;
    f.bytes = bytes_.bytes();
    std::size_t capacity = 0, tombstones = 0;
    for (std::size_t i = 0; i < kShards; ++i) {
      capacity += shards_[i].capacity.load(std::memory_order_relaxed);
      tombstones += shards_[i].tombstones.load(std::memory_order_relaxed);
    }
    f.capacity = capacity;
    f.max_load = kMaxLoad;
    f.tombstones = tombstones;
    rebuilds_.report(f);
    f.reclaim_pending_bytes = domain_.pending_bytes();
    f.reclaim_pending_peak_bytes = domain_.peak_pending_bytes();
    return f;
  }

  // Frees every retired node and table. Only while no other thread is inside.
  void quiesce() { domain_.quiesce(); }

  // Room for n keys without growing (see the header comment).
  void reserve(std::size_t n) {
    const double per_shard = static_cast<double>(n) / kShards;
    const double want = per_shard + 4.0 * std::sqrt(per_shard) + 8.0;
    const std::size_t cap = std::max(kMinCapacity, std::bit_ceil(static_cast<std::size_t>(want / kMaxLoad) + 1));
    for (std::size_t i = 0; i < kShards; ++i) {
      Shard& sh = shards_[i];
      Table* old_table = nullptr;
      {
        std::lock_guard lock(sh.mu);
        sh.floor = std::max(sh.floor, cap);
        Table* t = table_of(sh).load(std::memory_order_relaxed);
        if (!t || t->mask + 1 < cap) {
          rebuild(sh, t, cap);
          old_table = t;
        }
      }
      retire_table(old_table);
    }
  }

 private:
  struct Node {
    std::size_t hash;
    K key;
    V value;
  };

  // Every byte the map holds comes through this allocator, so bytes_ is the
  // exact sum of the live allocations (retired ones included until freed).
  template <class T>
  using Alloc = CountingAllocator<T, AtomicByteCounter>;

  // A header followed in the same block by mask + 1 slot words.
  struct alignas(std::atomic<std::uintptr_t>) Table {
    std::size_t mask;
    std::atomic<std::uintptr_t>* slots() { return reinterpret_cast<std::atomic<std::uintptr_t>*>(this + 1); }
    const std::atomic<std::uintptr_t>* slots() const {
      return reinterpret_cast<const std::atomic<std::uintptr_t>*>(this + 1);
    }
  };

  // Writer state. The table pointer readers need lives in tables_, apart
  // from these write-hot lines, so writers do not keep invalidating it.
  struct alignas(64) Shard {
    SpinLock mu;
    // Written under mu, read anywhere.
    std::atomic<std::size_t> size{0};
    std::atomic<std::size_t> tombstones{0};
    std::atomic<std::size_t> capacity{0};
    std::size_t floor = 0;  // reserve()'s minimum capacity, under mu
  };

  static constexpr std::uintptr_t kEmpty = 0;
  static constexpr std::uintptr_t kTombstone = 1;
  static constexpr std::size_t kNone = ~std::size_t{0};
  static constexpr unsigned kTagShift = 48;
  static constexpr std::uintptr_t kPtrMask = (std::uintptr_t{1} << kTagShift) - 1;

  static std::uint16_t tag_of(std::size_t h) { return static_cast<std::uint16_t>(h >> 32); }
  static std::uint16_t tag_in(std::uintptr_t w) { return static_cast<std::uint16_t>(w >> kTagShift); }
  static Node* node_of(std::uintptr_t w) { return reinterpret_cast<Node*>(w & kPtrMask); }
  static std::uintptr_t pack(Node* n, std::uint16_t tag) {
    return reinterpret_cast<std::uintptr_t>(n) | (static_cast<std::uintptr_t>(tag) << kTagShift);
  }

  static bool matches(const Node* n, std::size_t h, const K& key) {
    if constexpr (std::is_integral_v<K>) {
      (void)h;
      return n->key == key;
    } else {
      return n->hash == h && n->key == key;
    }
  }

  Shard& shard_for(std::size_t h) const { return shards_[h >> (64 - kShardBits)]; }
  std::atomic<Table*>& table_of(const Shard& sh) { return tables_[&sh - shards_]; }
  const std::atomic<Table*>& table_of(const Shard& sh) const { return tables_[&sh - shards_]; }

  static std::size_t table_bytes(std::size_t cap) { return sizeof(Table) + cap * sizeof(std::atomic<std::uintptr_t>); }

  // In a spare of this thread's if it has one, else in new memory.
  Node* new_node(std::size_t h, const K& key, V&& value) {
    void* mem = domain_.take_spare();
    if (!mem) {
      mem = Alloc<Node>(&bytes_).allocate(1);
      // The slot word keeps 16 tag bits above the pointer.
      if (reinterpret_cast<std::uintptr_t>(mem) & ~kPtrMask) std::abort();
    }
    try {
      return new (mem) Node{h, key, std::move(value)};
    } catch (...) {
      domain_.keep_spare(mem);
      throw;
    }
  }

  void free_node(Node* n) noexcept {
    n->~Node();
    Alloc<Node>(&bytes_).deallocate(n, 1);
  }

  void retire_table(Table* t) {
    if (t) domain_.retire(t, &ConcurrentMap::free_table_cb, table_bytes(t->mask + 1));
  }

  Table* new_table(std::size_t cap) {
    void* mem = Alloc<std::byte>(&bytes_).allocate(table_bytes(cap));
    Table* t = new (mem) Table{cap - 1};
    for (std::size_t i = 0; i < cap; ++i) new (t->slots() + i) std::atomic<std::uintptr_t>(kEmpty);
    return t;
  }

  void free_table(Table* t) noexcept {
    Alloc<std::byte>(&bytes_).deallocate(reinterpret_cast<std::byte*>(t), table_bytes(t->mask + 1));
  }

  // A ripe node: its lifetime ends, its memory becomes a spare.
  static void destroy_node_cb(void*, void* p) noexcept { static_cast<Node*>(p)->~Node(); }
  // A spare the domain does not keep: back to the allocator.
  static void release_node_cb(void* ctx, void* p) noexcept {
    Alloc<Node>(&static_cast<ConcurrentMap*>(ctx)->bytes_).deallocate(static_cast<Node*>(p), 1);
  }
  static void free_table_cb(void* ctx, void* p) noexcept {
    static_cast<ConcurrentMap*>(ctx)->free_table(static_cast<Table*>(p));
  }

  // Into a table being built (not yet visible): the first empty slot on the
  // probe path of hash h gets the slot word w.
  static void place_word(Table* t, std::uintptr_t w, std::size_t h, std::memory_order order) {
    LinearProbe seq(h, t->mask);
    while (t->slots()[seq.offset()].load(std::memory_order_relaxed) != kEmpty) seq.next();
    t->slots()[seq.offset()].store(w, order);
  }
  static void place(Table* t, Node* n, std::size_t h) {
    place_word(t, pack(n, tag_of(h)), h, std::memory_order_release);
  }

  // Under sh.mu: copies the live nodes of `old` into a new table of `cap`
  // slots and publishes it. The caller retires `old` once it let go of the
  // lock.
  Table* rebuild(Shard& sh, Table* old, std::size_t cap) {
    CompactionTimer timer(rebuilds_);
    Table* t = new_table(cap);
    if (old) {
      for (std::size_t s = 0; s <= old->mask; ++s) {
        const std::uintptr_t w = old->slots()[s].load(std::memory_order_relaxed);
        if (w > kTombstone) place_word(t, w, node_of(w)->hash, std::memory_order_relaxed);
      }
    }
    table_of(sh).store(t, std::memory_order_release);
    sh.tombstones.store(0, std::memory_order_relaxed);
    sh.capacity.store(cap, std::memory_order_relaxed);
    return t;
  }

  // Read by every operation, written only by the constructor.
  Shard* shards_ = nullptr;
  alignas(64) std::atomic<Table*> tables_[kShards] = {};
  // Written when memory is allocated or freed (rarely once spares circulate),
  // on a line of its own; before domain_: retired objects are freed into it.
  alignas(64) AtomicByteCounter bytes_;
  AtomicCompactionStats rebuilds_;
  alignas(64) mutable epoch::Domain domain_;
};

}  // namespace dstudy

DSTUDY_REGISTER(concurrent_map, dstudy::ConcurrentMap, study)
