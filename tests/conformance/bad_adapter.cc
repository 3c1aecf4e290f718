// Must not compile: an adapter without erase. CTest builds it and expects the
// compiler's message to name the missing operation.
#include <cstddef>
#include <cstdint>

#include "impls/core/footprint.h"
#include "tests/conformance/conformance_suite.h"

template <class K, class V>
struct NoEraseMap {
  using key_type = K;
  using mapped_type = V;
  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = false;
  bool insert(const K&, V&&) { return true; }
  template <class F>
  bool find(const K&, F&&) const {
    return false;
  }
  std::size_t size() const { return 0; }
  dstudy::Footprint footprint() const { return {}; }
};

DSTUDY_REGISTER(no_erase_map, NoEraseMap, study)
