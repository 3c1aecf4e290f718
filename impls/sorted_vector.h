// Sorted vector with binary search, in two erase policies.
//
// Eager: erase shifts the tail down at once, so every erase costs O(n) moves
// (the price boost::container::flat_map pays) and the array never holds a
// dead entry.
//
// Lazy: erase only sets a dead bit and drops the value's heap memory, because
// shifting is what makes a sorted array slow to delete from; the key stays so
// the array remains sorted for binary search. Dead entries are paid for in a
// batch: once more than a quarter of the array is dead, one pass squeezes them
// out (O(1) amortised moves per erase). A reinserted key revives its dead
// entry in place, and a new key whose position borders a dead entry takes it
// over. Other new keys go to a small sorted pending buffer, merged into the
// array in one backward pass when it reaches ~sqrt(2n) entries (sqrt(8n) for
// trivially copyable entries), which balances the merge's O(n) against the
// buffer's own shifts.
//
// Memory: both give capacity back when the live count falls below a quarter
// of the array's capacity (they reallocate to twice the live count), so
// erasing everything returns the structure's memory. Until then erased slots
// stay allocated: eagerly erased ones as spare capacity, lazily erased ones
// as dead entries (with their keys' heap bytes) until the next compaction.
// Every array allocates through a CountingAllocator, so Footprint::bytes is
// the exact sum of the live allocations.
#pragma once

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <type_traits>
#include <utility>
#include <vector>

#include "impls/core/bitset.h"
#include "impls/core/compaction_timer.h"
#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/iteration.h"
#include "impls/core/register.h"

namespace dstudy {

namespace sorted_vector_detail {

template <class K, class V>
struct Entry {
  K key;
  V value;
};

// Index of the first entry whose key is not less than `key`. The loop body
// has no data-dependent branch for integer keys (the compiler emits a
// conditional move), which keeps the search fast on a cold array.
template <class E, class K>
std::size_t lower_bound(const E* data, std::size_t n, const K& key) {
  if (n == 0) return 0;
  const E* base = data;
  while (n > 1) {
    const std::size_t half = n / 2;
    base = (base[half - 1].key < key) ? base + half : base;
    n -= half;
  }
  return static_cast<std::size_t>(base - data) + (base->key < key ? 1 : 0);
}

// Below this many slots a vector is never shrunk: reallocating it saves less
// than the allocator's own rounding.
inline constexpr std::size_t kMinShrinkCapacity = 16;

// Reallocates v to hold about twice its size when fewer than a quarter of its
// slots are in use. Returns whether it did.
template <class T, class A>
bool shrink_if_sparse(std::vector<T, A>& v) {
  if (v.capacity() <= kMinShrinkCapacity || v.size() * 4 >= v.capacity()) return false;
  std::vector<T, A> fresh(v.get_allocator());
  if (!v.empty()) {
    fresh.reserve(std::max(v.size() * 2, kMinShrinkCapacity));
    std::move(v.begin(), v.end(), std::back_inserter(fresh));
  }
  v.swap(fresh);
  return true;
}

}  // namespace sorted_vector_detail

// ---------------------------------------------------------------------------
// Eager: erase shifts.
template <class K, class V>
class SortedVectorEager : public PositionIteration<SortedVectorEager<K, V>, K, V> {
  using Entry = sorted_vector_detail::Entry<K, V>;

 public:
  using key_type = K;
  using mapped_type = V;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = true;
  static constexpr bool kReturnsMemory = true;

  SortedVectorEager() = default;
  // The arrays' allocators point at bytes_: the object stays where it is.
  SortedVectorEager(const SortedVectorEager&) = delete;
  SortedVectorEager& operator=(const SortedVectorEager&) = delete;

  bool insert(const K& key, V&& value) {
    const std::size_t i = position(key);
    if (i < entries_.size() && entries_[i].key == key) return false;
    entries_.insert(entries_.begin() + static_cast<std::ptrdiff_t>(i), Entry{key, std::move(value)});
    return true;
  }

  bool erase(const K& key) {
    const std::size_t i = position(key);
    if (i == entries_.size() || !(entries_[i].key == key)) return false;
    entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
    if (entries_.size() * 4 < entries_.capacity()) {
      CompactionTimer timer(shrinks_);
      if (!sorted_vector_detail::shrink_if_sparse(entries_)) timer.cancel();
    }
    return true;
  }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    const std::size_t i = position(key);
    if (i == entries_.size() || !(entries_[i].key == key)) return false;
    on_found(entries_[i].value);
    return true;
  }

  std::size_t size() const { return entries_.size(); }

  void reserve(std::size_t n) { entries_.reserve(n); }

  // Iteration positions (impls/core/iteration.h): entries in key order.
  std::size_t iter_next(std::size_t from) const { return from < entries_.size() ? from : kNoPosition; }
  const K& iter_key(std::size_t p) const { return entries_[p].key; }
  const V& iter_value(std::size_t p) const { return entries_[p].value; }
  std::size_t iter_find(const K& key) const {
    const std::size_t i = position(key);
    return i < entries_.size() && entries_[i].key == key ? i : kNoPosition;
  }

