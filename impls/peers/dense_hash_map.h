// google::dense_hash_map (sparsehash): open addressing, quadratic probing,
// grows at 50% occupancy. Erase overwrites the entry's key with the reserved
// deleted key (a tombstone) and resets its value to V(); tombstones stay
// until the table is copied. When occupancy falls under 20% (shrink factor
// 0.4 x 50%) the table halves, checked at the next insert after erases (or
// at resize(0)): after a mass erase, the next insert gives the memory back.
// The tombstone count is private (num_deleted is not in the public API).
//
// Needs V default-constructible (the empty and deleted markers hold V()),
// copies values on insert and on every resize, and reserves two keys: for
// u64 kMaxU64Key + 1 and + 2, for strings two shorter than 16 bytes
// (reserved_key in map_adapter.h). All four study kinds qualify.
#pragma once

#if __has_include(<sparsehash/dense_hash_map>)
#include <functional>
#include <type_traits>
#include <utility>

#include <sparsehash/dense_hash_map>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

template <class K, class V>
class DenseHashMapWithKeys
    : public google::dense_hash_map<K, V, Hash<K>, std::equal_to<K>, LegacyCountingAllocator<std::pair<const K, V>>> {
  using Base = google::dense_hash_map<K, V, Hash<K>, std::equal_to<K>, LegacyCountingAllocator<std::pair<const K, V>>>;

 public:
  explicit DenseHashMapWithKeys(const typename Base::allocator_type& alloc)
      : Base(0, Hash<K>{}, std::equal_to<K>{}, alloc) {
    this->set_empty_key(reserved_key<K>(0));
    this->set_deleted_key(reserved_key<K>(1));
  }
};

// capacity: bucket_count(); max_load: max_load_factor() (0.5).
template <class K, class V>
using DenseHashMap = MapAdapter<DenseHashMapWithKeys<K, V>,
                                PeerTraits{.returns_memory = true, .supported = std::is_default_constructible_v<V>}>;

}  // namespace dstudy

DSTUDY_REGISTER(dense_hash_map, dstudy::DenseHashMap, library)
#endif
