// std::map: a red-black tree. Erase frees the node at once, so the structure
// gives its memory back as it empties (whether the allocator returns it to
// the OS is another matter, which the study measures).
#pragma once

#include <functional>
#include <map>

#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

template <class K, class V>
using StdMap = MapAdapter<std::map<K, V, std::less<K>, CountingAllocator<std::pair<const K, V>>>,
                          PeerTraits{.ordered = true, .returns_memory = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(std_map, dstudy::StdMap, library)