  Footprint footprint() const {
    Footprint f;
    f.bytes = bytes_.bytes();
    f.capacity = entries_.capacity();
    f.tombstones = 0;
    shrinks_.report(f);
    return f;
  }

 private:
  std::size_t position(const K& key) const {
    return sorted_vector_detail::lower_bound(entries_.data(), entries_.size(), key);
  }

  ByteCounter bytes_;  // before the arrays that allocate through it
  std::vector<Entry, CountingAllocator<Entry>> entries_{CountingAllocator<Entry>(&bytes_)};
  CompactionStats shrinks_;
};

// ---------------------------------------------------------------------------
// Lazy: erase marks dead; dead entries and pending inserts are settled in
// batches.
template <class K, class V>
class SortedVectorLazy : public PositionIteration<SortedVectorLazy<K, V>, K, V> {
  using Entry = sorted_vector_detail::Entry<K, V>;

 public:
  using key_type = K;
  using mapped_type = V;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = true;
  static constexpr bool kReturnsMemory = true;

  // Compact once dead entries exceed this fraction of the main array.
  static constexpr std::size_t kDeadFractionDen = 4;  // 1/4
  // Pending buffer bounds (entries).
  static constexpr std::size_t kMinPending = 16;
  static constexpr std::size_t kMaxPending = 4096;
  // The pending buffer holds ~sqrt(kPendingFactor * n) entries. Its shifts
  // are memmoves for trivially copyable entries, cheaper per entry than the
  // merge's, so those get a longer buffer and fewer merges.
  static constexpr double kPendingFactor = std::is_trivially_copyable_v<Entry> ? 8.0 : 2.0;

  SortedVectorLazy() = default;
  // The arrays' allocators point at bytes_: the object stays where it is.
  SortedVectorLazy(const SortedVectorLazy&) = delete;
  SortedVectorLazy& operator=(const SortedVectorLazy&) = delete;

  bool insert(const K& key, V&& value) {
    const std::size_t n = main_.size();
    const std::size_t i = main_position(key);
    if (i < n && main_[i].key == key) {
      if (!is_dead(i)) return false;
      revive(i, std::move(value));  // the key is already in place
      return true;
    }
    const std::size_t j = pending_position(key);
    if (j < pending_.size() && pending_[j].key == key) return false;
    // main_[i - 1] < key < main_[i]: either neighbour, if dead, can take the
    // key without breaking the order.
    if (i > 0 && is_dead(i - 1)) {
      main_[i - 1].key = key;
      revive(i - 1, std::move(value));
      return true;
    }
    if (i < n && is_dead(i)) {
      main_[i].key = key;
      revive(i, std::move(value));
      return true;
    }
    pending_.insert(pending_.begin() + static_cast<std::ptrdiff_t>(j), Entry{key, std::move(value)});
    ++live_;
    if (pending_.size() >= pending_limit_) merge();
    return true;
  }

