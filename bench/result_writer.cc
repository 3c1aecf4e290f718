#include "bench/result_writer.h"

#include <cstdio>
#include <fstream>
#include <stdexcept>

namespace dstudy::bench {

namespace {

using nlohmann::json;

template <class T>
json opt(const std::optional<T>& v) {
  return v ? json(*v) : json(nullptr);
}

json counts_json(const OpCounts& c) {
  json j = json::object();
  for (int i = 0; i < kOpTypeCount; ++i) j[kOpTypeNames[i]] = c[i];
  return j;
}

json process_layers(const probes::MemoryLayers& l) {
  return {{"rss_bytes", opt(l.rss_bytes)},
          {"allocator_allocated_bytes", opt(l.allocator_allocated_bytes)},
          {"allocator_resident_bytes", opt(l.allocator_resident_bytes)}};
}

json internals_json(const Footprint& f) {
  return {{"bytes", f.bytes},
          {"capacity", opt(f.capacity)},
          {"max_load", opt(f.max_load)},
          {"tombstones", opt(f.tombstones)},
          {"compactions", opt(f.compactions)},
          {"compaction_ns", opt(f.compaction_ns)},
          {"reclaim_pending_bytes", opt(f.reclaim_pending_bytes)}};
}

}  // namespace

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

json sidecar_json(const CellRun& run, const SidecarContext& ctx, const probes::TimerCalibration& timer) {
  const CellOptions& o = run.options;
  const CellSetup& st = run.setup;
  json j;
  j["schema_version"] = kSchemaVersion;
  j["cell"] = {{"impl", o.impl},
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
  j["environment"] = ctx.environment;
  j["timer"] = {{"source", timer.source},
                {"ticks_per_ns", timer.ticks_per_ns},
                {"overhead_ns", timer.overhead_ns},
                {"invariant_tsc", timer.invariant_tsc},
                {"calibration_ms", timer.calibration_ms}};

  json reps = json::array();
  for (const RepetitionResult& r : run.throughput) {
    json phases = json::array();
    for (const PhaseTiming& p : r.phases)
      phases.push_back({{"name", p.name},
                        {"ops", p.ops},
                        {"seconds", p.seconds},
                        {"ops_per_second", p.seconds > 0 ? static_cast<double>(p.ops) / p.seconds : 0.0}});
    reps.push_back({{"total_ops", r.total_ops},
                    {"seconds", r.seconds},
                    {"ops_per_second", r.ops_per_second()},
                    {"phases", phases}});
  }
  // Per-phase summary across repetitions.
  json phase_summary = json::array();
  if (!run.throughput.empty()) {
    for (std::size_t p = 0; p < run.throughput[0].phases.size(); ++p) {
      std::vector<double> rates;
      for (const RepetitionResult& r : run.throughput) {
        const PhaseTiming& pt = r.phases[p];
        rates.push_back(pt.seconds > 0 ? static_cast<double>(pt.ops) / pt.seconds : 0.0);
      }
      const ThroughputSummary s = summarize_throughput(rates);
      phase_summary.push_back({{"name", run.throughput[0].phases[p].name},
                               {"median_ops_per_second", s.median},
                               {"min_ops_per_second", s.min},
                               {"max_ops_per_second", s.max},
                               {"mad_pct", s.mad_pct}});
    }
  }
  j["throughput"] = {{"repetitions", reps},
                     {"median_ops_per_second", run.summary.median},
                     {"min_ops_per_second", run.summary.min},
                     {"max_ops_per_second", run.summary.max},
                     {"mad_pct", run.summary.mad_pct},
                     {"spread_warning", run.summary.spread_warning},
                     {"phases", phase_summary},
                     {"harness_overhead_ns_per_op", run.harness_overhead_ns_per_op}};

  if (run.latency) {
    const LatencyRecord& l = *run.latency;
    json per_op = json::object();
    for (int i = 0; i < kOpTypeCount; ++i) {
      const auto& h = l.per_op[i];
      if (h.count() == 0) continue;
      per_op[kOpTypeNames[i]] = {{"count", h.count()},
                                 {"mean_ns", h.mean()},
                                 {"p50_ns", h.percentile(0.50)},
                                 {"p90_ns", h.percentile(0.90)},
                                 {"p99_ns", h.percentile(0.99)},
                                 {"p999_ns", h.percentile(0.999)},
                                 {"max_ns", h.max()},
                                 {"histogram", histogram_json(h)}};
    }
    j["latency"] = {{"kind", "service_time"},
                    {"sampling", {{"mode", l.mode}, {"mean_interval", l.mean_interval}}},
                    {"repetitions", l.repetitions},
                    {"timer_overhead_subtracted_ns", timer.overhead_ns},
                    {"per_op", per_op}};
  } else {
    j["latency"] = nullptr;
  }

  const MemoryRecord& m = run.memory;
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
    phase_end.push_back({{"phase", pe.phase},
                         {"begin_op", pe.begin_op},
                         {"end_op", pe.end_op},
                         {"live_keys", pe.live_keys},
                         {"peak_rss_bytes", opt(pe.peak_rss_bytes)},
                         {"at_begin", layers_json(pe.at_begin)},
                         {"after", layers_json(pe.after)},
                         {"after_idle", idle},
                         {"after_purge", pe.after_purge ? layers_json(*pe.after_purge) : json(nullptr)},
                         {"internals", internals_json(pe.internals)}});
  }
  const DerivedMemory& d = run.derived;
  j["memory"] = {{"sample_every_ops", m.sample_every_ops},
                 {"from_repetition", 0},
                 {"baseline", process_layers(m.baseline)},
                 {"series", series},
                 {"phase_end", phase_end},
                 {"derived",
                  {{"attributable_layer", d.attributable_layer},
                   {"steady_phase", opt(d.steady_phase)},
                   {"drain_phase", opt(d.drain_phase)},
                   {"growth_pct", opt(d.growth_pct)},
                   {"slope_bytes_per_mop", opt(d.slope_bytes_per_mop)},
                   {"retention", opt(d.retention)},
                   {"space_amplification", opt(d.space_amplification)}}}};

  j["checks"] = {{"expected", counts_json(st.expected)},
                 {"observed", counts_json(run.check.observed)},
                 {"checksum", {{"expected", st.expected_checksum}, {"observed", run.check.checksum}}},
                 {"ok", run.check.ok},
                 {"message", run.check.ok ? json(nullptr) : json(run.check.message)}};
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
