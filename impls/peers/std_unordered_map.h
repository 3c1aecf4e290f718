// std::unordered_map: separate chaining. Erase frees the node at once; the
// bucket array never shrinks (erase may not invalidate other iterators, so it
// cannot rehash).
#pragma once

#include <cstddef>
#include <functional>
#include <unordered_map>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy {

// Probe length (container.h): the nodes of the key's bucket compared before
// it is found, or all of them when it is absent (0: first node, or an empty
// bucket).
template <class K, class V, class H, class E, class A>
std::size_t peer_probe_length(const std::unordered_map<K, V, H, E, A>& m, const K& key) {
  if (m.bucket_count() == 0) return 0;
  const std::size_t b = m.bucket(key);
  std::size_t n = 0;
  for (auto it = m.begin(b); it != m.end(b); ++it, ++n)
    if (E{}(it->first, key)) return n;
  return n;
}

template <class K, class V>
using StdUnorderedMap =
    MapAdapter<std::unordered_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
               PeerTraits{.ordered = false, .returns_memory = false, .rehash0_shrinks = true}>;

}  // namespace dstudy

DSTUDY_REGISTER(std_unordered_map, dstudy::StdUnorderedMap, library)
