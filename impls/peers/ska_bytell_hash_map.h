// ska::bytell_hash_map: open addressing in blocks of slots with one control
// byte per slot that links the entries of a bucket into a chain by jump
// distances, max load 0.9375. Erase moves the chain's last entry into the
// erased slot and marks that one empty: no tombstones. Never shrinks on
// erase.
#pragma once

#if __has_include(<bytell_hash_map.hpp>)
#include <functional>
#include <utility>

#include <bytell_hash_map.hpp>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// capacity: bucket_count(); max_load: max_load_factor().
template <class K, class V>
using SkaBytellHashMap =
    MapAdapter<ska::bytell_hash_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<K, V>>>,
               PeerTraits{.returns_memory = false, .tombstone_free = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(ska_bytell_hash_map, dstudy::SkaBytellHashMap, library)
#endif
