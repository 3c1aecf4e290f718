// Ring buffer map: entries sit in a ring of slots in insertion order, with a
// hash index (impls/core/slot_index.h) from key to slot for lookups.
//
// Erase is O(1) whatever the order: it destroys the entry in its slot (so the
// value's and key's heap memory go back at once), marks the slot dead and
// drops the key from the index, which has no tombstones. The slot itself is
// only reusable once it leaves the live span head..tail: the head cursor skips
// dead slots at the oldest end and the tail cursor gives back dead slots at the
// newest end, so FIFO (TTL, timers) and LIFO deletes recycle slots at once and
// the ring's memory stays flat. Deletes in the middle leave dead slots behind
// until the span reaches the ring's capacity; then the ring is rebuilt at
// twice the live count (rounded up to a power of two), squeezing dead slots
// out on the way: it grows if the live entries need it, keeps its size if
// dead slots were the problem, and shrinks if most of it was dead. It also
// shrinks on erase when fewer than 1/8 of its slots are live, so erasing
// everything gives the ring's and the index's memory back (kReturnsMemory).
// The ring and its live bits allocate through a CountingAllocator, as the
// index does inside, so Footprint::bytes is the exact sum of the live
// allocations.
// How many dead slots build up before a rebuild, under each delete order, is
// what the study measures.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <utility>
#include <vector>

#include "impls/core/bitset.h"
#include "impls/core/compaction_timer.h"
#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/hash.h"
#include "impls/core/iteration.h"
#include "impls/core/register.h"
#include "impls/core/slot_index.h"

namespace dstudy {

template <class K, class V>
class RingBuffer : public PositionIteration<RingBuffer<K, V>, K, V> {
  struct Slot {
    K key;
    V value;
  };

 public:
  using key_type = K;
  using mapped_type = V;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = true;

  // The smallest ring once one is allocated; the ring shrinks when fewer than
  // 1/kShrinkDen of its slots are live.
  static constexpr std::size_t kMinCapacity = 16;
  static constexpr std::size_t kShrinkDen = 8;

  RingBuffer() = default;
  RingBuffer(const RingBuffer&) = delete;
  RingBuffer& operator=(const RingBuffer&) = delete;
  ~RingBuffer() {
    destroy_live();
    deallocate_ring(ring_, capacity_);
  }

  bool insert(const K& key, V&& value) {
    const std::uint64_t hash = Hash<K>{}(key);
    if (locate(hash, key) != SlotIndex::kNotFound) return false;
    if (span_ == capacity_) rebuild(ring_capacity_for(live_ + 1));
    index_.prepare_insert();
    const std::size_t slot = (head_ + span_) & mask_;
    std::construct_at(&ring_[slot], key, std::move(value));
    live_bits_.set(slot);
    index_.insert(hash, static_cast<std::uint32_t>(slot));
    ++span_;
    ++live_;
    return true;
  }

  bool erase(const K& key) {
    const std::size_t bucket = locate(Hash<K>{}(key), key);
    if (bucket == SlotIndex::kNotFound) return false;
    const std::size_t slot = index_.slot_at(bucket);
    index_.erase_at(bucket);
    std::destroy_at(&ring_[slot]);
    live_bits_.reset(slot);
    --live_;
    if (live_ == 0) {
      head_ = 0;
      span_ = 0;
    } else if (slot == head_) {
      // The oldest entry went: the head moves past every dead slot behind it.
      do {
        head_ = (head_ + 1) & mask_;
        --span_;
      } while (!is_live(head_));
    } else if (slot == ((head_ + span_ - 1) & mask_)) {
      // The newest entry went: the tail steps back over dead slots.
      do {
        --span_;
      } while (!is_live((head_ + span_ - 1) & mask_));
    }
    if (live_ * kShrinkDen < capacity_ && capacity_ > kMinCapacity) rebuild(ring_capacity_for(live_));
    index_.shrink_if_sparse();
    return true;
  }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    const std::size_t bucket = locate(Hash<K>{}(key), key);
    if (bucket == SlotIndex::kNotFound) return false;
    on_found(ring_[index_.slot_at(bucket)].value);
    return true;
  }

  std::size_t size() const { return live_; }

  // Room for n entries inserted in a row without a rebuild.
  void reserve(std::size_t n) {
    if (n > capacity_) rebuild(std::max(ring_capacity_for(live_), std::bit_ceil(std::max(n, kMinCapacity))));
    index_.reserve(n);
  }

  // Iteration positions (impls/core/iteration.h): offsets from the head, so
  // iteration runs oldest first and erase_first() is a FIFO erase.
  std::size_t iter_next(std::size_t from) const {
    for (std::size_t p = from; p < span_; ++p)
      if (is_live((head_ + p) & mask_)) return p;
    return kNoPosition;
  }
  const K& iter_key(std::size_t p) const { return ring_[(head_ + p) & mask_].key; }
  const V& iter_value(std::size_t p) const { return ring_[(head_ + p) & mask_].value; }
  std::size_t iter_find(const K& key) const {
    const std::size_t bucket = locate(Hash<K>{}(key), key);
    if (bucket == SlotIndex::kNotFound) return kNoPosition;
    return (index_.slot_at(bucket) - head_) & mask_;
  }

