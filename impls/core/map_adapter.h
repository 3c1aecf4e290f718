// MapAdapter turns any map with the standard interface (try_emplace, emplace
// or insert(value_type), erase(key), find, size) into a study container.
// Peers are one alias of it each, with the map's allocator set to
// CountingAllocator so the footprint is the exact number of bytes the map
// holds.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>
#include <string>
#include <utility>

#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/iteration.h"
#include "impls/core/value_types.h"

namespace dstudy {

// What a peer promises about order and memory (see container.h), and what
// the footprint reports beyond what the map's own API says.
struct PeerTraits {
  bool ordered = false;
  bool returns_memory = false;
  // False opts this key/value kind out (container.h, kSupported).
  bool supported = true;
  // The load factor at which the map really grows, where max_load_factor()
  // does not say it (absl's returns 1.0 for compatibility); 0: ask the map.
  double max_load = 0;
  // Erase leaves no tombstone by construction (backward-shift robin hood,
  // overflow-bit tables): the footprint reports tombstones = 0.
  bool tombstone_free = false;
  // The map's rehash(0) shrinks it to fit its size: the adapter then has
  // compact() (container.h). Set only where the library documents that.
  bool rehash0_shrinks = false;
};

// CountingAllocator with the typedefs and rebind that pre-C++11 maps
// (sparsehash) read from an allocator directly. Counts into the same
// counter, so Footprint::bytes stays exact.
template <class T, class Counter = ByteCounter>
class LegacyCountingAllocator : public CountingAllocator<T, Counter> {
 public:
  using size_type = std::size_t;
  using difference_type = std::ptrdiff_t;
  using pointer = T*;
  using const_pointer = const T*;
  using reference = T&;
  using const_reference = const T&;
  template <class U>
  struct rebind {
    using other = LegacyCountingAllocator<U, Counter>;
  };

  explicit LegacyCountingAllocator(Counter* counter) noexcept : CountingAllocator<T, Counter>(counter) {}
  template <class U>
  LegacyCountingAllocator(const LegacyCountingAllocator<U, Counter>& other) noexcept
      : CountingAllocator<T, Counter>(other.counter()) {}

  size_type max_size() const noexcept { return std::numeric_limits<size_type>::max() / sizeof(T); }
};

// Keys no workload ever uses (value_types.h), for maps that reserve keys as
// markers (google::dense_hash_map's empty and deleted keys): index 0 or 1.
// u64: kMaxU64Key + 1 .. UINT64_MAX; strings: shorter than the 16 bytes every
// study string has.
template <class K>
K reserved_key(int index);
template <>
inline std::uint64_t reserved_key<std::uint64_t>(int index) {
  return kMaxU64Key + 1 + static_cast<std::uint64_t>(index);
}
template <>
inline std::string reserved_key<std::string>(int index) {
  return index == 0 ? std::string("<empty>") : std::string("<deleted>");
}

// Map must take a CountingAllocator<..., ByteCounter> as its allocator.
template <class Map, PeerTraits kTraits>
class MapAdapter {
 public:
  using key_type = typename Map::key_type;
  using mapped_type = typename Map::mapped_type;
  using allocator_type = typename Map::allocator_type;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = kTraits.ordered;
  static constexpr bool kReturnsMemory = kTraits.returns_memory;
  static constexpr bool kSupported = kTraits.supported;

  MapAdapter() : map_(allocator_type(&counter_)) {}
  MapAdapter(const MapAdapter&) = delete;
  MapAdapter& operator=(const MapAdapter&) = delete;

  bool insert(const key_type& key, mapped_type&& value) {
    if constexpr (requires { map_.try_emplace(key, std::move(value)); }) {
      return map_.try_emplace(key, std::move(value)).second;
    } else if constexpr (requires { map_.emplace(key, std::move(value)); }) {
      return map_.emplace(key, std::move(value)).second;
    } else {
      return map_.insert(typename Map::value_type(key, std::move(value))).second;
    }
  }

  bool erase(const key_type& key) { return map_.erase(key) != 0; }

  template <class F>
  bool find(const key_type& key, F&& on_found) const {
    const auto it = map_.find(key);
    if (it == map_.end()) return false;
    on_found(it->second);
    return true;
  }

  std::size_t size() const { return map_.size(); }

  // Room for n keys, for workloads that reserve (container.h). Present only
  // when the library has reserve(n).
  void reserve(std::size_t n) requires requires(Map& m, std::size_t k) { m.reserve(k); }
  { map_.reserve(n); }

  // Shrink to fit (container.h), for maps whose rehash(0) does that.
  void compact() requires(kTraits.rehash0_shrinks) { map_.rehash(0); }

  Footprint footprint() const {
    Footprint f;
    f.bytes = counter_.bytes();
    if constexpr (requires { map_.capacity(); }) {
      f.capacity = map_.capacity();
    } else if constexpr (requires { map_.bucket_count(); }) {
      f.capacity = map_.bucket_count();
    }
    if constexpr (kTraits.max_load > 0) {
      f.max_load = kTraits.max_load;
    } else if constexpr (requires { map_.max_load(); }) {
      // The growth point in elements (boost's name), which can move: boost's
      // anti-drift lowers it under churn, and the footprint shows that.
      if (f.capacity && *f.capacity > 0) f.max_load = static_cast<double>(map_.max_load()) / *f.capacity;
    } else if constexpr (requires { map_.max_load_factor(); }) {
      f.max_load = map_.max_load_factor();
    }
    if constexpr (kTraits.tombstone_free) f.tombstones = 0;
    return f;
  }

  // Iteration (container.h, Iterable; iteration.h): the map's own iterators.
  template <class F>
  void for_each(F&& visit) const {
    for (const auto& entry : map_) visit(entry.first, entry.second);
  }
  bool erase_first() { return EraseCursor<key_type>::erase_first(Walk{map_}); }
  bool erase_next() { return cursor_.erase_next(Walk{map_}); }

  // Probe length (container.h), where the peer's header defines
  // peer_probe_length for its map type (found by argument-dependent lookup:
  // the map's hasher is dstudy::Hash, so namespace dstudy is searched).
  std::size_t probe_length(const key_type& key) const requires requires(const Map& m, const key_type& k) {
    peer_probe_length(m, k);
  }
  { return peer_probe_length(map_, key); }

  // The wrapped map, for peers that report more than the standard interface.
  Map& map() { return map_; }
  const Map& map() const { return map_; }

 private:
  struct Walk {
    Map& m;
    auto begin() const { return m.begin(); }
    auto end() const { return m.end(); }
    auto next(typename Map::iterator it) const { return std::next(it); }
    auto find(const key_type& k) const { return m.find(k); }
    const key_type& key(typename Map::iterator it) const { return it->first; }
    void erase(typename Map::iterator it) const { m.erase(it); }
  };

  ByteCounter counter_;  // declared before map_: the map's allocator points at it
  Map map_;
  EraseCursor<key_type> cursor_;
};

}  // namespace dstudy
