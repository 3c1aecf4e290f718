// SlotIndex: an open-addressing hash index from a key's hash to a 32-bit slot
// number in some other array (the ring buffer's slots). It stores no keys:
// the owner confirms a candidate by comparing the key in its own slot.
//
// Linear probing with backward-shift deletion: an erase pulls the following
// entries of its cluster back instead of leaving a tombstone, so the index
// never fills with dead entries and its load is exactly size / capacity. That
// matters here because the structure it serves already has dead slots of its
// own; the index must not add a second kind of debris.
//
// Each 64-bit entry holds the hash's upper 32 bits (which also pick the home
// bucket) and slot + 1 (0 means empty). The stored hash bits filter out almost
// every wrong candidate before the owner touches its slot, and let the index
// rehash or shrink without reading a single key.
//
// Capacity is a power of two, grown at 3/4 load and shrunk (by shrink_if_
// sparse) below 1/8, so the index's memory follows the live count both ways.
// The table allocates through a CountingAllocator, the owners' one way of
// counting bytes, so bytes() is the exact size of the live allocation.
#pragma once

#include <algorithm>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <utility>

#include "impls/core/counting_allocator.h"

namespace dstudy {

class SlotIndex {
 public:
  static constexpr std::size_t kNotFound = ~std::size_t{0};
  static constexpr std::size_t kMinCapacity = 16;
  static constexpr std::uint32_t kMaxSlot = 0xFFFFFFFEu;

  SlotIndex() = default;
  SlotIndex(const SlotIndex&) = delete;
  SlotIndex& operator=(const SlotIndex&) = delete;
  ~SlotIndex() { release(); }

  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return capacity_; }
  std::size_t bytes() const noexcept { return bytes_.bytes(); }

  // Bucket of the entry whose slot satisfies is_key(slot), or kNotFound.
  template <class IsKey>
  std::size_t find(std::uint64_t hash, IsKey&& is_key) const {
    if (size_ == 0) return kNotFound;
    const std::uint64_t tag = tag_of(hash);
    for (std::size_t b = home_of(tag);; b = (b + 1) & mask_) {
      const std::uint64_t e = table_[b];
      if (e == 0) return kNotFound;
      if ((e >> 32) == tag && is_key(static_cast<std::uint32_t>(e) - 1)) return b;
    }
  }

  std::uint32_t slot_at(std::size_t bucket) const noexcept { return static_cast<std::uint32_t>(table_[bucket]) - 1; }

  // Makes room for one more entry, so that the insert after it cannot fail.
  void prepare_insert() {
    if ((size_ + 1) * 4 > capacity_ * 3) rehash(std::max(kMinCapacity, capacity_ * 2));
  }

  // Adds hash -> slot; the key must be absent and prepare_insert() called.
  void insert(std::uint64_t hash, std::uint32_t slot) noexcept {
    const std::uint64_t e = (tag_of(hash) << 32) | (std::uint64_t{slot} + 1);
    place(e);
    ++size_;
  }

  // Removes the entry at bucket, shifting later members of its cluster back
  // so that every entry stays reachable from its home without a tombstone.
  void erase_at(std::size_t bucket) noexcept {
    std::size_t hole = bucket;
    for (std::size_t b = (bucket + 1) & mask_;; b = (b + 1) & mask_) {
      const std::uint64_t e = table_[b];
      if (e == 0) break;
      // e may fill the hole if the hole lies between e's home and b.
      const std::size_t home = home_of(e >> 32);
      if (((b - home) & mask_) >= ((b - hole) & mask_)) {
        table_[hole] = e;
        hole = b;
      }
    }
    table_[hole] = 0;
    --size_;
  }

  // Rewrites every entry's slot as new_slot(old_slot); the owner calls it
  // after moving its slots around.
  template <class F>
  void remap(F&& new_slot) {
    for (std::size_t b = 0; b < capacity_; ++b) {
      const std::uint64_t e = table_[b];
      if (e != 0) {
        const std::uint32_t slot = new_slot(static_cast<std::uint32_t>(e) - 1);
        table_[b] = (e & 0xFFFFFFFF00000000ull) | (std::uint64_t{slot} + 1);
      }
    }
  }

  // Room for n entries without growing.
  void reserve(std::size_t n) {
    const std::size_t want = std::bit_ceil(std::max(kMinCapacity, (n * 4 + 2) / 3));
    if (want > capacity_) rehash(want);
  }

  // Gives memory back once fewer than 1/8 of the buckets are used; returns
  // whether it did. The smallest table stays, so one key coming and going
  // does not allocate each time.
  bool shrink_if_sparse() {
    if (capacity_ <= kMinCapacity || size_ * 8 >= capacity_) return false;
    rehash(std::bit_ceil(std::max(kMinCapacity, size_ * 2)));
    return true;
  }

 private:
  static std::uint64_t tag_of(std::uint64_t hash) noexcept { return hash >> 32; }
  std::size_t home_of(std::uint64_t tag) const noexcept { return static_cast<std::size_t>(tag) & mask_; }

  void place(std::uint64_t e) noexcept {
    std::size_t b = home_of(e >> 32);
    while (table_[b] != 0) b = (b + 1) & mask_;
    table_[b] = e;
  }

  void rehash(std::size_t new_capacity) {
    if (new_capacity > (std::size_t{1} << 32)) throw std::length_error("SlotIndex: too many entries");
    std::uint64_t* old = table_;
    const std::size_t old_capacity = capacity_;
    table_ = alloc().allocate(new_capacity);
    std::memset(table_, 0, new_capacity * sizeof(std::uint64_t));
    capacity_ = new_capacity;
    mask_ = new_capacity - 1;
    for (std::size_t b = 0; b < old_capacity; ++b) {
      if (old[b] != 0) place(old[b]);
    }
    if (old) alloc().deallocate(old, old_capacity);
  }

  void release() noexcept {
    if (table_) alloc().deallocate(table_, capacity_);
    table_ = nullptr;
    capacity_ = 0;
    mask_ = 0;
  }

  CountingAllocator<std::uint64_t> alloc() noexcept { return CountingAllocator<std::uint64_t>(&bytes_); }

  ByteCounter bytes_;
  std::uint64_t* table_ = nullptr;
  std::size_t capacity_ = 0;
  std::size_t mask_ = 0;
  std::size_t size_ = 0;
};

}  // namespace dstudy
