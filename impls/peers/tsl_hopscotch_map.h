// tsl::hopscotch_map: open addressing where every key stays within a small
// neighbourhood of its home bucket. Erase clears the slot and its bit in the
// home bucket's neighbourhood map: no tombstones. The bucket array never
// shrinks on erase.
#pragma once

#include <tsl/hopscotch_map.h>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

template <class K, class V>
using TslHopscotchMap =
    MapAdapter<tsl::hopscotch_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<K, V>>>,
               PeerTraits{.ordered = false, .returns_memory = false}>;

}  // namespace dstudy

DSTUDY_REGISTER(tsl_hopscotch_map, dstudy::TslHopscotchMap, library)
