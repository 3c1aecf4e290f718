// boost::container::flat_map: a sorted vector of pairs. Erase is a binary
// search plus a shift of the tail (O(n) moves per erase), no tombstones. The
// vector keeps its capacity as it empties (only shrink_to_fit gives it
// back).
#pragma once

#if __has_include(<boost/container/flat_map.hpp>)
#include <functional>
#include <utility>

#include <boost/container/flat_map.hpp>

#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// capacity: the vector's reserved elements.
template <class K, class V>
using BoostFlatMap = MapAdapter<boost::container::flat_map<K, V, std::less<K>, CountingAllocator<std::pair<K, V>>>,
                                PeerTraits{.ordered = true, .returns_memory = false}>;

}  // namespace dstudy

DSTUDY_REGISTER(boost_flat_map, dstudy::BoostFlatMap, library)
#endif
