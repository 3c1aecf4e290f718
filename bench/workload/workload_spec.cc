// Loading and strict validation of workload spec files (JSON).
//
// Every complaint is a SpecError whose message reads
//   <file>: <field>: expected <what>, got <what was there>
// so a newcomer editing a preset sees exactly what to fix.
#include "bench/workload/workload_spec.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

namespace dstudy {
namespace {

using json = nlohmann::json;

std::string show(const json& v) {
  std::string s = v.dump();
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

std::string type_name(const json& v) {
  if (v.is_number_integer()) return "integer " + show(v);
  if (v.is_number()) return "number " + show(v);
  if (v.is_string()) return "string " + show(v);
  if (v.is_boolean()) return "boolean " + show(v);
  if (v.is_null()) return "null";
  if (v.is_array()) return "array " + show(v);
  return "object " + show(v);
}

// Reads one spec, carrying the file name so every error can name it.
class Reader {
 public:
  explicit Reader(std::string file) : file_(std::move(file)) {}

  [[noreturn]] void fail(const std::string& field, const std::string& expected, const std::string& got = {}) const {
    std::string msg = file_ + ": " + (field.empty() ? "(top level)" : field) + ": expected " + expected;
    if (!got.empty()) msg += ", got " + got;
    throw SpecError(msg);
  }

  void object(const json& v, const std::string& field) const {
    if (!v.is_object()) fail(field, "an object", type_name(v));
  }

  // Rejects fields not in `allowed`; a newcomer's typo must not be ignored.
  void known_fields(const json& obj, const std::string& field, std::initializer_list<const char*> allowed) const {
    for (const auto& [key, value] : obj.items()) {
      bool ok = false;
      for (const char* a : allowed) ok = ok || key == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        fail(join(field, key), "no such field (unknown field; allowed here: " + list + ")", "\"" + key + "\"");
      }
    }
  }

  const json& required(const json& obj, const std::string& field, const char* key) const {
    auto it = obj.find(key);
    if (it == obj.end()) fail(join(field, key), "this required field (missing required field)", "nothing");
    return *it;
  }

  static std::string join(const std::string& field, const std::string& key) {
    return field.empty() ? key : field + "." + key;
  }

  std::string string(const json& v, const std::string& field) const {
    if (!v.is_string()) fail(field, "a string", type_name(v));
    return v.get<std::string>();
  }
  bool boolean(const json& v, const std::string& field) const {
    if (!v.is_boolean()) fail(field, "true or false", type_name(v));
    return v.get<bool>();
  }
  double number(const json& v, const std::string& field) const {
    if (!v.is_number()) fail(field, "a number", type_name(v));
    return v.get<double>();
  }
  // Integers may be written as 1e6 too; they must be whole and >= min.
  std::uint64_t integer(const json& v, const std::string& field, std::uint64_t min = 0,
                        std::uint64_t max = ~std::uint64_t{0}) const {
    std::string want = "an integer >= " + std::to_string(min);
    if (max != ~std::uint64_t{0}) want += " and <= " + std::to_string(max);
    if (v.is_number_unsigned()) {
      const auto x = v.get<std::uint64_t>();
      if (x < min || x > max) fail(field, want, show(v));
      return x;
    }
    if (v.is_number_integer()) fail(field, want, show(v));  // negative
    if (v.is_number_float()) {
      const double d = v.get<double>();
      if (d != std::floor(d) || d < static_cast<double>(min) || d > 1.8e19 || static_cast<std::uint64_t>(d) > max)
        fail(field, want, show(v));
      return static_cast<std::uint64_t>(d);
    }
    fail(field, want, type_name(v));
  }
  double fraction(const json& v, const std::string& field, double lo, double hi, bool lo_open,
                  const std::string& what) const {
    const double x = number(v, field);
    if (!(lo_open ? x > lo : x >= lo) || !(x <= hi) || !std::isfinite(x)) fail(field, what, show(v));
    return x;
  }

  const std::string& file() const { return file_; }

 private:
  std::string file_;
};

// Zipf theta: Gray's closed form needs 0 < theta < 1.
double theta_value(const Reader& r, const json& v, const std::string& field) {
  return r.fraction(v, field, 0.0, 0.999999, true, "a Zipf theta in (0, 1) (Gray et al.'s generator needs theta < 1)");
}

KeyDistribution parse_keys(const Reader& r, const json& v, const std::string& field, double& theta) {
  const char* want =
      "\"uniform\", \"sequential\", \"latest\", \"zipfian\", {\"zipfian\": theta} or {\"latest\": theta}";
  if (v.is_string()) {
    const std::string s = v.get<std::string>();
    if (s == "uniform") return KeyDistribution::kUniform;
    if (s == "sequential") return KeyDistribution::kSequential;
    if (s == "latest") return KeyDistribution::kLatest;
    if (s == "zipfian") return KeyDistribution::kZipfian;
    r.fail(field, std::string("a key distribution: ") + want, show(v));
  }
  if (v.is_object() && v.size() == 1) {
    // (Not `*v.items().begin()`: items() is a temporary whose proxy would dangle.)
    const std::string key = v.begin().key();
    const json& value = v.begin().value();
    if (key == "zipfian" || key == "latest") {
      theta = theta_value(r, value, field + "." + key);
      return key == "zipfian" ? KeyDistribution::kZipfian : KeyDistribution::kLatest;
    }
  }
  r.fail(field, std::string("a key distribution: ") + want, type_name(v));
}

void parse_erase_order(const Reader& r, const json& v, const std::string& field, PhaseSpec& p) {
  const char* want =
      "\"random\", \"fifo\", \"lifo\", \"iteration\", \"recent\", \"container_first\", "
      "\"container_next\", or an object "
      "{\"order\": ..., \"window\": n} (fifo) / {\"order\": \"recent\", \"theta\": t}";
  std::string order;
  if (v.is_string()) {
    order = v.get<std::string>();
  } else if (v.is_object()) {
    r.known_fields(v, field, {"order", "window", "theta"});
    order = r.string(r.required(v, field, "order"), field + ".order");
  } else {
    r.fail(field, std::string("an erase order: ") + want, type_name(v));
  }
  if (order == "random") p.erase_order = EraseOrder::kRandom;
  else if (order == "fifo") p.erase_order = EraseOrder::kFifo;
  else if (order == "lifo") p.erase_order = EraseOrder::kLifo;
  else if (order == "iteration") p.erase_order = EraseOrder::kIteration;
  else if (order == "recent") p.erase_order = EraseOrder::kRecent;
  else if (order == "container_first") p.erase_order = EraseOrder::kContainerFirst;
  else if (order == "container_next") p.erase_order = EraseOrder::kContainerNext;
  else
    r.fail(v.is_object() ? field + ".order" : field, std::string("an erase order: ") + want,
           show(v.is_object() ? v["order"] : v));
  if (v.is_object()) {
    if (v.contains("window")) {
      if (p.erase_order != EraseOrder::kFifo)
        r.fail(field + ".window", "window only with order \"fifo\"", show(v["window"]));
      p.fifo_window = static_cast<std::uint32_t>(r.integer(v["window"], field + ".window", 1, 1u << 30));
    }
    if (v.contains("theta")) {
      if (p.erase_order != EraseOrder::kRecent)
        r.fail(field + ".theta", "theta only with order \"recent\"", show(v["theta"]));
      p.recent_theta = theta_value(r, v["theta"], field + ".theta");
    }
  }
}

// The role must agree with the mix, so a role never claims what the phase
// does not do (a "drain" that inserts more than it erases).
void parse_role(const Reader& r, const json& v, const std::string& field, PhaseSpec& p) {
  const std::string s = r.string(v, field);
  const auto* it =
      std::find_if(std::begin(kPhaseRoleNames), std::end(kPhaseRoleNames), [&](const char* n) { return s == n; });
  if (it == std::end(kPhaseRoleNames))
    r.fail(field, "a phase role: \"load\", \"steady\", \"drain\", \"grow\" or \"probe\"", show(v));
  p.role = static_cast<PhaseRole>(it - std::begin(kPhaseRoleNames));
  const Mix& m = p.mix;
  const bool ok = [&] {
    switch (p.role) {
      case PhaseRole::kLoad:
      case PhaseRole::kGrow: return m.insert > m.erase;
      case PhaseRole::kDrain: return m.erase > m.insert;
      case PhaseRole::kProbe: return m.insert == 0 && m.erase == 0;  // finds and iterations
      case PhaseRole::kSteady: return true;
    }
    return false;
  }();
  if (!ok) {
    const char* want = p.role == PhaseRole::kProbe   ? "a find-only mix (finds and iterations) for role \"probe\""
                       : p.role == PhaseRole::kDrain ? "more erases than inserts for role \"drain\""
                                                     : "more inserts than erases for this role";
    r.fail(field, want, "mix insert " + std::to_string(m.insert) + ", erase " + std::to_string(m.erase));
  }
}

// Once the container picks what an erase removes (erase_order
// container_first / container_next), the stream no longer knows which keys
// are live, only how many. From that phase on, nothing may depend on a key's
// identity: no find_hit, no erase of a named key, no reinsert, no universe
// keys, no finds of recently erased keys. The memory recorder then counts
// each such erase as one key's payload, which is only exact when every key
// weighs the same: no "string" kind.
void check_unknown_erases(const Reader& r, const WorkloadSpec& spec) {
  bool unknown = false;
  for (std::size_t i = 0; i < spec.phases.size(); ++i) {
    const PhaseSpec& p = spec.phases[i];
    const std::string f = "phases[" + std::to_string(i) + "]";
    const bool picks = p.mix.erase > 0 && container_picks(p.erase_order);
    if (!picks && !unknown) continue;
    const std::string why =
        picks ? " (the container picks what this phase erases)"
              : " (an earlier phase let the container pick what it erases: which keys are live is unknown)";
    if (p.mix.find_hit > 0) r.fail(f + ".mix.find_hit", "no find_hit" + why, show(p.mix.find_hit));
    if (p.mix.erase > 0 && !container_picks(p.erase_order))
      r.fail(f + ".erase_order", "\"container_first\" or \"container_next\"" + why, "an order that names keys");
    if (p.insert_keys != InsertKeys::kFresh) r.fail(f + ".insert_keys", "\"fresh\"" + why, "another choice");
    if (p.miss_keys != MissKeys::kAbsent) r.fail(f + ".miss_keys", "\"absent\"" + why, "\"recently_erased\"");
    if (spec.key_universe) r.fail("key_universe", "no key universe" + why, "one");
    if (std::find(spec.kv.begin(), spec.kv.end(), "string") != spec.kv.end())
      r.fail("kv",
             "fixed-size kinds only (u64, inline32, blob1k): the payload of a key the container picks is "
             "only known when every key weighs the same" +
                 why,
             "\"string\"");
    unknown = true;
  }
  if (spec.needs_iteration())
    for (const SizeProfile& size : spec.sizes)
      if (spec.threads_for(size.name) > 1)
        r.fail("sizes." + size.name + ".threads",
               "one thread for a workload that iterates or lets the container pick what it erases (iteration "
               "while other threads mutate is not studied)",
               std::to_string(spec.threads_for(size.name)) + " threads");
}

// "headline": phase names (or repeat-group base names); "retention_phase": one
// drain-role phase. Both checked against the expanded phases.
void parse_phase_choices(const Reader& r, const json& root, WorkloadSpec& spec) {
  auto named = [&](const std::string& n) {
    return std::any_of(spec.phases.begin(), spec.phases.end(),
                       [&](const PhaseSpec& p) { return p.name == n || p.base_name == n; });
  };
  if (root.contains("headline")) {
    const json& h = root["headline"];
    if (!h.is_array() || h.empty()) r.fail("headline", "a non-empty list of phase names", type_name(h));
    for (std::size_t i = 0; i < h.size(); ++i) {
      const std::string f = "headline[" + std::to_string(i) + "]";
      const std::string n = r.string(h[i], f);
      if (!named(n)) r.fail(f, "the name of a phase of this spec", "\"" + n + "\"");
      spec.headline.push_back(n);
    }
  }
  if (root.contains("retention_phase")) {
    spec.retention_phase = r.string(root["retention_phase"], "retention_phase");
    const auto it = std::find_if(spec.phases.begin(), spec.phases.end(),
                                 [&](const PhaseSpec& p) { return p.name == spec.retention_phase; });
    if (it == spec.phases.end() || it->role != PhaseRole::kDrain)
      r.fail("retention_phase", "the name of a phase with role \"drain\"", show(root["retention_phase"]));
  } else {
    for (const PhaseSpec& p : spec.phases)
      if (p.role == PhaseRole::kDrain) spec.retention_phase = p.name;
  }
  if (std::none_of(spec.phases.begin(), spec.phases.end(), [&](const PhaseSpec& p) { return spec.is_headline(p); }))
    r.fail("headline", "at least one headline phase (every phase is a load phase: name one in \"headline\")", "none");
}

bool one_decimal(double pct) {
  const double tenths = pct * 10.0;
  return std::fabs(tenths - std::round(tenths)) < 1e-6;
}

Mix parse_mix(const Reader& r, const json& v, const std::string& field) {
  const std::string mf = field + ".mix";
  const json& mix = r.required(v, field, "mix");
  r.object(mix, mf);
  r.known_fields(mix, mf, {"insert", "erase", "find_hit", "find_miss", "iterate"});
  auto pct = [&](const char* key) {
    if (!mix.contains(key)) return 0.0;
    const double x = r.fraction(mix[key], mf + "." + key, 0, 100, false, "a percentage in [0, 100]");
    if (!one_decimal(x)) r.fail(mf + "." + key, "a percentage with at most one decimal", show(mix[key]));
    return x;
  };
  const Mix m = {pct("insert"), pct("erase"), pct("find_hit"), pct("find_miss"), pct("iterate")};
  const double sum = m.insert + m.erase + m.find_hit + m.find_miss + m.iterate;
  if (std::fabs(sum - 100.0) > 1e-6) {
    std::ostringstream got;
    got << "a sum of " << sum;
    r.fail(mf, "percentages summing to 100 (impossible mix)", got.str());
  }
  return m;
}

// A phase's length, written exactly one way: ops (one count, or one per size
// profile), turnovers, ops_per_live or target_live.
void parse_length(const Reader& r, const json& v, const std::string& field, const std::vector<std::string>& profiles,
                  PhaseSpec& p) {
  int ways = 0;
  for (const char* k : {"ops", "turnovers", "ops_per_live", "target_live"}) ways += v.contains(k) ? 1 : 0;
  if (ways != 1)
    r.fail(field, "exactly one phase length: ops, turnovers, ops_per_live or target_live",
           std::to_string(ways) + " of them");
  if (v.contains("ops")) {
    p.length_kind = LengthKind::kOps;
    const json& ops = v["ops"];
    if (ops.is_object()) {
      for (const auto& [prof, n] : ops.items()) {
        if (std::find(profiles.begin(), profiles.end(), prof) == profiles.end())
          r.fail(field + ".ops." + prof, "a size profile named in sizes", "\"" + prof + "\"");
        p.ops[prof] = r.integer(n, field + ".ops." + prof, 1);
      }
      for (const auto& prof : profiles)
        if (!p.ops.count(prof))
          r.fail(field + ".ops." + prof, "an op count for every size profile (missing required field)", "nothing");
    } else {
      p.ops["*"] = r.integer(ops, field + ".ops", 1);
    }
  } else if (v.contains("turnovers")) {
    p.length_kind = LengthKind::kTurnovers;
    p.length = r.fraction(v["turnovers"], field + ".turnovers", 0, 1e6, true, "a number > 0");
    if (p.mix.erase <= 0)
      r.fail(field + ".turnovers",
             "a phase with erases (a turnover is N erased keys); use ops_per_live for a phase without erases",
             "mix.erase 0");
  } else if (v.contains("ops_per_live")) {
    p.length_kind = LengthKind::kOpsPerLive;
    p.length = r.fraction(v["ops_per_live"], field + ".ops_per_live", 0, 1e6, true, "a number > 0");
  } else {
    p.length_kind = LengthKind::kTargetLive;
    p.length = r.fraction(v["target_live"], field + ".target_live", 0, 1e6, false, "a fraction of N >= 0");
    if (p.mix.insert <= 0 && p.mix.erase <= 0)
      r.fail(field + ".target_live", "a mix with inserts or erases to reach the target", "a find-only mix");
  }
}

// Where inserted keys and missed finds' keys come from: insert_keys,
// miss_keys and its recent_window.
void parse_key_sources(const Reader& r, const json& v, const std::string& field, bool has_universe, PhaseSpec& p) {
  p.insert_keys = has_universe ? InsertKeys::kUniverse : InsertKeys::kFresh;
  if (v.contains("insert_keys")) {
    const std::string s = r.string(v["insert_keys"], field + ".insert_keys");
    if (s == "fresh") p.insert_keys = InsertKeys::kFresh;
    else if (s == "universe") p.insert_keys = InsertKeys::kUniverse;
    else if (s == "reinsert") p.insert_keys = InsertKeys::kReinsert;
    else r.fail(field + ".insert_keys", "\"fresh\", \"universe\" or \"reinsert\"", show(v["insert_keys"]));
  }
  if (v.contains("miss_keys")) {
    const std::string s = r.string(v["miss_keys"], field + ".miss_keys");
    if (s == "absent") p.miss_keys = MissKeys::kAbsent;
    else if (s == "recently_erased") p.miss_keys = MissKeys::kRecentlyErased;
    else r.fail(field + ".miss_keys", "\"absent\" or \"recently_erased\"", show(v["miss_keys"]));
  }
  if (v.contains("recent_window")) {
    if (p.miss_keys != MissKeys::kRecentlyErased)
      r.fail(field + ".recent_window", "recent_window only with miss_keys \"recently_erased\"",
             show(v["recent_window"]));
    p.recent_window = r.fraction(v["recent_window"], field + ".recent_window", 0, 1e6, true, "a fraction of N > 0");
  }
}

// Combinations of a phase's fields that cannot be generated or do not mean
// what they say.
void check_phase_combinations(const Reader& r, const std::string& field, bool has_universe, const PhaseSpec& p) {
  if (p.insert_keys == InsertKeys::kUniverse && !has_universe)
    r.fail(field + ".insert_keys", "\"fresh\" or \"reinsert\" unless key_universe is set", "\"universe\"");
  if (p.keys == KeyDistribution::kZipfian && !has_universe)
    r.fail(field + ".keys",
           "zipfian only with key_universe set (Zipf ranks are drawn over a fixed key universe; with fresh keys "
           "use \"latest\")",
           "zipfian");
  if (p.keys == KeyDistribution::kZipfian && p.mix.erase > 0 && p.erase_order != EraseOrder::kRandom)
    r.fail(field + ".erase_order",
           "erase_order \"random\" with keys zipfian (the Zipf distribution picks the erased keys; a fixed delete "
           "order cannot satisfy it)",
           "another order");
  if (p.insert_keys == InsertKeys::kReinsert) {
    if (p.mix.insert != p.mix.erase || p.mix.erase <= 0)
      r.fail(field + ".mix",
             "insert == erase > 0 with insert_keys \"reinsert\" (each erase is followed by its reinsert)",
             "insert " + std::to_string(p.mix.insert) + ", erase " + std::to_string(p.mix.erase));
    if (p.length_kind == LengthKind::kTargetLive)
      r.fail(field + ".target_live", "no target with insert_keys \"reinsert\" (the live size cannot change)",
             "a target");
  }
}

PhaseSpec parse_phase(const Reader& r, const json& v, const std::string& field, bool has_universe,
                      const std::vector<std::string>& profiles) {
  r.object(v, field);
  r.known_fields(v, field,
                 {"name", "role", "mix", "ops", "turnovers", "ops_per_live", "target_live", "keys", "erase_order",
                  "insert_keys", "miss_keys", "recent_window", "memory_probes", "compact_probe"});
  PhaseSpec p;
  p.name = r.string(r.required(v, field, "name"), field + ".name");
  if (p.name.empty() || !std::all_of(p.name.begin(), p.name.end(), [](char c) {
        return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
      }))
    r.fail(field + ".name", "a phase name of [a-z0-9_]", show(v["name"]));
  p.base_name = p.name;
  p.mix = parse_mix(r, v, field);
  parse_length(r, v, field, profiles, p);
  if (v.contains("keys")) p.keys = parse_keys(r, v["keys"], field + ".keys", p.zipf_theta);
  if (v.contains("erase_order")) parse_erase_order(r, v["erase_order"], field + ".erase_order", p);
  parse_key_sources(r, v, field, has_universe, p);
  if (v.contains("memory_probes")) p.memory_probes = r.boolean(v["memory_probes"], field + ".memory_probes");
  if (v.contains("compact_probe")) p.compact_probe = r.boolean(v["compact_probe"], field + ".compact_probe");

  check_phase_combinations(r, field, has_universe, p);
  parse_role(r, r.required(v, field, "role"), field + ".role", p);
  if (p.memory_probes && p.mix.erase <= 0)
    r.fail(field + ".memory_probes", "memory probes only on a phase with erases (they read memory after deletes)",
           "mix.erase 0");
  if (p.compact_probe && !p.memory_probes)
    r.fail(field + ".compact_probe", "compact_probe only with memory_probes (it follows the purge probe)", "true");
  return p;
}

void expand_phases(const Reader& r, const json& list, const std::string& field, bool has_universe,
                   const std::vector<std::string>& profiles, std::vector<PhaseSpec>& out) {
  if (!list.is_array() || list.empty()) r.fail(field, "a non-empty array of phases", type_name(list));
  for (std::size_t i = 0; i < list.size(); ++i) {
    const std::string f = field + "[" + std::to_string(i) + "]";
    const json& v = list[i];
    if (v.is_object() && v.contains("repeat")) {
      r.known_fields(v, f, {"repeat", "phases"});
      const auto n = r.integer(v["repeat"], f + ".repeat", 1, 1000);
      std::vector<PhaseSpec> body;
      expand_phases(r, r.required(v, f, "phases"), f + ".phases", has_universe, profiles, body);
      for (std::uint64_t c = 1; c <= n; ++c)
        for (PhaseSpec p : body) {
          p.name += '_';
          p.name += std::to_string(c);  // (not "_" + ...: GCC 12 -Wrestrict false positive)
          // base_name stays: "headline": ["grow"] means every grow_<c>.
          out.push_back(std::move(p));
        }
    } else {
      out.push_back(parse_phase(r, v, f, has_universe, profiles));
    }
  }
}

std::uint64_t phase_ops(const PhaseSpec& p, std::string_view profile) {
  auto it = p.ops.find(profile);
  if (it == p.ops.end()) it = p.ops.find("*");
  return it == p.ops.end() ? 0 : it->second;
}

// ---- the spec's top-level field groups ----------------------------------------

void parse_identity(const Reader& r, const json& root, const std::filesystem::path& source, WorkloadSpec& spec) {
  spec.name = r.string(r.required(root, "", "name"), "name");
  const std::string stem = source.stem().string();
  if (spec.name != stem)
    r.fail("name", "the file name \"" + stem + "\" (name must match the file)", "\"" + spec.name + "\"");

  spec.description = r.string(r.required(root, "", "description"), "description");
  if (spec.description.size() < 20 ||
      std::none_of(spec.description.begin(), spec.description.end(), [](char c) { return c >= '0' && c <= '9'; }))
    r.fail("description",
           "one sentence on the real system the preset stands for, with the published figure it is set from "
           "(at least 20 characters and a number)",
           show(root["description"]));
}

void parse_kv(const Reader& r, const json& root, WorkloadSpec& spec) {
  const json& kv = r.required(root, "", "kv");
  if (!kv.is_array() || kv.empty())
    r.fail("kv", "a non-empty list of kv kinds (u64, inline32, string, blob1k)", type_name(kv));
  for (std::size_t i = 0; i < kv.size(); ++i) {
    const std::string f = "kv[" + std::to_string(i) + "]";
    const std::string k = r.string(kv[i], f);
    if (std::none_of(std::begin(kKvKinds), std::end(kKvKinds), [&](const char* s) { return k == s; }))
      r.fail(f, "a kv kind: \"u64\", \"inline32\", \"string\" or \"blob1k\" (unknown kv kind)", "\"" + k + "\"");
    if (std::find(spec.kv.begin(), spec.kv.end(), k) != spec.kv.end())
      r.fail(f, "each kv kind once", "\"" + k + "\" twice");
    spec.kv.push_back(k);
  }
}

void parse_fill(const Reader& r, const json& root, WorkloadSpec& spec) {
  if (root.contains("fill") && root["fill"].is_array()) {
    const json& sweep = root["fill"];
    if (sweep.empty()) r.fail("fill", "a fraction of the growth point in (0, 1], or a non-empty list of them", "[]");
    for (std::size_t i = 0; i < sweep.size(); ++i) {
      const std::string f = "fill[" + std::to_string(i) + "]";
      const double x = r.fraction(sweep[i], f, 0.0, 1.0, true, "a fraction of the growth point in (0, 1]");
      if (std::find(spec.fill_sweep.begin(), spec.fill_sweep.end(), x) != spec.fill_sweep.end())
        r.fail(f, "a fill not already in the list", show(sweep[i]));
      spec.fill_sweep.push_back(x);
    }
  } else if (root.contains("fill") && !root["fill"].is_null()) {
    spec.fill =
        r.fraction(root["fill"], "fill", 0.0, 1.0, true, "a fraction of the growth point in (0, 1], or a list of them");
  }
}

// The size profiles; returns their names (a phase's op count may be given
// per profile).
std::vector<std::string> parse_sizes(const Reader& r, const json& root, WorkloadSpec& spec) {
  const json& sizes = r.required(root, "", "sizes");
  r.object(sizes, "sizes");
  std::vector<std::string> profiles;
  for (const auto& [name, prof] : sizes.items()) {
    const std::string f = "sizes." + name;
    r.object(prof, f);
    r.known_fields(prof, f, {"live", "threads", "idle_probes_s"});
    SizeProfile s;
    s.name = name;
    s.live = static_cast<std::size_t>(r.integer(r.required(prof, f, "live"), f + ".live", 1, 1ull << 31));
    if (prof.contains("threads")) s.threads = static_cast<unsigned>(r.integer(prof["threads"], f + ".threads", 1, 256));
    if (prof.contains("idle_probes_s")) {
      const json& ip = prof["idle_probes_s"];
      if (!ip.is_array()) r.fail(f + ".idle_probes_s", "a list of idle periods in seconds", type_name(ip));
      for (std::size_t i = 0; i < ip.size(); ++i) {
        const std::string g = f + ".idle_probes_s[" + std::to_string(i) + "]";
        const double x = r.fraction(ip[i], g, 0, 3600, true, "seconds in (0, 3600]");
        if (!s.idle_probes_s.empty() && x <= s.idle_probes_s.back())
          r.fail(g, "idle periods in increasing order", show(ip[i]));
        s.idle_probes_s.push_back(x);
      }
    }
    profiles.push_back(name);
    spec.sizes.push_back(std::move(s));
  }
  for (const char* needed : {"quick", "full"})
    if (!sizes.contains(needed))
      r.fail(std::string("sizes.") + needed, "a \"quick\" and a \"full\" size profile (missing required field)",
             "nothing");
  return profiles;
}

}  // namespace

const SizeProfile& WorkloadSpec::size(std::string_view profile) const {
  for (const auto& s : sizes)
    if (s.name == profile) return s;
  std::string list;
  for (const auto& s : sizes) list += (list.empty() ? "" : ", ") + s.name;
  throw SpecError(source.string() + ": sizes." + std::string(profile) + ": expected a size profile of this spec (" +
                  list + "), got none named \"" + std::string(profile) + "\"");
}

bool WorkloadSpec::is_headline(const PhaseSpec& p) const {
  if (headline.empty()) return p.role != PhaseRole::kLoad;
  return std::find(headline.begin(), headline.end(), p.name) != headline.end() ||
         std::find(headline.begin(), headline.end(), p.base_name) != headline.end();
}

bool WorkloadSpec::needs_iteration() const {
  return std::any_of(phases.begin(), phases.end(), [](const PhaseSpec& p) {
    return p.mix.iterate > 0 || (p.mix.erase > 0 && container_picks(p.erase_order));
  });
}

unsigned WorkloadSpec::threads_for(std::string_view profile) const {
  if (!trace.empty()) return 1;  // a trace is one recorded sequence, at any size
  const auto& s = size(profile);
  return s.threads ? *s.threads : threads;
}

void check_feasible(const WorkloadSpec& spec, std::size_t live, unsigned threads, std::string_view profile) {
  const Reader r(spec.source.string());
  const std::string size_where = " (size " + std::string(profile) + ", N = " + std::to_string(live) + ")";
  if (live < threads)
    r.fail("sizes." + std::string(profile) + ".live", "at least one live key per thread" + size_where,
           std::to_string(live) + " for " + std::to_string(threads) + " threads");
  const double n = static_cast<double>(live);
  const double universe = spec.key_universe ? *spec.key_universe * n : 0;
  double predicted = 0;  // live keys expected when the phase ends
  bool erased_before = false;
  for (std::size_t i = 0; i < spec.phases.size(); ++i) {
    const PhaseSpec& p = spec.phases[i];
    const std::string f = "phases[" + std::to_string(i) + "]";
    const std::string where =
        " (phase \"" + p.name + "\", size " + std::string(profile) + ", N = " + std::to_string(live) + ")";
    const double net = (p.mix.insert - p.mix.erase) / 100.0;
    const bool no_inserts = p.mix.insert <= 0;
    if (predicted < 0.5 && no_inserts && (p.mix.erase > 0 || p.mix.find_hit > 0))
      r.fail(f + ".mix", "no erase or find_hit when the phase starts with no live keys and inserts none" + where,
             "erase " + std::to_string(p.mix.erase) + ", find_hit " + std::to_string(p.mix.find_hit));
    double end = predicted;
    switch (p.length_kind) {
      case LengthKind::kTargetLive: {
        end = std::round(p.length * n);
        if (end > predicted + 0.5 && net <= 0)
          r.fail(f + ".target_live", "more inserts than erases in the mix to grow to the target" + where,
                 "a mix that cannot grow");
        if (end < predicted - 0.5 && net >= 0)
          r.fail(f + ".target_live", "more erases than inserts in the mix to shrink to the target" + where,
                 "a mix that cannot shrink");
        break;
      }
      case LengthKind::kTurnovers: end += net * p.length * n * 100.0 / p.mix.erase; break;
      case LengthKind::kOpsPerLive: end += net * p.length * n; break;
      case LengthKind::kOps: end += net * static_cast<double>(phase_ops(p, profile)); break;
    }
    if (end < -0.5)
      r.fail(f + ".mix", "no more erases than live keys (impossible mix)" + where,
             "a phase that would leave " + std::to_string(static_cast<long long>(end)) + " live keys");
    if (p.insert_keys == InsertKeys::kUniverse && end > universe + 0.5)
      r.fail(f + ".insert_keys", "a key universe large enough for the live set (raise key_universe)" + where,
             std::to_string(static_cast<long long>(end)) + " live keys in a universe of " +
                 std::to_string(static_cast<long long>(universe)));
    if (p.miss_keys == MissKeys::kRecentlyErased && !erased_before && p.mix.erase <= 0)
      r.fail(f + ".miss_keys", "\"recently_erased\" only after or in a phase with erases" + where, "no erases yet");
    erased_before = erased_before || p.mix.erase > 0;
    predicted = std::max(0.0, end);
  }
}

// A spec that names a recorded trace: identity, kv kinds and the trace file.
WorkloadSpec parse_trace_spec(const Reader& r, const json& root, const std::filesystem::path& source) {
  r.known_fields(root, "", {"name", "description", "kv", "trace"});
  WorkloadSpec spec;
  spec.source = source;
  parse_identity(r, root, source, spec);
  parse_kv(r, root, spec);
  const std::filesystem::path trace = r.string(root["trace"], "trace");
  if (trace.empty()) r.fail("trace", "the path of a .dstrace file (made by dstudy_trace convert)", "\"\"");
  spec.trace = trace.is_absolute() ? trace : source.parent_path() / trace;
  return spec;
}

WorkloadSpec parse_workload_spec(std::string_view text, const std::filesystem::path& source) {
  const Reader r(source.string());
  json root;
  try {
    root = json::parse(text.begin(), text.end());
  } catch (const json::exception& e) {  // parse_error, and out_of_range for a number too large (1e999)
    r.fail("", "valid JSON", e.what());
  }
  r.object(root, "");
  if (root.contains("trace")) return parse_trace_spec(r, root, source);
  r.known_fields(root, "",
                 {"name", "description", "kv", "threads", "seed", "key_universe", "key_encoding", "fill", "reserve",
                  "latency_by_phase", "sizes", "phases", "headline", "retention_phase", "trace"});
  WorkloadSpec spec;
  spec.source = source;
  parse_identity(r, root, source, spec);
  parse_kv(r, root, spec);
  if (root.contains("threads")) spec.threads = static_cast<unsigned>(r.integer(root["threads"], "threads", 1, 256));
  spec.seed = r.integer(r.required(root, "", "seed"), "seed");
  if (root.contains("key_universe") && !root["key_universe"].is_null())
    spec.key_universe = r.fraction(root["key_universe"], "key_universe", 1.0, 1e6, false,
                                   "a multiple of N >= 1 (the universe must hold the live set)");
  if (root.contains("key_encoding")) {
    const std::string s = r.string(root["key_encoding"], "key_encoding");
    if (s == "hashed") spec.key_encoding = KeyEncoding::kHashed;
    else if (s == "dense") spec.key_encoding = KeyEncoding::kDense;
    else r.fail("key_encoding", "\"hashed\" or \"dense\"", show(root["key_encoding"]));
  }
  parse_fill(r, root, spec);
  if (root.contains("reserve")) spec.reserve = r.boolean(root["reserve"], "reserve");
  if (root.contains("latency_by_phase"))
    spec.latency_by_phase = r.boolean(root["latency_by_phase"], "latency_by_phase");

  const std::vector<std::string> profiles = parse_sizes(r, root, spec);
  expand_phases(r, r.required(root, "", "phases"), "phases", spec.key_universe.has_value(), profiles, spec.phases);
  std::set<std::string> names;
  for (std::size_t i = 0; i < spec.phases.size(); ++i)
    if (!names.insert(spec.phases[i].name).second)
      r.fail("phases[" + std::to_string(i) + "].name", "a phase name used once (after repeat expansion)",
             "\"" + spec.phases[i].name + "\" again");
  parse_phase_choices(r, root, spec);
  check_unknown_erases(r, spec);

  for (const auto& s : spec.sizes) check_feasible(spec, s.live, spec.threads_for(s.name), s.name);
  return spec;
}

WorkloadSpec load_workload_spec(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw SpecError(file.string() + ": (file): expected a readable spec file, got none");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_workload_spec(text.str(), file);
}

std::vector<WorkloadSpec> load_workload_dir(const std::filesystem::path& dir) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw SpecError(dir.string() + ": (folder): expected a folder of workload specs, got none");
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  std::vector<WorkloadSpec> specs;
  for (const auto& f : files)
    for (WorkloadSpec& s : expand_fill_sweep(load_workload_spec(f))) specs.push_back(std::move(s));
  return specs;
}

