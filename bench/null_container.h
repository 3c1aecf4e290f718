// A container that stores nothing: it meets the study concept and does no
// work, so running a stream through it prices the harness itself (the loop,
// the dispatch on the op type, fetching the key, building the value, the
// outcome counters). Never registered; used by the harness-overhead probe.
#pragma once

#include <cstddef>

#include "impls/core/footprint.h"

namespace dstudy::bench {

template <class K, class V>
class NullContainer {
 public:
  using key_type = K;
  using mapped_type = V;
  static constexpr bool kThreadSafe = true;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = true;

  bool insert(const K& key, V&& value) {
    keep(&key);
    keep(&value);
    return true;
  }
  bool erase(const K& key) {
    keep(&key);
    return true;
  }
  template <class F>
  bool find(const K& key, F&&) const {
    keep(&key);
    return false;
  }
  std::size_t size() const { return 0; }
  Footprint footprint() const { return {}; }

 private:
  // Makes the compiler believe the key and value are used, without a memory
  // clobber that would make this loop slower than a real container's.
  static void keep(const void* p) { asm volatile("" : : "r"(p)); }
};

}  // namespace dstudy::bench
