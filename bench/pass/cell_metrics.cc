#include "bench/pass/cell_metrics.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace dstudy::bench {

namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

template <class T>
std::optional<double> as_double(const std::optional<T>& v) {
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

// Peak of `layer` from the start of the stream to the end of phase_end[last].
double peak_until(const MemoryRecord& m, std::size_t last, std::string_view layer) {
  double peak = 0;
  const std::size_t end_op = m.phase_end[last].end_op;
  for (const MemorySample& s : m.series) {
    if (s.op > end_op) break;
    if (auto v = layer_value(s.layers, layer)) peak = std::max(peak, *v);
  }
  for (std::size_t i = 0; i <= last; ++i)
    for (const LayerSnapshot* s : {&m.phase_end[i].at_begin, &m.phase_end[i].after})
      if (auto v = layer_value(*s, layer)) peak = std::max(peak, *v);
  return peak;
}

std::optional<double> ratio(const std::optional<double>& a, double b) {
  if (!a || b <= 0) return std::nullopt;
  return *a / b;
}

// Retention of every layer after drain phase `i`.
std::map<std::string, LayerFigures> retention_figures(const MemoryRecord& m, std::size_t i) {
  std::map<std::string, LayerFigures> out;
  const PhaseEnd& pe = m.phase_end[i];
  for (const char* layer : kDerivedLayers) {
    const double peak = peak_until(m, i, layer);
    LayerFigures& f = out[layer];
    f.retention = ratio(layer_value(pe.after, layer), peak);
    if (!pe.after_idle.empty()) f.retention_after_idle = ratio(layer_value(pe.after_idle.back().layers, layer), peak);
    if (pe.after_purge) f.retention_after_purge = ratio(layer_value(*pe.after_purge, layer), peak);
  }
  return out;
}

}  // namespace

ThroughputSummary summarize_throughput(const std::vector<double>& x) {
  ThroughputSummary s;
  s.samples = x;
  if (x.empty()) return s;
  s.median = median_of(x);
  s.min = *std::min_element(x.begin(), x.end());
  s.max = *std::max_element(x.begin(), x.end());
  std::vector<double> dev;
  for (double v : x) dev.push_back(std::fabs(v - s.median));
  s.mad_pct = s.median > 0 ? 100.0 * median_of(dev) / s.median : 0;
  s.spread_warning = x.size() > 1 && s.mad_pct >= kSpreadWarningPct;
  return s;
}

bool in_phase_set(const Phase& p, PhaseSet set) { return set == PhaseSet::kHeadline ? p.headline : p.role == "load"; }

PhaseSetTotals phase_set_totals(const RepetitionResult& r, const std::vector<Phase>& phases, PhaseSet set) {
  PhaseSetTotals t;
  for (std::size_t i = 0; i < r.phases.size() && i < phases.size(); ++i) {
    if (!in_phase_set(phases[i], set)) continue;
    t.any = true;
    t.ops += r.phases[i].ops;
    t.seconds += r.phases[i].seconds;
  }
  return t;
}

std::optional<double> phase_set_rate(const RepetitionResult& r, const std::vector<Phase>& phases, PhaseSet set) {
  const PhaseSetTotals t = phase_set_totals(r, phases, set);
  if (!t.any || t.seconds <= 0) return std::nullopt;
  return static_cast<double>(t.ops) / t.seconds;
}

std::vector<std::string> phase_set_names(const std::vector<Phase>& phases, PhaseSet set) {
  std::vector<std::string> names;
  for (const Phase& p : phases)
    if (in_phase_set(p, set)) names.push_back(p.name);
  return names;
}

std::uint64_t min_samples_for(double q) { return static_cast<std::uint64_t>(std::ceil(10.0 / (1.0 - q) - 1e-9)); }

std::optional<double> percentile_if_enough(const probes::LatencyHistogram& h, double q) {
  if (h.count() < min_samples_for(q)) return std::nullopt;
  return h.percentile(q);
}

std::optional<double> layer_value(const LayerSnapshot& s, std::string_view layer) {
  if (layer == "payload_bytes") return static_cast<double>(s.payload_bytes);
  if (layer == "footprint_bytes") return static_cast<double>(s.footprint_bytes);
  if (layer == "heap_bytes") return as_double(s.process.heap_bytes);
  if (layer == "allocator_allocated_bytes") return as_double(s.process.allocator_allocated_bytes);
  if (layer == "allocator_resident_bytes") return as_double(s.process.allocator_resident_bytes);
  if (layer == "rss_bytes") return as_double(s.process.rss_bytes);
  return std::nullopt;
}

