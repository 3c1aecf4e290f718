// std::unordered_map: separate chaining. Erase frees the node at once; the
// bucket array never shrinks (erase may not invalidate other iterators, so it
// cannot rehash).
#pragma once

#include <functional>
#include <unordered_map>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

template <class K, class V>
using StdUnorderedMap =
    MapAdapter<std::unordered_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
               PeerTraits{.ordered = false, .returns_memory = false, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(std_unordered_map, dstudy::StdUnorderedMap)
