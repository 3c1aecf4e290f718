// tbb::concurrent_hash_map (oneTBB 2021, libtbb-dev): chained buckets with a
// reader/writer lock per bucket; a find holds a const_accessor (a read lock on
// the element) while the visitor runs.
//
// How it deletes: erase unlinks the node under the bucket lock and frees it
// at once (after waiting for accessors on it to be released): no tombstones
// and no reclamation lag. The bucket array only grows (segments are added as
// the table doubles) and is kept until clear()/destruction, so erasing
// everything frees the nodes but not the buckets.
//
// Allocator: TBB's default tbb_allocator silently uses tbbmalloc when present,
// which would bypass the allocator under study, so CountingAllocator (over
// std::allocator) is passed explicitly; it serves nodes and bucket segments.
//
// reserve(n): rehash(n), which makes the bucket count at least n (TBB keeps
// about one bucket per element) so n keys fit without the table growing.
#pragma once

#include <cstddef>
#include <utility>

#include <oneapi/tbb/concurrent_hash_map.h>

#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/hash.h"
#include "impls/core/register.h"

namespace dstudy {

// TBB's HashCompare: the study's one hash, and key equality.
template <class K>
struct TbbHashCompare {
  std::size_t hash(const K& key) const { return Hash<K>{}(key); }
  bool equal(const K& a, const K& b) const { return a == b; }
};

template <class K, class V>
class TbbConcurrentHashMap {
 public:
  using key_type = K;
  using mapped_type = V;
  using allocator_type = CountingAllocator<std::pair<const K, V>, AtomicByteCounter>;
  using Map = tbb::concurrent_hash_map<K, V, TbbHashCompare<K>, allocator_type>;

  static constexpr bool kThreadSafe = true;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = false;  // bucket segments stay

  TbbConcurrentHashMap() : map_(allocator_type(&counter_)) {}
  TbbConcurrentHashMap(const TbbConcurrentHashMap&) = delete;
  TbbConcurrentHashMap& operator=(const TbbConcurrentHashMap&) = delete;

  bool insert(const K& key, V&& value) { return map_.emplace(key, std::move(value)); }

  bool erase(const K& key) { return map_.erase(key); }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    typename Map::const_accessor acc;
    if (!map_.find(acc, key)) return false;
    on_found(static_cast<const V&>(acc->second));
    return true;
  }

  std::size_t size() const { return map_.size(); }

  Footprint footprint() const {
    Footprint f;
    f.bytes = counter_.bytes();
    f.capacity = map_.bucket_count();
    f.max_load = 1.0;  // TBB doubles when size exceeds the bucket count
    return f;
  }

  void reserve(std::size_t n) { map_.rehash(n); }

 private:
  AtomicByteCounter counter_;  // before map_: the map's allocator points at it
  Map map_;
};

}  // namespace dstudy

DSTUDY_REGISTER(tbb_concurrent_hash_map, dstudy::TbbConcurrentHashMap, library)
