// google::sparse_hash_map (sparsehash): quadratic probing over a sparsetable,
// groups of 48 buckets that each allocate only their occupied entries plus a
// bitmap (its docs say about 4 bits of overhead per entry), grows at 80%
// occupancy. Erase overwrites the key with the reserved deleted key and
// resets the value to V(); the tombstone keeps its place in its group. When
// occupancy falls under 32% (0.4 x 80%) the table is rebuilt smaller at the
// next insert: after a mass erase, the next insert gives the memory back.
//
// Needs V default-constructible and copies values (group reallocations copy
// every entry of the group); reserves one key (reserved_key in
// map_adapter.h). All four study kinds qualify.
#pragma once

#if __has_include(<sparsehash/sparse_hash_map>)
#include <functional>
#include <type_traits>
#include <utility>

#include <sparsehash/sparse_hash_map>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

template <class K, class V>
class SparseHashMapWithKey
    : public google::sparse_hash_map<K, V, Hash<K>, std::equal_to<K>, LegacyCountingAllocator<std::pair<const K, V>>> {
  using Base = google::sparse_hash_map<K, V, Hash<K>, std::equal_to<K>, LegacyCountingAllocator<std::pair<const K, V>>>;

 public:
  explicit SparseHashMapWithKey(const typename Base::allocator_type& alloc)
      : Base(0, Hash<K>{}, std::equal_to<K>{}, alloc) {
    this->set_deleted_key(reserved_key<K>(1));
  }
};

// capacity: bucket_count(); max_load: max_load_factor() (0.8).
template <class K, class V>
using SparseHashMap = MapAdapter<SparseHashMapWithKey<K, V>,
                                 PeerTraits{.returns_memory = true, .supported = std::is_default_constructible_v<V>}>;

}  // namespace dstudy

DSTUDY_REGISTER(sparse_hash_map, dstudy::SparseHashMap, library)
#endif
