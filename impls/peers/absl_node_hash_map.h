// absl::node_hash_map: SwissTable of pointers to heap nodes. Erase frees the
// node at once (same tombstone rules as flat_hash_map for the pointer slot),
// but the slot array never shrinks on erase: after erasing everything the
// map still holds capacity * (pointer + control byte).
#pragma once

#include <cstddef>
#include <functional>
#include <utility>

#include "absl/container/internal/hashtable_debug.h"
#include "absl/container/node_hash_map.h"
#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// Probe length (container.h): absl's own count, as for flat_hash_map.
template <class K, class V, class H, class E, class A>
std::size_t peer_probe_length(const absl::node_hash_map<K, V, H, E, A>& m, const K& key) {
  return absl::container_internal::GetHashtableDebugNumProbes(m, key);
}

template <class K, class V>
using AbslNodeHashMap =
    MapAdapter<absl::node_hash_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
               PeerTraits{.returns_memory = false, .max_load = 7.0 / 8.0, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(absl_node_hash_map, dstudy::AbslNodeHashMap, library)
