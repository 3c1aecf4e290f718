// boost::unordered_flat_map (1.81+): open addressing over groups of 15 slots
// with a metadata word holding an overflow byte. Erase clears the slot: no
// tombstone. Instead, "anti-drift" lowers the table's max load when an erased
// slot may have caused overflow, so churn forces an early rehash rather than
// letting probe chains drift long. Never shrinks on erase.
#pragma once

#if __has_include(<boost/unordered/unordered_flat_map.hpp>)
#include <functional>
#include <utility>

#include <boost/unordered/unordered_flat_map.hpp>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// capacity: bucket_count() (slots); max_load: max_load() / bucket_count(),
// the current growth point, 0.875 when fresh and lower after anti-drift.
template <class K, class V>
using BoostUnorderedFlatMap =
    MapAdapter<boost::unordered_flat_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
               PeerTraits{.returns_memory = false, .tombstone_free = true, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(boost_unordered_flat_map, dstudy::BoostUnorderedFlatMap, library)
#endif
