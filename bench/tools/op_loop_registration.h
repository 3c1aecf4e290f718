// What DSTUDY_REGISTER means to dstudy_op_loop (op_loop_tool.h): the build
// generates, for every impls/ header that registers, a unit that includes
// this file and then the header; each DSTUDY_REGISTER(name, Template) line
// adds the container's op-loop runs for the u64 and string kinds it supports.
#pragma once

#include "bench/tools/op_loop_run.h"
#include "impls/core/container.h"
#include "impls/core/value_types.h"

namespace dstudy::bench::tools {

template <template <class, class> class Impl>
bool register_op_loops(const char* name) {
  for_each_kv_kind([&]<class KV>(KV) {
    if constexpr (supports_kv<Impl, KV>() && (std::is_same_v<KV, KvU64> || std::is_same_v<KV, KvString>)) {
      using C = Impl<typename KV::key_type, typename KV::mapped_type>;
      op_loop_runners()[{name, std::string(KV::kName)}] = &run_op_loop<C, KV>;
    }
  });
  return true;
}

}  // namespace dstudy::bench::tools

#define DSTUDY_TOOLS_CONCAT2(a, b) a##b
#define DSTUDY_TOOLS_CONCAT(a, b) DSTUDY_TOOLS_CONCAT2(a, b)
#define DSTUDY_REGISTER(name, Template, origin)                                 \
  static const bool DSTUDY_TOOLS_CONCAT(dstudy_op_loop_registered_, __LINE__) = \
      ::dstudy::bench::tools::register_op_loops<Template>(#name);
