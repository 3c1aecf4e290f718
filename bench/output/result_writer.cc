#include "bench/output/result_writer.h"

#include "bench/codec/json_optional.h"
#include "bench/codec/pass_codec.h"

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iterator>
#include <stdexcept>

namespace dstudy::bench {

namespace {

using nlohmann::json;

json counts_json(const OpCounts& c) {
  json j = json::object();
  for (int i = 0; i < kOpTypeCount; ++i) j[kOpTypeNames[i]] = c[i];
  return j;
}

json process_layers(const probes::MemoryLayers& l) {
  return {{"heap_bytes", opt(l.heap_bytes)},
          {"rss_bytes", opt(l.rss_bytes)},
          {"allocator_allocated_bytes", opt(l.allocator_allocated_bytes)},
          {"allocator_resident_bytes", opt(l.allocator_resident_bytes)}};
}

json internals_json(const Footprint& f) {
  const json values[] = {f.bytes,
                         opt(f.capacity),
                         opt(f.max_load),
                         opt(f.tombstones),
                         opt(f.compactions),
                         opt(f.compaction_ns),
                         opt(f.reclaim_pending_bytes),
                         opt(f.reclaim_pending_peak_bytes)};
  static_assert(std::size(values) == std::size(kInternalsFields));
  json j = json::object();
  for (std::size_t i = 0; i < std::size(values); ++i) j[kInternalsFields[i]] = values[i];
  return j;
}

// One sample's probe lengths: the summary a report prints beside the miss
// cost, and the whole histogram ([length, lookups] pairs, nonzero only). A
// quantile with too few samples behind it is null, as for latency.
json probe_stats_json(const std::optional<ProbeLengths>& p) {
  if (!p) return nullptr;
  json histogram = json::array();
  for (std::size_t len = 0; len < p->counts.size(); ++len)
    if (p->counts[len]) histogram.push_back({len, p->counts[len]});
  const std::uint64_t n = p->samples();
  auto quantile = [&](double q) { return n >= min_samples_for(q) ? json(p->quantile(q)) : json(nullptr); };
  return {{"samples", n},          {"mean", p->mean()}, {"p50", quantile(0.50)},
          {"p99", quantile(0.99)}, {"max", p->max()},   {"histogram", histogram}};
}

json probe_lengths_json(const PhaseEnd& pe) {
  if (!pe.probe_hit && !pe.probe_miss) return nullptr;
  return {{"unit", kProbeLengthUnit},
          {"sample_limit", kProbeSample},
          {"hit", probe_stats_json(pe.probe_hit)},
          {"miss", probe_stats_json(pe.probe_miss)}};
}

json retention_json(const LayerFigures& f) {
  return {{"retention", opt(f.retention)},
          {"retention_after_idle", opt(f.retention_after_idle)},
          {"retention_after_purge", opt(f.retention_after_purge)}};
}

json layer_figures_json(const LayerFigures& f) {
  json j = {{"growth_pct", opt(f.growth_pct)},
            {"slope_bytes_per_mop", opt(f.slope_bytes_per_mop)},
            {"space_amplification", opt(f.space_amplification)}};
  j.update(retention_json(f));
  return j;
}

json derived_json(const DerivedMemory& d) {
  json layers = json::object();
  for (const auto& [layer, f] : d.layers) layers[layer] = layer_figures_json(f);
  json drains = json::array();
  for (const DrainFigures& df : d.drains) {
    json l = json::object();
    for (const auto& [layer, f] : df.layers) l[layer] = retention_json(f);
    drains.push_back({{"phase", df.phase}, {"layers", l}});
  }
  const LayerFigures& h = d.layers.at(kHeadlineLayer);
  return {{"headline_layer", kHeadlineLayer},
          {"steady_phase", opt(d.steady_phase)},
          {"drain_phase", opt(d.drain_phase)},
          {"growth_pct", opt(h.growth_pct)},
          {"slope_bytes_per_mop", opt(h.slope_bytes_per_mop)},
          {"retention", opt(h.retention)},
          {"space_amplification", opt(h.space_amplification)},
          {"layers", layers},
          {"drains", drains}};
}

}  // namespace

// ---- sections of the sidecar, in the order they are written ------------------

namespace detail {

json cell_json(const CellRun& run, const SidecarContext& ctx) {
  const CellOptions& o = run.options;
  const CellSetup& st = run.setup;
  return {{"impl", o.impl},
          {"workload", o.workload},
          {"kv", o.kv},
          {"threads", st.threads},
          {"size", o.size},
          {"seed", st.seed},
          {"initial_size", st.initial_size},
          {"fill", opt(st.fill)},
          {"fill_requested", opt(o.fill)},
          {"growth_point", opt(st.growth_point)},
          {"nominal_initial_size", st.nominal_initial_size},
          {"reserved", opt(st.reserved)},
          {"total_ops", st.total_ops},
          {"repetitions", o.repetitions},
          {"allocator_requested", ctx.allocator_requested.empty() ? json(nullptr) : json(ctx.allocator_requested)}};
}

json workload_json(const CellRun& run) {
  json phases = json::array();
  std::string retention;
  OpCounts headline_ops{};
  for (std::size_t i = 0; i < run.phases.size(); ++i) {
    const Phase& p = run.phases[i];
    const std::size_t ops = i < run.memory_pass.phases.size() ? run.memory_pass.phases[i].ops : 0;
    json by_type = json::object();
    for (int t = 0; t < kOpTypeCount; ++t) {
      by_type[kOpTypeNames[t]] = p.op_counts[t];
      if (p.headline) headline_ops[t] += p.op_counts[t];
    }
    phases.push_back(
        {{"name", p.name}, {"role", p.role}, {"headline", p.headline}, {"ops", ops}, {"ops_by_type", by_type}});
    if (p.retention) retention = p.name;
  }
  // The op type the headline phases do most: the one whose tail matters.
  const auto dominant = std::max_element(headline_ops.begin(), headline_ops.end()) - headline_ops.begin();
  return {{"phases", phases},
          {"headline_phases", phase_set_names(run.phases, PhaseSet::kHeadline)},
          {"dominant_op", kOpTypeNames[dominant]},
          {"retention_phase", retention.empty() ? json(nullptr) : json(retention)}};
}

json timer_json(const probes::TimerCalibration& t) {
  return {{"source", t.source},
          {"ticks_per_ns", t.ticks_per_ns},
          {"overhead_ns", t.overhead_ns},
          {"resolution_ns", t.resolution_ns},
          {"resolution_ticks", t.resolution_ticks},
          {"invariant_tsc", t.invariant_tsc},
          {"calibration_ms", t.calibration_ms}};
}

json machine_load_json(const probes::MachineLoad& m) {
  return {{"wall_s", m.wall_s},
          {"cores", m.cores},
          {"cell_threads", m.cell_threads},
          {"other_busy_cores", m.other_busy_cores},
          {"steal_pct", m.steal_pct},
          {"loadavg_1m", opt(m.loadavg_1m)},
          {"competing", m.competing},
          {"reason", m.competing ? json(m.reason) : json(nullptr)}};
}

static json summary_json(const ThroughputSummary& s, const std::vector<std::string>& phases, std::size_t ops) {
  return {{"phases", phases},
          {"ops", ops},
          {"median_ops_per_second", s.median},
          {"min_ops_per_second", s.min},
          {"max_ops_per_second", s.max},
          {"mad_pct", s.mad_pct},
          {"samples", s.samples.size()},
          {"spread_warning", s.spread_warning},
          {"per_repetition", s.samples}};
}

// The summary of one phase set over the passes `pick` selects from each
// repetition; null when the set is empty.
template <class Pick>
static json set_summary(const CellRun& run, PhaseSet set, Pick pick) {
  const std::vector<std::string> names = phase_set_names(run.phases, set);
  if (names.empty() || run.repetitions.empty()) return nullptr;
  std::vector<double> rates;
  for (const RepetitionRecord& r : run.repetitions)
    if (auto x = phase_set_rate(pick(r), run.phases, set)) rates.push_back(*x);
  const std::size_t ops = phase_set_totals(pick(run.repetitions.front()), run.phases, set).ops;
  return summary_json(summarize_throughput(rates), names, ops);
}

static json pass_json(const RepetitionResult& r, long process, const std::vector<Phase>& phases) {
  json p = json::array();
  for (const PhaseTiming& t : r.phases)
    p.push_back({{"name", t.name},
                 {"ops", t.ops},
                 {"seconds", t.seconds},
                 {"ops_per_second", t.seconds > 0 ? static_cast<double>(t.ops) / t.seconds : 0.0}});
  return {{"process", process},
          {"total_ops", r.total_ops},
          {"seconds", r.seconds},
          {"headline_ops_per_second", opt(phase_set_rate(r, phases, PhaseSet::kHeadline))},
          {"phases", p}};
}

json throughput_json(const CellRun& run) {
  const auto warm = [](const RepetitionRecord& r) -> const RepetitionResult& { return r.warm; };
  const auto cold = [](const RepetitionRecord& r) -> const RepetitionResult& { return r.cold; };
  json phases = json::array();
  for (std::size_t i = 0; i < run.phases.size(); ++i) {
    std::vector<double> rates;
    for (const RepetitionRecord& r : run.repetitions) {
      const PhaseTiming& t = r.warm.phases.at(i);
      rates.push_back(t.seconds > 0 ? static_cast<double>(t.ops) / t.seconds : 0.0);
    }
    const ThroughputSummary s = summarize_throughput(rates);
    phases.push_back({{"name", run.phases[i].name},
                      {"role", run.phases[i].role},
                      {"headline", run.phases[i].headline},
                      {"median_ops_per_second", s.median},
                      {"min_ops_per_second", s.min},
                      {"max_ops_per_second", s.max},
                      {"mad_pct", s.mad_pct},
                      {"samples", s.samples.size()}});
  }
  json reps = json::array(), cold_reps = json::array();
  std::size_t disturbed = 0;
  for (const RepetitionRecord& r : run.repetitions) {
    disturbed += r.warm_diagnostics.disturbed ? 1 : 0;
    reps.push_back(pass_json(r.warm, r.process, run.phases));
    reps.back()["diagnostics"] = warm_diagnostics_to_json(r.warm_diagnostics);
    cold_reps.push_back(pass_json(r.cold, r.process, run.phases));
  }
  return {{"independence", "process"},
          {"headline", set_summary(run, PhaseSet::kHeadline, warm)},
          {"build", set_summary(run, PhaseSet::kBuild, warm)},
          {"cold",
           {{"headline", set_summary(run, PhaseSet::kHeadline, cold)},
            {"build", set_summary(run, PhaseSet::kBuild, cold)}}},
          {"phases", phases},
          {"repetitions", reps},
          {"cold_repetitions", cold_reps},
          {"spread_warning_pct", kSpreadWarningPct},
          {"min_headline_seconds", run.options.min_headline_seconds},
          {"disturbed_repetitions", disturbed},
          {"harness_overhead_ns_per_op", run.harness_overhead_ns_per_op}};
}

const char* const kPercentileKeys[] = {"p50_ns", "p90_ns", "p99_ns", "p999_ns"};
const double kPercentiles[] = {0.50, 0.90, 0.99, 0.999};

static json percentiles_json(const probes::LatencyHistogram& h) {
  json j = {{"count", h.count()}};
  for (int q = 0; q < 4; ++q) j[kPercentileKeys[q]] = opt(percentile_if_enough(h, kPercentiles[q]));
  j["max_ns"] = h.max();
  return j;
}

// Per phase (when the spec asks for it, else null): each op type's
// percentiles over the phase's ops, merged over repetitions.
json latency_by_phase_json(const CellRun& run) {
  if (!run.options.latency_by_phase || run.repetitions.front().latency_by_phase.empty()) return nullptr;
  json out = json::array();
  for (std::size_t p = 0; p < run.phases.size(); ++p) {
    json per_op = json::object();
    for (int i = 0; i < kOpTypeCount; ++i) {
      probes::LatencyHistogram merged;
      for (const RepetitionRecord& r : run.repetitions)
        if (p < r.latency_by_phase.size()) merged.merge(r.latency_by_phase[p][i]);  // none without a latency pass
      if (merged.count() == 0) continue;
      json j = percentiles_json(merged);
      j["mean_ns"] = merged.mean();
      per_op[kOpTypeNames[i]] = j;
    }
    out.push_back({{"phase", run.phases[p].name}, {"per_op", per_op}});
  }
  return out;
}

// Percentiles, mean and the histogram itself: one latency distribution.
json distribution_json(const probes::LatencyHistogram& h) {
  json j = percentiles_json(h);
  j["mean_ns"] = h.mean();
  j["histogram"] = histogram_json(h);
  return j;
}

json min_samples_json() {
  json min_samples = json::object();
  for (int q = 0; q < 4; ++q) min_samples[kPercentileKeys[q]] = min_samples_for(kPercentiles[q]);
  return min_samples;
}

json latency_json(const CellRun& run, const probes::TimerCalibration& timer) {
  if (run.repetitions.empty() || !run.repetitions.front().latency) return nullptr;
  // The repetitions that ran the latency pass: every one, or the first
  // --latency-repetitions of them.
  std::size_t timed = 0;
  for (const RepetitionRecord& r : run.repetitions) timed += r.latency.has_value();
  json per_op = json::object();
  for (int i = 0; i < kOpTypeCount; ++i) {
    probes::LatencyHistogram merged;
    json per_rep = json::array();
    for (const RepetitionRecord& r : run.repetitions) {
      if (!r.latency) continue;
      merged.merge((*r.latency)[i]);
      per_rep.push_back(percentiles_json((*r.latency)[i]));
    }
    if (merged.count() == 0) continue;
    json j = distribution_json(merged);
    j["per_repetition"] = per_rep;
    per_op[kOpTypeNames[i]] = j;
  }
  return {{"kind", "service_time"},
          {"sampling", {{"mode", "every"}}},
          {"repetitions", timed},
          {"timer_overhead_subtracted_ns", timer.overhead_ns},
          {"resolution_ns", timer.resolution_ns},
          {"min_samples", min_samples_json()},
          {"per_op", per_op},
          {"by_phase", latency_by_phase_json(run)}};
}

// ---- open loop ----------------------------------------------------------------

// Response or service time of one rate over every repetition: all ops, then
// each op type the paced phases ran.
json open_loop_times_json(const std::vector<const OpHistograms*>& per_rep) {
  OpHistograms merged;
  probes::LatencyHistogram all;
  for (const OpHistograms* h : per_rep)
    for (int i = 0; i < kOpTypeCount; ++i) merged[i].merge((*h)[i]);
  for (const probes::LatencyHistogram& h : merged) all.merge(h);
  json j = {{"all", distribution_json(all)}};
  for (int i = 0; i < kOpTypeCount; ++i)
    if (merged[i].count()) j[kOpTypeNames[i]] = percentiles_json(merged[i]);
  return j;
}

double median(std::vector<double> v) { return summarize_throughput(v).median; }

// Target `t` (an index into the cell's open-loop targets) over every repetition.
json open_loop_rate_json(const CellRun& run, std::size_t t) {
  std::vector<double> targets, bases, completed;
  std::vector<const OpHistograms*> response, service;
  probes::LatencyHistogram lag;
  std::vector<StallRecord> stalls;
  std::uint64_t paced = 0, late = 0, switches = 0;
  for (std::size_t r = 0; r < run.repetitions.size(); ++r) {
    const OpenLoopPass& p = run.repetitions[r].open_loop.at(t);
    targets.push_back(p.target_ops_per_second);
    bases.push_back(p.basis_ops_per_second);
    completed.push_back(p.paced_seconds > 0 ? static_cast<double>(p.paced_ops) / p.paced_seconds : 0.0);
    response.push_back(&p.response);
    service.push_back(&p.service);
    lag.merge(p.start_lag);
    paced += p.paced_ops;
    late += p.late_ops;
    switches += p.involuntary_switches;
    for (StallRecord s : p.stalls) {
      s.repetition = static_cast<int>(r);
      stalls.push_back(std::move(s));
    }
  }
  std::stable_sort(stalls.begin(), stalls.end(),
                   [](const StallRecord& a, const StallRecord& b) { return a.service_ns > b.service_ns; });
  if (stalls.size() > kStallsKept) stalls.resize(kStallsKept);
  json worst = json::array();
  for (const StallRecord& s : stalls) worst.push_back(stall_to_json(s));
  const OpenLoopTarget& target = run.options.open_loop.at(t);
  return {{"fraction", opt(target.fraction)},
          {"target_ops_per_second", median(targets)},
          {"per_repetition_target_ops_per_second", targets},
          {"per_repetition_basis_ops_per_second", bases},
          {"completed_ops_per_second", median(completed)},
          {"paced_ops", paced},
          {"late_ops", late},
          {"late_fraction", paced ? static_cast<double>(late) / static_cast<double>(paced) : 0.0},
          {"involuntary_switches", switches},
          {"response", open_loop_times_json(response)},
          {"service", open_loop_times_json(service)},
          {"start_lag", percentiles_json(lag)},
          {"longest_stall", worst.empty() ? json(nullptr) : worst.front()},
          {"stalls", worst}};
}

// The knee: the lowest offered load at which queueing, not the op itself,
// makes the tail: response-time P99 over twice the service-time P99 at the
// same load. Null when no rate gets there (or P99 is not reported).
json knee_json(const json& rates) {
  const json* knee = nullptr;
  for (const json& r : rates) {
    const json& resp = r["response"]["all"]["p99_ns"];
    const json& serv = r["service"]["all"]["p99_ns"];
    if (resp.is_null() || serv.is_null() || resp.get<double>() <= kKneeResponseOverService * serv.get<double>())
      continue;
    if (!knee || r["target_ops_per_second"].get<double>() < (*knee)["target_ops_per_second"].get<double>()) knee = &r;
  }
  if (!knee) return nullptr;
  return {{"fraction", (*knee)["fraction"]}, {"target_ops_per_second", (*knee)["target_ops_per_second"]}};
}

json open_loop_json(const CellRun& run, const probes::TimerCalibration& timer) {
  if (run.repetitions.empty() || run.repetitions.front().open_loop.empty()) return nullptr;
  const OpenLoopPass& first = run.repetitions.front().open_loop.front();
  json rates = json::array();
  for (std::size_t t = 0; t < run.options.open_loop.size(); ++t) rates.push_back(open_loop_rate_json(run, t));
  std::vector<std::string> unpaced;
  for (const Phase& p : run.phases)
    if (std::find(first.paced_phases.begin(), first.paced_phases.end(), p.name) == first.paced_phases.end())
      unpaced.push_back(p.name);
  return {{"kind", "open_loop"},
          {"arrivals", first.arrivals},
          {"rate_basis", run.options.latency ? "latency_pass" : "warm_pass"},
          {"paced_phases", first.paced_phases},
          {"unpaced_phases", unpaced},
          {"repetitions", run.repetitions.size()},
          {"timer_overhead_subtracted_ns", timer.overhead_ns},
          {"resolution_ns", timer.resolution_ns},
          {"late_threshold_ns", kLateThresholdNs},
          {"stall_threshold_ns", kStallThresholdNs},
          {"knee_response_over_service", kKneeResponseOverService},
          {"min_samples", min_samples_json()},
          {"knee", knee_json(rates)},
          {"rates", rates}};
}

json checks_json(const CellRun& run) {
  const CellSetup& st = run.setup;
  return {{"expected", counts_json(st.expected)},
          {"observed", counts_json(run.check.observed)},
          {"checksum", {{"expected", st.expected_checksum}, {"observed", run.check.checksum}}},
          {"ok", run.check.ok},
          {"message", run.check.ok ? json(nullptr) : json(run.check.message)}};
}

}  // namespace detail

json histogram_json(const probes::LatencyHistogram& h) {
  json counts = json::array();
  for (const auto& [lo, n] : h.nonzero_buckets()) counts.push_back({lo, n});
  return {{"min_ns", 1}, {"sub_buckets", probes::LatencyHistogram::kSubBuckets}, {"counts", counts}};
}

json layers_json(const LayerSnapshot& s) {
  json j = {{"live_keys", s.live_keys},
            {"payload_bytes", s.payload_bytes},
            {"footprint_bytes", s.footprint_bytes},
            {"element_heap_bytes", s.element_heap_bytes}};
  j.update(process_layers(s.process));
  return j;
}

json memory_json(const MemoryRecord& m, const DerivedMemory& d) {
  json series = json::array();
  for (const MemorySample& s : m.series) {
    json e = {{"op", s.op}, {"phase", s.phase}};
    e.update(layers_json(s.layers));
    series.push_back(e);
  }
  json phase_end = json::array();
  for (const PhaseEnd& pe : m.phase_end) {
    json idle = json::array();
    for (const IdleSnapshot& is : pe.after_idle) {
      json e = {{"seconds", is.seconds}};
      e.update(layers_json(is.layers));
      idle.push_back(e);
    }
    phase_end.push_back(
        {{"phase", pe.phase},
         {"role", pe.role},
         {"begin_op", pe.begin_op},
         {"end_op", pe.end_op},
         {"live_keys", pe.live_keys},
         {"peak_rss_bytes", opt(pe.peak_rss_bytes)},
         {"at_begin", layers_json(pe.at_begin)},
         {"after", layers_json(pe.after)},
         {"after_idle", idle},
         {"after_purge", pe.after_purge ? layers_json(*pe.after_purge) : json(nullptr)},
         {"after_compact", pe.after_compact ? layers_json(*pe.after_compact) : json(nullptr)},
         {"internals", internals_json(pe.internals)},
         {"probe_lengths", probe_lengths_json(pe)},
         {"heap_activity", pe.heap_activity ? json{{"allocations", pe.heap_activity->allocations},
                                                   {"deallocations", pe.heap_activity->deallocations},
                                                   {"bytes_requested", pe.heap_activity->bytes_requested}}
                                            : json(nullptr)}});
  }
  return {{"sample_every_ops", m.sample_every_ops},
          {"from_repetition", 0},
          {"baseline", process_layers(m.baseline)},
          {"series", series},
          {"phase_end", phase_end},
          {"derived", derived_json(d)}};
}

json sidecar_json(const CellRun& run, const SidecarContext& ctx, const probes::TimerCalibration& timer) {
  json j;
  j["schema_version"] = kSchemaVersion;
  j["cell"] = detail::cell_json(run, ctx);
  j["workload"] = detail::workload_json(run);
  j["environment"] = ctx.environment;
  j["timer"] = detail::timer_json(timer);
  j["machine_load"] = detail::machine_load_json(run.machine_load);
  j["throughput"] = detail::throughput_json(run);
  j["latency"] = detail::latency_json(run, timer);
  j["open_loop"] = detail::open_loop_json(run, timer);
  j["memory"] = memory_json(run.memory, derive_memory(run.memory, run.phases));
  j["checks"] = detail::checks_json(run);
  return j;
}

void write_json_file(const std::string& path, const nlohmann::json& j) {
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp);
    if (!out) throw std::runtime_error("cannot write " + tmp);
    out << j.dump(2) << '\n';
    if (!out) throw std::runtime_error("error writing " + tmp);
  }
  if (std::rename(tmp.c_str(), path.c_str()) != 0) throw std::runtime_error("cannot rename " + tmp + " to " + path);
}

}  // namespace dstudy::bench
