#include "bench/codec/pass_codec.h"

#include "bench/codec/json_optional.h"

// The memory record's structs, field by field, in the namespaces where
// argument-dependent lookup finds them.
namespace dstudy {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Footprint, bytes, capacity, max_load, tombstones, compactions, compaction_ns,
                                   reclaim_pending_bytes, reclaim_pending_peak_bytes)
}  // namespace dstudy

namespace dstudy::probes {
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemoryLayers, heap_bytes, rss_bytes, allocator_allocated_bytes,
                                   allocator_resident_bytes)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(HeapActivity, allocations, deallocations, bytes_requested)
}  // namespace dstudy::probes

namespace dstudy::bench {

NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(ProbeLengths, counts)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(LayerSnapshot, live_keys, payload_bytes, element_heap_bytes, footprint_bytes,
                                   process)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemorySample, op, phase, layers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(IdleSnapshot, seconds, layers)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(PhaseEnd, phase, role, begin_op, end_op, live_keys, peak_rss_bytes, at_begin, after,
                                   after_idle, after_purge, after_compact, internals, heap_activity, probe_hit,
                                   probe_miss)
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(MemoryRecord, sample_every_ops, baseline, series, phase_end)

using nlohmann::json;

// A field added to one of the memory record's structs must be named in its
// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE above, or the parent would silently
// write the sidecar without it; these fail to compile until someone looks.
#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(Footprint) == 120, "Footprint changed: hand the new field over above");
static_assert(sizeof(probes::MemoryLayers) == 64, "MemoryLayers changed: hand the new field over above");
static_assert(sizeof(probes::HeapActivity) == 24, "HeapActivity changed: hand the new field over above");
static_assert(sizeof(LayerSnapshot) == 96, "LayerSnapshot changed: hand the new field over above");
static_assert(sizeof(MemorySample) == 136, "MemorySample changed: hand the new field over above");
static_assert(sizeof(IdleSnapshot) == 104, "IdleSnapshot changed: hand the new field over above");
static_assert(sizeof(PhaseEnd) == 744, "PhaseEnd changed: hand the new field over above");
static_assert(sizeof(MemoryRecord) == 120, "MemoryRecord changed: hand the new field over above");
#endif

json pass_to_json(const RepetitionResult& r) {
  json phases = json::array();
  for (const PhaseTiming& p : r.phases) phases.push_back({p.name, p.ops, p.seconds});
  return {{"total_ops", r.total_ops},
          {"seconds", r.seconds},
          {"phases", phases},
          {"observed", r.observed},
          {"checksum", r.checksum}};
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

json warm_diagnostics_to_json(const WarmDiagnostics& d) {
  const probes::ProcessCounters& c = d.counters;
  return {{"passes", d.passes},
          {"headline_seconds", d.headline_seconds},
          {"pass_ops_per_second", d.pass_rates},
          {"minor_faults", c.minor_faults},
          {"major_faults", c.major_faults},
          {"voluntary_switches", c.voluntary_switches},
          {"involuntary_switches", c.involuntary_switches},
          {"steal_seconds", c.steal_seconds},
          {"disturbed", d.disturbed},
          {"reason", d.disturbed ? json(d.reason) : json(nullptr)},
          {"remeasured", d.remeasured}};
}

WarmDiagnostics warm_diagnostics_from_json(const json& j) {
  WarmDiagnostics d;
  d.passes = j.at("passes").get<int>();
  d.headline_seconds = j.at("headline_seconds").get<double>();
  d.pass_rates = j.at("pass_ops_per_second").get<std::vector<double>>();
  d.counters.minor_faults = j.at("minor_faults").get<std::uint64_t>();
  d.counters.major_faults = j.at("major_faults").get<std::uint64_t>();
  d.counters.voluntary_switches = j.at("voluntary_switches").get<std::uint64_t>();
  d.counters.involuntary_switches = j.at("involuntary_switches").get<std::uint64_t>();
  d.counters.steal_seconds = j.at("steal_seconds").get<double>();
  d.disturbed = j.at("disturbed").get<bool>();
  if (d.disturbed) d.reason = j.at("reason").get<std::string>();
  d.remeasured = j.at("remeasured").get<int>();
  return d;
}

json histogram_to_json(const probes::LatencyHistogram& x) {
  return {{"buckets", x.nonzero_buckets()}, {"sum", x.sum()}, {"min", x.min()}, {"max", x.max()}};
}

probes::LatencyHistogram histogram_from_json(const json& x) {
  return probes::LatencyHistogram::restore(x.at("buckets").get<std::vector<std::pair<std::uint64_t, std::uint64_t>>>(),
                                           x.at("sum").get<std::uint64_t>(), x.at("min").get<std::uint64_t>(),
                                           x.at("max").get<std::uint64_t>());
}

json histograms_to_json(const OpHistograms& h) {
  json out = json::array();
  for (const probes::LatencyHistogram& x : h) out.push_back(histogram_to_json(x));
  return out;
}

OpHistograms histograms_from_json(const json& j) {
  OpHistograms h;
  for (int i = 0; i < kOpTypeCount; ++i) h[i] = histogram_from_json(j.at(i));
  return h;
}

json stall_to_json(const StallRecord& s) {
  return {{"op", s.op},
          {"phase", s.phase},
          {"service_ns", s.service_ns},
          {"start_lag_ns", s.start_lag_ns},
          {"ops_delayed", s.ops_delayed},
          {"backlog_clear_ns", s.backlog_clear_ns},
          {"backlog_cleared", s.backlog_cleared},
          {"cause", opt(s.cause)},
          {"capacity_before", opt(s.capacity_before)},
          {"capacity_after", opt(s.capacity_after)},
          {"repetition", s.repetition}};
}

StallRecord stall_from_json(const json& j) {
  StallRecord s;
  s.op = j.at("op").get<std::size_t>();
  s.phase = j.at("phase").get<std::string>();
  s.service_ns = j.at("service_ns").get<std::uint64_t>();
  s.start_lag_ns = j.at("start_lag_ns").get<std::uint64_t>();
  s.ops_delayed = j.at("ops_delayed").get<std::uint64_t>();
  s.backlog_clear_ns = j.at("backlog_clear_ns").get<std::uint64_t>();
  s.backlog_cleared = j.at("backlog_cleared").get<bool>();
  s.cause = opt_from<std::string>(j.at("cause"));
  s.capacity_before = opt_from<std::size_t>(j.at("capacity_before"));
  s.capacity_after = opt_from<std::size_t>(j.at("capacity_after"));
  s.repetition = j.at("repetition").get<int>();
  return s;
}

json open_loop_to_json(const OpenLoopPass& p) {
  json stalls = json::array();
  for (const StallRecord& s : p.stalls) stalls.push_back(stall_to_json(s));
  return {{"fraction", opt(p.fraction)},
          {"target_ops_per_second", p.target_ops_per_second},
          {"basis_ops_per_second", p.basis_ops_per_second},
          {"arrivals", p.arrivals},
          {"pass", pass_to_json(p.pass)},
          {"paced_phases", p.paced_phases},
          {"paced_ops", p.paced_ops},
          {"late_ops", p.late_ops},
          {"paced_seconds", p.paced_seconds},
          {"involuntary_switches", p.involuntary_switches},
          {"response", histograms_to_json(p.response)},
          {"service", histograms_to_json(p.service)},
          {"start_lag", histogram_to_json(p.start_lag)},
          {"stalls", stalls}};
}

OpenLoopPass open_loop_from_json(const json& j) {
  OpenLoopPass p;
  p.fraction = opt_from<double>(j.at("fraction"));
  p.target_ops_per_second = j.at("target_ops_per_second").get<double>();
  p.basis_ops_per_second = j.at("basis_ops_per_second").get<double>();
  p.arrivals = j.at("arrivals").get<std::string>();
  p.pass = pass_from_json(j.at("pass"));
  p.paced_phases = j.at("paced_phases").get<std::vector<std::string>>();
  p.paced_ops = j.at("paced_ops").get<std::uint64_t>();
  p.late_ops = j.at("late_ops").get<std::uint64_t>();
  p.paced_seconds = j.at("paced_seconds").get<double>();
  p.involuntary_switches = j.at("involuntary_switches").get<std::uint64_t>();
  p.response = histograms_from_json(j.at("response"));
  p.service = histograms_from_json(j.at("service"));
  p.start_lag = histogram_from_json(j.at("start_lag"));
  for (const json& s : j.at("stalls")) p.stalls.push_back(stall_from_json(s));
  return p;
}

json memory_to_json(const MemoryRecord& m) { return m; }

MemoryRecord memory_from_json(const json& j) { return j.get<MemoryRecord>(); }

}  // namespace dstudy::bench
