// Turns a cell's results into sidecar.json (docs/schema/sidecar.schema.json,
// explained in docs/result-schema.md), one function per section. The report
// scripts read only what this writes (through the runner's merged
// results.json), never the harness.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

#include "bench/cell/cell_run.h"
#include "bench/pass/cell_metrics.h"
#include "bench/probes/cycle_timer.h"

namespace dstudy::bench {

// The sidecar's schema version: the `const` of schema_version in
// docs/schema/sidecar.schema.json (tests/scripts/test_contract.py compares).
inline constexpr int kSchemaVersion = 2;

// memory.phase_end[].internals: the container's footprint() fields, in the
// order written (dstudy_bench --list prints them; contract.py's
// INTERNALS_FIELDS is the Python side).
inline constexpr const char* kInternalsFields[] = {"bytes",
                                                   "capacity",
                                                   "max_load",
                                                   "tombstones",
                                                   "compactions",
                                                   "compaction_ns",
                                                   "reclaim_pending_bytes",
                                                   "reclaim_pending_peak_bytes"};

struct SidecarContext {
  std::string allocator_requested;  // --expect-allocator, "" when not given
  nlohmann::json environment;       // probes::collect_environment
};

nlohmann::json histogram_json(const probes::LatencyHistogram& h);
nlohmann::json layers_json(const LayerSnapshot& s);
// The memory section: the memory pass's record and the figures derived from it.
nlohmann::json memory_json(const MemoryRecord& m, const DerivedMemory& d);
nlohmann::json sidecar_json(const CellRun& run, const SidecarContext& ctx, const probes::TimerCalibration& timer);

// The sections sidecar_json puts together (the environment is collected
// elsewhere and passed in), declared for the writer's unit tests
// (tests/harness/result_writer_test.cc).
namespace detail {
nlohmann::json cell_json(const CellRun& run, const SidecarContext& ctx);
nlohmann::json workload_json(const CellRun& run);
nlohmann::json timer_json(const probes::TimerCalibration& t);
nlohmann::json machine_load_json(const probes::MachineLoad& m);
nlohmann::json throughput_json(const CellRun& run);
nlohmann::json latency_json(const CellRun& run, const probes::TimerCalibration& timer);
nlohmann::json open_loop_json(const CellRun& run, const probes::TimerCalibration& timer);
nlohmann::json checks_json(const CellRun& run);
}  // namespace detail

// Writes JSON to path (pretty, atomically: temp file + rename). Throws
// std::runtime_error on failure.
void write_json_file(const std::string& path, const nlohmann::json& j);

}  // namespace dstudy::bench