DerivedMemory derive_memory(const MemoryRecord& m, const std::vector<Phase>& phases) {
  DerivedMemory d;
  for (const char* layer : kDerivedLayers) d.layers[layer];
  if (m.phase_end.empty()) return d;

  // Growth and amplification: over the first steady-role phase; without one,
  // amplification after the phase that held the most payload.
  const auto steady =
      std::find_if(m.phase_end.begin(), m.phase_end.end(), [](const PhaseEnd& pe) { return pe.role == "steady"; });
  const PhaseEnd* amp_at = nullptr;
  if (steady != m.phase_end.end()) {
    d.steady_phase = steady->phase;
    amp_at = &*steady;
    const double mops = static_cast<double>(steady->end_op - steady->begin_op) / 1e6;
    for (const char* layer : kDerivedLayers) {
      const auto a = layer_value(steady->at_begin, layer);
      const auto b = layer_value(steady->after, layer);
      if (!a || !b) continue;
      LayerFigures& f = d.layers[layer];
      if (*a > 0) f.growth_pct = 100.0 * (*b - *a) / *a;
      if (mops > 0) f.slope_bytes_per_mop = (*b - *a) / mops;
    }
  } else {
    for (const PhaseEnd& pe : m.phase_end)
      if (!amp_at || pe.after.payload_bytes > amp_at->after.payload_bytes) amp_at = &pe;
  }
  for (const char* layer : kDerivedLayers)
    d.layers[layer].space_amplification =
        ratio(layer_value(amp_at->after, layer), static_cast<double>(amp_at->after.payload_bytes));

  // Retention: after every drain-role phase; the headline one is the phase
  // the spec names (retention_phase), by default its last drain.
  for (std::size_t i = 0; i < m.phase_end.size(); ++i) {
    if (m.phase_end[i].role != "drain") continue;
    DrainFigures df{m.phase_end[i].phase, retention_figures(m, i)};
    const bool chosen = i < phases.size() && phases[i].retention;
    if (chosen) {
      d.drain_phase = df.phase;
      for (auto& [layer, f] : df.layers) {
        d.layers[layer].retention = f.retention;
        d.layers[layer].retention_after_idle = f.retention_after_idle;
        d.layers[layer].retention_after_purge = f.retention_after_purge;
      }
    }
    d.drains.push_back(std::move(df));
  }
  return d;
}

std::size_t fastest_pass(const std::vector<double>& rates) {
  return rates.empty() ? 0 : static_cast<std::size_t>(std::max_element(rates.begin(), rates.end()) - rates.begin());
}

void judge_disturbance(WarmDiagnostics& d) {
  char buf[160];
  const probes::ProcessCounters& c = d.counters;
  const double seconds = std::max(d.headline_seconds, 1e-3);
  double shortfall = 0;
  if (d.pass_rates.size() >= kPassesToCompare) {
    std::vector<double> sorted = d.pass_rates;
    std::sort(sorted.begin(), sorted.end());
    if (sorted.back() > 0) shortfall = 1 - median_of(sorted) / sorted.back();
  }
  if (c.major_faults > 0) {
    std::snprintf(buf, sizeof buf, "%llu major page faults", static_cast<unsigned long long>(c.major_faults));
  } else if (c.steal_seconds > kDisturbedStealShare * seconds) {
    std::snprintf(buf, sizeof buf, "the hypervisor stole %.0f ms", 1e3 * c.steal_seconds);
  } else if (c.involuntary_switches >= static_cast<std::uint64_t>(d.passes) &&
             c.involuntary_switches > kDisturbedSwitchesPerSecond * seconds) {
    std::snprintf(buf, sizeof buf, "preempted %llu times in %.0f ms",
                  static_cast<unsigned long long>(c.involuntary_switches), 1e3 * seconds);
  } else if (shortfall > kDisturbedMedianShortfall) {
    std::snprintf(buf, sizeof buf, "the median pass ran %.0f%% slower than the fastest", 100 * shortfall);
  } else {
    d.disturbed = false;
    d.reason.clear();
    return;
  }
  d.disturbed = true;
  d.reason = buf;
}

}  // namespace dstudy::bench
