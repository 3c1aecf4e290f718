// What DSTUDY_REGISTER means to the bench. The build generates, for every
// impls/ header that registers, a translation unit that includes this file
// and then that header; each DSTUDY_REGISTER(name, Template, origin) line
// there adds the container to the CellRegistry with its origin (library or
// study, impls/core/register.h) and a cell driver for every key/value kind it
// supports (value_types.h, for_each_kv_kind).
#pragma once

#include <string>
#include <string_view>

#include "bench/cell/cell_registry.h"
#include "bench/cell/cell_runner.h"
#include "impls/core/container.h"
#include "impls/core/value_types.h"

namespace dstudy::bench {

template <template <class, class> class Impl>
bool register_cells(const char* name, const char* origin) {
  RegisteredImpl entry;
  entry.name = name;
  entry.origin = origin;
  bool traits_set = false;
  for_each_kv_kind([&]<class KV>(KV) {
    if constexpr (supports_kv<Impl, KV>()) {
      using C = Impl<typename KV::key_type, typename KV::mapped_type>;
      static_assert(require_study_container<C>());
      if (!traits_set) {
        entry.thread_safe = C::kThreadSafe;
        entry.ordered = C::kOrdered;
        entry.returns_memory = C::kReturnsMemory;
        entry.iterable = Iterable<C>;
        traits_set = true;
      }
      entry.kinds.emplace_back(std::string(KV::kName), &make_cell_driver<C, KV>);
    }
  });
  CellRegistry::instance().add(std::move(entry));
  return true;
}

}  // namespace dstudy::bench

#define DSTUDY_BENCH_CONCAT2(a, b) a##b
#define DSTUDY_BENCH_CONCAT(a, b) DSTUDY_BENCH_CONCAT2(a, b)
#define DSTUDY_REGISTER(name, Template, origin)                                                 \
  static_assert(std::string_view(#origin) == "library" || std::string_view(#origin) == "study", \
                "DSTUDY_REGISTER: origin is library or study (impls/core/register.h)");         \
  static const bool DSTUDY_BENCH_CONCAT(dstudy_bench_registered_, __LINE__) =                   \
      ::dstudy::bench::register_cells<Template>(#name, #origin);
