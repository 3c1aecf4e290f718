// absl::flat_hash_map: SwissTable, open addressing over groups of 16 control
// bytes, max load 7/8. Erase writes EMPTY if the probe group was never full,
// else a DELETED tombstone. Tombstones are cleared only when an insert runs
// out of growth room: rehash in place if size <= 25/32 of capacity, else
// double. The table never shrinks on erase (only rehash(0) can), so memory
// stays at its high-water mark. Tombstones are not exposed by the API.
#pragma once

#include <cstddef>
#include <functional>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/container/internal/hashtable_debug.h"
#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// Probe length (container.h): absl's own count (hashtable_debug.h), which
// defines the unit: further groups visited plus tag matches that were not
// the key.
template <class K, class V, class H, class E, class A>
std::size_t peer_probe_length(const absl::flat_hash_map<K, V, H, E, A>& m, const K& key) {
  return absl::container_internal::GetHashtableDebugNumProbes(m, key);
}

template <class K, class V>
using AbslFlatHashMap =
    MapAdapter<absl::flat_hash_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
               PeerTraits{.returns_memory = false, .max_load = 7.0 / 8.0, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(absl_flat_hash_map, dstudy::AbslFlatHashMap, library)
