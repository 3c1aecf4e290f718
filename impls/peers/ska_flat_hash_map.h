// ska::flat_hash_map: robin hood open addressing with a bounded probe length
// (it grows when a probe would exceed log2(capacity)), max load 0.5. Erase
// shifts the following displaced entries back: no tombstones. Never shrinks
// on erase.
#pragma once

#if __has_include(<flat_hash_map.hpp>)
#include <functional>
#include <utility>

#include <flat_hash_map.hpp>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// capacity: bucket_count(); max_load: max_load_factor().
template <class K, class V>
using SkaFlatHashMap =
    MapAdapter<ska::flat_hash_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<K, V>>>,
               PeerTraits{.returns_memory = false, .tombstone_free = true, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(ska_flat_hash_map, dstudy::SkaFlatHashMap, library)
#endif
