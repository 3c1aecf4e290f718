// libFuzzer target: the workload spec parser (workload_spec.h), the JSON a
// user hands the study; a SpecError is a refused spec, anything else a
// finding. An accepted spec is expanded (fill sweeps) as loading does.
#include <string_view>

#include "bench/workload/workload_spec.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    const dstudy::WorkloadSpec spec =
        dstudy::parse_workload_spec(std::string_view(reinterpret_cast<const char*>(data), size), "fuzz.json");
    dstudy::expand_fill_sweep(spec);
  } catch (const dstudy::SpecError&) {
  }
  return 0;
}
