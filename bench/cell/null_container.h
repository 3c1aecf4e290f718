// A container that stores nothing: it meets the study concept and does no
// work, so running a stream through it prices the harness itself (the loop,
// the dispatch on the op type, fetching the key, building the value, the
// outcome counters). Never registered; used by the harness-overhead probe.
//
// What it must not let the compiler do: fold the harness's work away. Its
// results come out of an empty asm statement, so the compiler cannot know
// them and every outcome counter is really added to; the value an insert is
// given is handed to one, so it is really built. Neither asm touches memory
// (no clobber), so nothing else is made slower than a real container's op.
#pragma once

#include <cstddef>
#include <type_traits>

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
    keep(key);
    keep(value);
    return opaque(true);
  }
  bool erase(const K& key) {
    keep(key);
    return opaque(true);
  }
  template <class F>
  bool find(const K& key, F&&) const {
    keep(key);
    return opaque(false);
  }
  std::size_t size() const { return 0; }
  Footprint footprint() const { return {}; }

 private:
  // The object is made: a small trivially copyable one in a register,
  // anything else in memory (a string's pointer and length, a blob's bytes).
  template <class T>
  static void keep(const T& x) {
    if constexpr (std::is_trivially_copyable_v<T> && sizeof(T) <= sizeof(void*)) {
      asm volatile("" : : "r"(x));
    } else {
      asm volatile("" : : "m"(x));
    }
  }
  static bool opaque(bool b) {
    asm volatile("" : "+r"(b));
    return b;
  }
};

}  // namespace dstudy::bench
