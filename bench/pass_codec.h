// A pass's results as JSON and back: how a repetition process hands what it
// measured to the parent process that writes the sidecar. Exact: histograms
// keep their buckets, sum, min and max.
#pragma once

#include <array>

#include <nlohmann/json.hpp>

#include "bench/cell_result.h"

namespace dstudy::bench {

nlohmann::json pass_to_json(const RepetitionResult& r);
RepetitionResult pass_from_json(const nlohmann::json& j);

nlohmann::json histograms_to_json(const OpHistograms& h);
OpHistograms histograms_from_json(const nlohmann::json& j);

}  // namespace dstudy::bench
