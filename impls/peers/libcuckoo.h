// libcuckoo::cuckoohash_map (libcuckoo-dev 0.3.1): bucketised cuckoo hashing,
// 4 slots per bucket, fine-grained spinlocks over the buckets.
//
// How it deletes: erase destroys the entry in place under its two bucket
// locks and frees the slot at once: no tombstones, no reclamation lag. The
// slot array never shrinks on its own (only rehash()/reserve() to a smaller
// size would), so erasing everything keeps the whole table.
//
// Capacity and fill: it starts at its default of 2^16 buckets x 4 slots and
// doubles only when a cuckoo path cannot be found, typically at ~95% full, so
// a table near its growth point runs long cuckoo searches. footprint()
// reports capacity (slots) and size, hence the fill.
//
// reserve(n): cuckoohash_map::reserve(n) when the table holds fewer than n
// slots (never shrinks it): room for n keys, i.e. it is then ~100% full at n
// keys, like every other map's reserve(n) asks only for room for n.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>

#include <libcuckoo/cuckoohash_map.hh>

#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/hash.h"
#include "impls/core/register.h"

namespace dstudy {

template <class K, class V>
class LibcuckooMap {
 public:
  using key_type = K;
  using mapped_type = V;
  using allocator_type = CountingAllocator<std::pair<const K, V>, AtomicByteCounter>;
  using Map = libcuckoo::cuckoohash_map<K, V, Hash<K>, std::equal_to<K>, allocator_type>;

  static constexpr bool kThreadSafe = true;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = false;

  LibcuckooMap() : map_(libcuckoo::DEFAULT_SIZE, Hash<K>{}, std::equal_to<K>{}, allocator_type(&counter_)) {}
  LibcuckooMap(const LibcuckooMap&) = delete;
  LibcuckooMap& operator=(const LibcuckooMap&) = delete;

  bool insert(const K& key, V&& value) { return map_.insert(key, std::move(value)); }

  bool erase(const K& key) { return map_.erase(key); }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    return map_.find_fn(key, [&](const V& v) { on_found(v); });
  }

  std::size_t size() const { return map_.size(); }

  Footprint footprint() const {
    Footprint f;
    f.bytes = counter_.bytes();
    f.capacity = map_.capacity();
    f.max_load = 0.95;  // typical fill at which a cuckoo insert fails and the table doubles
    return f;
  }

  void reserve(std::size_t n) {
    if (map_.capacity() < n) map_.reserve(n);
  }

 private:
  AtomicByteCounter counter_;  // before map_: the map's allocator points at it
  Map map_;
};

}  // namespace dstudy

DSTUDY_REGISTER(libcuckoo, dstudy::LibcuckooMap, library)
