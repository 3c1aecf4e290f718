// tsl::robin_map: robin hood open addressing, max load 0.5 by default. Erase
// shifts the following displaced entries back one slot (backward-shift
// deletion): no tombstones. With the default min_load_factor of 0 the table
// never shrinks on erase.
#pragma once

#if __has_include(<tsl/robin_map.h>)
#include <functional>
#include <utility>

#include <tsl/robin_map.h>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// capacity: bucket_count(); max_load: max_load_factor().
template <class K, class V>
using TslRobinMap = MapAdapter<tsl::robin_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<K, V>>>,
                               PeerTraits{.returns_memory = false, .tombstone_free = true, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(tsl_robin_map, dstudy::TslRobinMap, library)
#endif
