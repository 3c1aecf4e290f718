#include "bench/pass_codec.h"

namespace dstudy::bench {

using nlohmann::json;

json pass_to_json(const RepetitionResult& r) {
  json phases = json::array();
  for (const PhaseTiming& p : r.phases) phases.push_back({p.name, p.ops, p.seconds});
  return {{"total_ops", r.total_ops}, {"seconds", r.seconds}, {"phases", phases},
          {"observed", r.observed},   {"checksum", r.checksum}};
}

RepetitionResult pass_from_json(const json& j) {
  RepetitionResult r;
  r.total_ops = j.at("total_ops").get<std::size_t>();
  r.seconds = j.at("seconds").get<double>();
  for (const json& p : j.at("phases"))
    r.phases.push_back({p.at(0).get<std::string>(), p.at(1).get<std::size_t>(), p.at(2).get<double>()});
  r.observed = j.at("observed").get<OpCounts>();
  r.checksum = j.at("checksum").get<std::uint64_t>();
  return r;
}

json histograms_to_json(const OpHistograms& h) {
  json out = json::array();
  for (const probes::LatencyHistogram& x : h)
    out.push_back({{"buckets", x.nonzero_buckets()}, {"sum", x.sum()}, {"min", x.min()}, {"max", x.max()}});
  return out;
}

OpHistograms histograms_from_json(const json& j) {
  OpHistograms h;
  for (int i = 0; i < kOpTypeCount; ++i) {
    const json& x = j.at(i);
    h[i] = probes::LatencyHistogram::restore(
        x.at("buckets").get<std::vector<std::pair<std::uint64_t, std::uint64_t>>>(), x.at("sum").get<std::uint64_t>(),
        x.at("min").get<std::uint64_t>(), x.at("max").get<std::uint64_t>());
  }
  return h;
}

}  // namespace dstudy::bench
