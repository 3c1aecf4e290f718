#include "bench/cell_metrics.h"

#include <algorithm>
#include <cmath>

namespace dstudy::bench {

namespace {

double median_of(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

bool contains(const std::string& s, const char* word) { return s.find(word) != std::string::npos; }

}  // namespace

ThroughputSummary summarize_throughput(const std::vector<double>& x) {
  ThroughputSummary s;
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

std::optional<double> attributable(const LayerSnapshot& s, const std::string& layer) {
  const auto& v = layer == "allocator_allocated_bytes" ? s.process.allocator_allocated_bytes : s.process.rss_bytes;
  if (!v) return std::nullopt;
  return static_cast<double>(*v);
}

DerivedMemory derive_memory(const MemoryRecord& m, const std::vector<Phase>& phases) {
  DerivedMemory d;
  // Allocator-allocated bytes when every phase-boundary probe has them (they
  // are exact and immune to page-level noise), else RSS.
  bool have_allocated = !m.phase_end.empty();
  for (const PhaseEnd& pe : m.phase_end)
    have_allocated = have_allocated && pe.at_begin.process.allocator_allocated_bytes && pe.after.process.allocator_allocated_bytes;
  d.attributable_layer = have_allocated ? "allocator_allocated_bytes" : "rss_bytes";
  if (m.phase_end.empty()) return d;

  // Steady phase: named churn/steady, else the longest phase after the first.
  const PhaseEnd* steady = nullptr;
  for (const PhaseEnd& pe : m.phase_end)
    if (!steady && (contains(pe.phase, "churn") || contains(pe.phase, "steady"))) steady = &pe;
  if (!steady) {
    for (std::size_t i = m.phase_end.size() > 1 ? 1 : 0; i < m.phase_end.size(); ++i) {
      const PhaseEnd& pe = m.phase_end[i];
      if (!steady || pe.end_op - pe.begin_op > steady->end_op - steady->begin_op) steady = &pe;
    }
  }
  if (steady) {
    d.steady_phase = steady->phase;
    const auto a = attributable(steady->at_begin, d.attributable_layer);
    const auto b = attributable(steady->after, d.attributable_layer);
    const double mops = static_cast<double>(steady->end_op - steady->begin_op) / 1e6;
    if (a && b) {
      if (*a > 0) d.growth_pct = 100.0 * (*b - *a) / *a;
      if (mops > 0) d.slope_bytes_per_mop = (*b - *a) / mops;
    }
    if (steady->after.payload_bytes > 0 && b) d.space_amplification = *b / static_cast<double>(steady->after.payload_bytes);
  }
  if (!d.space_amplification) {
    const PhaseEnd* fullest = nullptr;
    for (const PhaseEnd& pe : m.phase_end)
      if (!fullest || pe.after.payload_bytes > fullest->after.payload_bytes) fullest = &pe;
    const auto b = attributable(fullest->after, d.attributable_layer);
    if (fullest->after.payload_bytes > 0 && b) d.space_amplification = *b / static_cast<double>(fullest->after.payload_bytes);
  }

  // Drain phase: named drain, else the first phase with idle/purge probes
  // that ends with fewer live keys than it began with.
  std::size_t drain = m.phase_end.size();
  for (std::size_t i = 0; i < m.phase_end.size() && drain == m.phase_end.size(); ++i)
    if (contains(m.phase_end[i].phase, "drain")) drain = i;
  for (std::size_t i = 0; i < m.phase_end.size() && drain == m.phase_end.size(); ++i) {
    const bool probed = i < phases.size() && (phases[i].purge_probe || !phases[i].idle_probes_s.empty());
    if (probed && m.phase_end[i].live_keys < m.phase_end[i].at_begin.live_keys) drain = i;
  }
  if (drain < m.phase_end.size()) {
    const PhaseEnd& pe = m.phase_end[drain];
    d.drain_phase = pe.phase;
    double peak = 0;
    for (const MemorySample& s : m.series) {
      if (s.op > pe.end_op) break;
      if (auto v = attributable(s.layers, d.attributable_layer)) peak = std::max(peak, *v);
    }
    for (std::size_t i = 0; i <= drain; ++i) {
      for (const LayerSnapshot* s : {&m.phase_end[i].at_begin, &m.phase_end[i].after})
        if (auto v = attributable(*s, d.attributable_layer)) peak = std::max(peak, *v);
    }
    const auto after = attributable(pe.after, d.attributable_layer);
    if (after && peak > 0) d.retention = *after / peak;
  }
  return d;
}

}  // namespace dstudy::bench