  bool erase(const K& key) {
    const std::size_t i = main_position(key);
    if (i < main_.size() && main_[i].key == key) {
      if (is_dead(i)) return false;
      main_[i].value = V{};  // free what the value owns now; the key keeps the order
      dead_bits_.set(i);
      ++dead_;
      --live_;
      if (dead_ * kDeadFractionDen > main_.size()) compact();
      return true;
    }
    const std::size_t j = pending_position(key);
    if (j < pending_.size() && pending_[j].key == key) {
      pending_.erase(pending_.begin() + static_cast<std::ptrdiff_t>(j));
      --live_;
      return true;
    }
    return false;
  }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    const std::size_t i = main_position(key);
    if (i < main_.size() && main_[i].key == key) {
      if (is_dead(i)) return false;  // keys are unique across main and pending
      on_found(main_[i].value);
      return true;
    }
    if (pending_.empty()) return false;
    const std::size_t j = pending_position(key);
    if (j < pending_.size() && pending_[j].key == key) {
      on_found(pending_[j].value);
      return true;
    }
    return false;
  }

  std::size_t size() const { return live_; }

  void reserve(std::size_t n) { main_.reserve(n); }

  // Iteration positions (impls/core/iteration.h): the live entries of the
  // main array in key order, then the pending buffer's (sorted among
  // themselves, not merged with the main array's). Finding the next live
  // entry tests the dead bits one by one, so it pays for every dead entry.
  std::size_t iter_next(std::size_t from) const {
    const std::size_t n = main_.size();
    for (; from < n; ++from)
      if (!is_dead(from)) return from;
    return from < n + pending_.size() ? from : kNoPosition;
  }
  const K& iter_key(std::size_t p) const { return entry_at(p).key; }
  const V& iter_value(std::size_t p) const { return entry_at(p).value; }
  std::size_t iter_find(const K& key) const {
    const std::size_t i = main_position(key);
    if (i < main_.size() && main_[i].key == key) return is_dead(i) ? kNoPosition : i;
    const std::size_t j = pending_position(key);
    return j < pending_.size() && pending_[j].key == key ? main_.size() + j : kNoPosition;
  }

  Footprint footprint() const {
    Footprint f;
    f.bytes = bytes_.bytes();
    f.capacity = main_.capacity() + pending_.capacity();
    f.tombstones = dead_;
    compactions_.report(f);
    return f;
  }

 private:
  std::size_t main_position(const K& key) const {
    return sorted_vector_detail::lower_bound(main_.data(), main_.size(), key);
  }
  std::size_t pending_position(const K& key) const {
    return sorted_vector_detail::lower_bound(pending_.data(), pending_.size(), key);
  }

  bool is_dead(std::size_t i) const { return dead_bits_.test(i); }
  const Entry& entry_at(std::size_t p) const { return p < main_.size() ? main_[p] : pending_[p - main_.size()]; }

  void revive(std::size_t i, V&& value) {
    main_[i].value = std::move(value);
    dead_bits_.reset(i);
    --dead_;
    ++live_;
  }

  // Dead bits for n entries, all clear (grown geometrically like the array),
  // and the pending limit for a main array of n entries.
  void reset_dead_bits(std::size_t n) {
    const auto root = static_cast<std::size_t>(std::sqrt(kPendingFactor * static_cast<double>(n)));
    pending_limit_ = std::clamp(root, kMinPending, kMaxPending);
    dead_bits_.assign_clear(n);
    dead_ = 0;
  }

  // Squeezes dead entries out of main_ in one forward pass, moving runs of
  // live entries as blocks (a memmove for trivially copyable entries).
  void drop_dead() {
    const std::size_t n = main_.size();
    const auto at = [&](std::size_t i) { return main_.begin() + static_cast<std::ptrdiff_t>(i); };
    std::size_t w = 0;
    for (std::size_t base = 0; base < n; base += 64) {
      const std::uint64_t dead = dead_bits_.word(base / 64);
      const std::size_t end = std::min(base + 64, n);
      std::size_t r = base;
      while (r < end) {
        const std::uint64_t ahead = dead >> (r - base);
        const std::size_t run = std::min<std::size_t>(ahead ? std::countr_zero(ahead) : 64, end - r);
        if (run != 0 && w != r) std::move(at(r), at(r + run), at(w));
        w += run;
        r += run + 1;  // past the run and the dead entry that ended it
      }
    }
    main_.erase(at(w), main_.end());
  }

  void release_if_sparse() {
    sorted_vector_detail::shrink_if_sparse(main_);
    if (pending_.empty() && pending_.capacity() > 2 * pending_limit_) Entries(pending_.get_allocator()).swap(pending_);
    dead_bits_.shrink_if_sparse(main_.size());
  }

  void compact() {
    CompactionTimer timer(compactions_);
    drop_dead();
    reset_dead_bits(main_.size());
    release_if_sparse();
  }

  // Moves the pending buffer into main_ (dropping dead entries first).
  void merge() {
    CompactionTimer timer(compactions_);
    if (dead_ != 0) drop_dead();
    const std::size_t n = main_.size();
    const std::size_t p = pending_.size();
    main_.resize(n + p);
    // Backward merge, one block of main_ per pending entry: the entries of
    // main_ above the pending key move up as a block, then the key drops in.
    // The write cursor never passes an unread entry.
    const auto at = [&](std::size_t i) { return main_.begin() + static_cast<std::ptrdiff_t>(i); };
    std::size_t r = n;
    std::size_t w = n + p;
    for (std::size_t q = p; q > 0; --q) {
      Entry& incoming = pending_[q - 1];
      const std::size_t pos = sorted_vector_detail::lower_bound(main_.data(), r, incoming.key);
      std::move_backward(at(pos), at(r), at(w));
      w -= r - pos;
      r = pos;
      main_[--w] = std::move(incoming);
    }
    pending_.clear();
    reset_dead_bits(main_.size());
  }

  using Entries = std::vector<Entry, CountingAllocator<Entry>>;
  using WordAlloc = CountingAllocator<std::uint64_t>;
  ByteCounter bytes_;                                   // before the arrays that allocate through it
  Entries main_{CountingAllocator<Entry>(&bytes_)};     // sorted; dead entries keep their keys
  Bitset<WordAlloc> dead_bits_{WordAlloc(&bytes_)};     // one bit per main_ entry
  Entries pending_{CountingAllocator<Entry>(&bytes_)};  // sorted; keys absent from main_
  std::size_t pending_limit_ = kMinPending;
  std::size_t live_ = 0;
  std::size_t dead_ = 0;
  CompactionStats compactions_;  // dead-entry compactions and pending merges
};

}  // namespace dstudy

DSTUDY_REGISTER(sorted_vector_eager, dstudy::SortedVectorEager, study)
DSTUDY_REGISTER(sorted_vector_lazy, dstudy::SortedVectorLazy, study)
