// MapAdapter turns any map with the standard interface (try_emplace or
// emplace, erase(key), find, size) into a study container. Peers are one
// alias of it each, with the map's allocator set to CountingAllocator so the
// footprint is the exact number of bytes the map holds.
#pragma once

#include <cstddef>
#include <utility>

#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"

namespace dstudy {

// What a peer promises about order and memory (see container.h).
struct PeerTraits {
  bool ordered = false;
  bool returns_memory = false;
};

// Map must take a CountingAllocator<..., ByteCounter> as its allocator.
template <class Map, PeerTraits kTraits>
class MapAdapter {
 public:
  using key_type = typename Map::key_type;
  using mapped_type = typename Map::mapped_type;
  using allocator_type = typename Map::allocator_type;

  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = kTraits.ordered;
  static constexpr bool kReturnsMemory = kTraits.returns_memory;

  MapAdapter() : map_(allocator_type(&counter_)) {}
  MapAdapter(const MapAdapter&) = delete;
  MapAdapter& operator=(const MapAdapter&) = delete;

  bool insert(const key_type& key, mapped_type&& value) {
    if constexpr (requires { map_.try_emplace(key, std::move(value)); }) {
      return map_.try_emplace(key, std::move(value)).second;
    } else {
      return map_.emplace(key, std::move(value)).second;
    }
  }

  bool erase(const key_type& key) { return map_.erase(key) != 0; }

  template <class F>
  bool find(const key_type& key, F&& on_found) const {
    const auto it = map_.find(key);
    if (it == map_.end()) return false;
    on_found(it->second);
    return true;
  }

  std::size_t size() const { return map_.size(); }

  Footprint footprint() const {
    Footprint f;
    f.bytes = counter_.bytes();
    if constexpr (requires { map_.capacity(); }) {
      f.capacity = map_.capacity();
    } else if constexpr (requires { map_.bucket_count(); }) {
      f.capacity = map_.bucket_count();
    }
    if constexpr (requires { map_.max_load_factor(); }) f.max_load = map_.max_load_factor();
    return f;
  }

  // The wrapped map, for peers that report more than the standard interface.
  Map& map() { return map_; }
  const Map& map() const { return map_; }

 private:
  ByteCounter counter_;  // declared before map_: the map's allocator points at it
  Map map_;
};

}  // namespace dstudy