  Footprint footprint() const {
    Footprint f;
    f.bytes = bytes_.bytes() + index_.bytes();
    f.capacity = capacity_;
    f.tombstones = span_ - live_;
    rebuilds_.report(f);
    return f;
  }

 private:
  std::size_t locate(std::uint64_t hash, const K& key) const {
    return index_.find(hash, [&](std::uint32_t slot) { return ring_[slot].key == key; });
  }

  bool is_live(std::size_t slot) const { return live_bits_.test(slot); }

  // Twice the live count, so a rebuilt ring has at least as many free slots
  // as live ones and the next rebuild is as far away as this one's cost.
  static std::size_t ring_capacity_for(std::size_t live) {
    const std::size_t want = std::max(kMinCapacity, 2 * live);
    if (want > std::size_t{SlotIndex::kMaxSlot} + 1) throw std::length_error("RingBuffer: too many entries");
    return std::bit_ceil(want);
  }

  Slot* allocate_ring(std::size_t n) { return n ? CountingAllocator<Slot>(&bytes_).allocate(n) : nullptr; }
  void deallocate_ring(Slot* p, std::size_t n) {
    if (p) CountingAllocator<Slot>(&bytes_).deallocate(p, n);
  }

  void destroy_live() {
    for (std::size_t i = 0; i < span_; ++i) {
      const std::size_t slot = (head_ + i) & mask_;
      if (is_live(slot)) std::destroy_at(&ring_[slot]);
    }
  }

  // Moves the live entries, in order, to the front of a ring of new_capacity
  // slots (in place when the capacity stays), and tells the index where each
  // went. An entry's new slot is its rank among the live slots from the head,
  // which per-word prefix counts of the live bits give without touching keys.
  void rebuild(std::size_t new_capacity) {
    CompactionTimer timer(rebuilds_);
    const std::size_t words = Bitset<>::words_for(capacity_);
    if (live_ > 0) {
      std::vector<std::uint32_t> before(words + 1);  // live slots in words [0, w)
      for (std::size_t w = 0; w < words; ++w) {
        before[w + 1] = before[w] + static_cast<std::uint32_t>(std::popcount(live_bits_.word(w)));
      }
      auto live_below = [&](std::size_t slot) {  // live slots in [0, slot)
        const std::uint64_t below = live_bits_.word(slot / 64) & ((std::uint64_t{1} << (slot % 64)) - 1);
        return std::size_t{before[slot / 64]} + static_cast<std::size_t>(std::popcount(below));
      };
      const std::size_t head_rank = live_below(head_);
      const std::size_t new_head = new_capacity == capacity_ ? head_ : 0;
      const std::size_t new_mask = new_capacity - 1;
      index_.remap([&](std::uint32_t slot) {
        const std::size_t rank = slot >= head_ ? live_below(slot) - head_rank : live_ - head_rank + live_below(slot);
        return static_cast<std::uint32_t>((new_head + rank) & new_mask);
      });
    }

    if (new_capacity == capacity_) {
      // Same size: slide live entries back over the dead ones, oldest first.
      // The write cursor trails the read cursor, so nothing live is overrun.
      std::size_t write = 0;
      for (std::size_t read = 0; read < span_; ++read) {
        const std::size_t from = (head_ + read) & mask_;
        if (!is_live(from)) continue;
        if (write != read) {
          const std::size_t to = (head_ + write) & mask_;
          std::construct_at(&ring_[to], std::move(ring_[from]));
          std::destroy_at(&ring_[from]);
        }
        ++write;
      }
    } else {
      Slot* fresh = allocate_ring(new_capacity);
      std::size_t write = 0;
      for (std::size_t read = 0; read < span_; ++read) {
        const std::size_t from = (head_ + read) & mask_;
        if (!is_live(from)) continue;
        std::construct_at(&fresh[write++], std::move(ring_[from]));
        std::destroy_at(&ring_[from]);
      }
      deallocate_ring(ring_, capacity_);
      ring_ = fresh;
      head_ = 0;
      capacity_ = new_capacity;
      mask_ = new_capacity - 1;
    }
    // Live entries now fill [head_, head_ + live_).
    live_bits_.assign_clear_exact(capacity_);
    for (std::size_t i = 0; i < live_; ++i) live_bits_.set((head_ + i) & mask_);
    span_ = live_;
  }

  using WordAlloc = CountingAllocator<std::uint64_t>;
  ByteCounter bytes_;                                // ring_ and live_bits_, allocated through it
  Slot* ring_ = nullptr;                             // capacity_ slots, live ones constructed
  Bitset<WordAlloc> live_bits_{WordAlloc(&bytes_)};  // one bit per slot
  std::size_t capacity_ = 0;                         // a power of two, or 0 before the first insert
  std::size_t mask_ = 0;
  std::size_t head_ = 0;  // slot of the oldest live entry
  std::size_t span_ = 0;  // slots from head_ to the tail, dead ones included
  std::size_t live_ = 0;
  SlotIndex index_;
  CompactionStats rebuilds_;
};

}  // namespace dstudy

DSTUDY_REGISTER(ring_buffer, dstudy::RingBuffer, study)
