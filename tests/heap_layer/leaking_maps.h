// Containers that leak through the C allocation functions, registered only
// in the heap_layer_bench executable (never in the study): a correct map
// (std::unordered_map through operator new) that also loses 256 bytes on
// every successful erase, through std::malloc, std::calloc or a buffer grown
// by std::realloc. The heap layer must show each as growth, as the allocator
// layers do; test_heap_layer.py runs them as real cells.
#pragma once

#include <cstdlib>
#include <functional>
#include <new>
#include <unordered_map>

#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/register.h"

namespace dstudy::heap_layer_test {

inline constexpr std::size_t kLeakBytes = 256;

// Keeps a pointer where the compiler must assume it is used: an allocation
// nobody reads may be removed.
inline void keep(void* p) {
  if (!p) throw std::bad_alloc();
  asm volatile("" : : "r"(p) : "memory");
}

template <class K, class V>
using Base = MapAdapter<std::unordered_map<K, V, Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
                        PeerTraits{}>;

template <class K, class V>
class MallocLeakingMap : public Base<K, V> {
 public:
  bool erase(const K& k) {
    if (!Base<K, V>::erase(k)) return false;
    keep(std::malloc(kLeakBytes));
    return true;
  }
};

template <class K, class V>
class CallocLeakingMap : public Base<K, V> {
 public:
  bool erase(const K& k) {
    if (!Base<K, V>::erase(k)) return false;
    keep(std::calloc(1, kLeakBytes));
    return true;
  }
};

// One buffer, grown by 256 bytes on every erase and never shrunk.
template <class K, class V>
class ReallocLeakingMap : public Base<K, V> {
 public:
  ReallocLeakingMap() = default;
  ReallocLeakingMap(const ReallocLeakingMap&) = delete;
  ReallocLeakingMap& operator=(const ReallocLeakingMap&) = delete;
  ~ReallocLeakingMap() { std::free(buffer_); }
  bool erase(const K& k) {
    if (!Base<K, V>::erase(k)) return false;
    bytes_ += kLeakBytes;
    buffer_ = std::realloc(buffer_, bytes_);
    keep(buffer_);
    return true;
  }

 private:
  void* buffer_ = nullptr;
  std::size_t bytes_ = 0;
};

}  // namespace dstudy::heap_layer_test

DSTUDY_REGISTER(malloc_leaking_map, dstudy::heap_layer_test::MallocLeakingMap, study)
DSTUDY_REGISTER(calloc_leaking_map, dstudy::heap_layer_test::CallocLeakingMap, study)
DSTUDY_REGISTER(realloc_leaking_map, dstudy::heap_layer_test::ReallocLeakingMap, study)