std::vector<WorkloadSpec> expand_fill_sweep(const WorkloadSpec& spec) {
  if (spec.fill_sweep.empty()) return {spec};
  std::vector<WorkloadSpec> variants;
  for (const double fill : spec.fill_sweep) {
    WorkloadSpec v = spec;
    v.fill_sweep.clear();
    v.fill = fill;
    v.name += ".fill" + std::to_string(static_cast<int>(std::lround(fill * 100)));
    variants.push_back(std::move(v));
  }
  return variants;
}

WorkloadSpec find_workload(const std::filesystem::path& dir, std::string_view name) {
  const std::string_view base = name.substr(0, name.find('.'));
  const std::filesystem::path file = dir / (std::string(base) + ".json");
  if (std::filesystem::exists(file)) {
    for (WorkloadSpec& s : expand_fill_sweep(load_workload_spec(file)))
      if (s.name == name) return std::move(s);
  }
  std::string valid;
  for (const WorkloadSpec& s : load_workload_dir(dir)) valid += (valid.empty() ? "" : ", ") + s.name;
  throw SpecError(dir.string() + ": unknown workload '" + std::string(name) + "'; valid: " + valid);
}

std::optional<std::size_t> sweep_size_live(std::string_view profile) {
  if (profile.size() < 2 || profile.size() > 12 || profile[0] != 'n') return std::nullopt;
  std::size_t n = 0;
  for (const char ch : profile.substr(1)) {
    if (ch < '0' || ch > '9') return std::nullopt;
    n = n * 10 + static_cast<std::size_t>(ch - '0');
  }
  return n;
}

bool add_sweep_size(WorkloadSpec& spec, std::string_view profile) {
  const std::optional<std::size_t> live = sweep_size_live(profile);
  if (!live) return false;
  for (const auto& s : spec.sizes)
    if (s.name == profile) return false;
  if (*live < 1 || *live > (1ull << 31))
    throw SpecError(spec.source.string() + ": size " + std::string(profile) +
                    ": expected a sweep point n<N> with N in 1..2^31, got N = " + std::to_string(*live));
  SizeProfile point = spec.size("full");
  point.name = std::string(profile);
  point.live = *live;
  spec.sizes.push_back(point);
  for (PhaseSpec& p : spec.phases)
    if (const auto it = p.ops.find("full"); it != p.ops.end()) p.ops[point.name] = it->second;
  check_feasible(spec, point.live, spec.threads_for(point.name), point.name);
  return true;
}

std::filesystem::path default_workloads_dir() {
  if (const char* env = std::getenv("DSTUDY_WORKLOADS_DIR"); env && *env) return env;
#ifdef DSTUDY_WORKLOADS_DIR
  return DSTUDY_WORKLOADS_DIR;
#else
  return "workloads";
#endif
}

}  // namespace dstudy
