// A pass's results as JSON and back: how a repetition process (or the memory
// process) hands what it measured to the parent process that writes the
// sidecar. Exact: histograms keep their buckets, sum, min and max.
#pragma once

#include <array>

#include <nlohmann/json.hpp>

#include "bench/open_loop/open_loop_pass.h"
#include "bench/pass/cell_result.h"

namespace dstudy::bench {

nlohmann::json pass_to_json(const RepetitionResult& r);
RepetitionResult pass_from_json(const nlohmann::json& j);

nlohmann::json warm_diagnostics_to_json(const WarmDiagnostics& d);
WarmDiagnostics warm_diagnostics_from_json(const nlohmann::json& j);

nlohmann::json histogram_to_json(const probes::LatencyHistogram& h);
probes::LatencyHistogram histogram_from_json(const nlohmann::json& j);
nlohmann::json histograms_to_json(const OpHistograms& h);
OpHistograms histograms_from_json(const nlohmann::json& j);

// A stall as the sidecar writes it (docs/result-schema.md, open_loop), and back.
nlohmann::json stall_to_json(const StallRecord& s);
StallRecord stall_from_json(const nlohmann::json& j);
nlohmann::json open_loop_to_json(const OpenLoopPass& p);
OpenLoopPass open_loop_from_json(const nlohmann::json& j);

// The memory pass's record: every layer read at every moment, exact (the
// parent derives the memory figures from it and writes the sidecar's memory
// section).
nlohmann::json memory_to_json(const MemoryRecord& m);
MemoryRecord memory_from_json(const nlohmann::json& j);

}  // namespace dstudy::bench
