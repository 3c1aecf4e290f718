// dstudy_op_loop IMPL [WORKLOAD [SIZE [KV [LIVE]]]]: see op_loop_tool.h.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>

#include "bench/cell/cell_registry.h"
#include "bench/cell/null_container.h"
#include "bench/tools/op_loop_run.h"
#include "bench/tools/op_loop_tool.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"
#include "impls/core/value_types.h"

namespace dstudy::bench::tools {

std::map<std::pair<std::string, std::string>, OpLoopRunner>& op_loop_runners() {
  static std::map<std::pair<std::string, std::string>, OpLoopRunner> runners;
  return runners;
}

namespace {

// The live size the harness runs the cell at: its own cell driver's answer
// (fill x the container's growth point; the nominal size without a fill).
std::size_t harness_live_size(const OpLoopRequest& r, const WorkloadSpec& spec) {
  const RegisteredImpl* impl = CellRegistry::instance().find(r.impl);
  const DriverFactory factory = impl ? impl->factory_for(r.kv) : nullptr;
  if (!factory) return spec.size(r.size).live;  // the null container: no capacity, the nominal size
  CellOptions o;
  o.impl = r.impl;
  o.workload = r.workload;
  o.kv = r.kv;
  o.size = r.size;
  o.fill = spec.fill;
  o.nominal_live = spec.size(r.size).live;
  o.reserve = spec.reserve;
  const auto driver = factory();
  const auto make = [&](std::optional<std::size_t> live) { return generate_stream(spec, r.size, r.kv, live, 1u); };
  return driver->prepare(o, make).initial_size;
}

int run(const OpLoopRequest& r) {
  op_loop_runners()[{"null", "u64"}] = &run_op_loop<NullContainer<std::uint64_t, std::uint64_t>, KvU64, false>;
  const auto it = op_loop_runners().find({r.impl, r.kv});
  if (it == op_loop_runners().end()) {
    std::fprintf(stderr, "dstudy_op_loop: no container '%s' with kv '%s'; known:", r.impl.c_str(), r.kv.c_str());
    for (const auto& [key, _] : op_loop_runners())
      std::fprintf(stderr, " %s/%s", key.first.c_str(), key.second.c_str());
    std::fprintf(stderr, "\n");
    return 2;
  }
  const WorkloadSpec spec = find_workload(default_workloads_dir(), r.workload);
  const std::size_t live = r.live ? *r.live : harness_live_size(r, spec);
  const OperationStream s = generate_stream(spec, r.size, r.kv, live, 1u);
  std::printf("%s %s %s %s live %zu, one thread\n", r.impl.c_str(), r.workload.c_str(), r.size.c_str(), r.kv.c_str(),
              live);
  return it->second(s, spec.reserve);
}

}  // namespace
}  // namespace dstudy::bench::tools

int main(int argc, char** argv) {
  if (argc < 2 || argc > 6) {
    std::fprintf(stderr, "usage: %s IMPL [WORKLOAD [SIZE [KV [LIVE]]]]\n", argv[0]);
    return 2;
  }
  dstudy::bench::tools::OpLoopRequest r;
  r.impl = argv[1];
  if (argc > 2) r.workload = argv[2];
  if (argc > 3) r.size = argv[3];
  if (argc > 4) r.kv = argv[4];
  if (argc > 5) {
    char* end = nullptr;
    const unsigned long long live = std::strtoull(argv[5], &end, 10);
    if (*end != '\0' || live == 0) {
      std::fprintf(stderr, "dstudy_op_loop: LIVE '%s' is not a positive number\n", argv[5]);
      return 2;
    }
    r.live = static_cast<std::size_t>(live);
  }
  try {
    return dstudy::bench::tools::run(r);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "dstudy_op_loop: %s\n", e.what());
    return 1;
  }
}
