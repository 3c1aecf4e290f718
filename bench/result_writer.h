// Turns a cell's results into sidecar.json (docs/result-schema.md, schema
// version 2), one function per section. The report scripts read only what
// this writes (through the runner's merged results.json), never the harness.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/cell_benchmark.h"
#include "bench/probes/cycle_timer.h"

namespace dstudy::bench {

inline constexpr int kSchemaVersion = 2;

struct SidecarContext {
  std::string allocator_requested;  // --expect-allocator, "" when not given
  nlohmann::json environment;       // probes::collect_environment
};

nlohmann::json histogram_json(const probes::LatencyHistogram& h);
nlohmann::json layers_json(const LayerSnapshot& s);
// The memory section (written by the memory process, kept as it is).
nlohmann::json memory_json(const MemoryRecord& m, const DerivedMemory& d);
nlohmann::json sidecar_json(const CellRun& run, const SidecarContext& ctx, const probes::TimerCalibration& timer);

// Writes JSON to path (pretty, atomically: temp file + rename). Throws
// std::runtime_error on failure.
void write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace dstudy::bench
