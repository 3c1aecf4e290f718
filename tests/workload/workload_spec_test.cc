// Spec loading: every preset loads, and every kind of bad spec is rejected
// with a message that names the file, the field and what was expected.
#include <gtest/gtest.h>

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include "bench/workload/workload_spec.h"

namespace dstudy {
namespace {

namespace fs = std::filesystem;

TEST(WorkloadPresets, AllTenPresetsLoad) {
  const auto specs = load_workload_dir(default_workloads_dir());
  std::vector<std::string> names;
  for (const auto& s : specs) names.push_back(s.name);
  // Four presets sweep a low and a high fill: one workload per fill.
  for (const char* want :
       {"concurrent_churn", "drain.fill55", "drain.fill85", "grow_shrink_cycles", "large_values",
        "miss_after_delete.fill55", "miss_after_delete.fill85", "order_book", "reinsert_same.fill55",
        "reinsert_same.fill85", "steady_churn.fill55", "steady_churn.fill85", "ttl_window", "zipf_churn"})
    EXPECT_NE(std::find(names.begin(), names.end(), want), names.end()) << want;
  for (const auto& s : specs) {
    EXPECT_NO_THROW(s.size("quick")) << s.name;
    EXPECT_NO_THROW(s.size("full")) << s.name;
    EXPECT_FALSE(s.kv.empty());
    EXPECT_GE(s.size("full").live, 4 * s.size("quick").live) << s.name << ": full must be well beyond quick";
  }
}

TEST(WorkloadPresets, FillSweepExpandsIntoNamedVariants) {
  const fs::path dir = default_workloads_dir();
  const WorkloadSpec file = load_workload_spec(dir / "drain.json");
  ASSERT_EQ(file.fill_sweep, (std::vector<double>{0.55, 0.85}));
  EXPECT_FALSE(file.fill.has_value());
  const auto variants = expand_fill_sweep(file);
  ASSERT_EQ(variants.size(), 2u);
  EXPECT_EQ(variants[0].name, "drain.fill55");
  EXPECT_EQ(variants[0].fill, 0.55);
  EXPECT_TRUE(variants[0].fill_sweep.empty());
  EXPECT_EQ(find_workload(dir, "drain.fill85").fill, 0.85);
  EXPECT_EQ(find_workload(dir, "ttl_window").name, "ttl_window");
  for (const char* unknown : {"drain", "drain.fill50", "nosuch"}) {
    try {
      find_workload(dir, unknown);
      ADD_FAILURE() << unknown << " was found";
    } catch (const SpecError& e) {
      EXPECT_NE(std::string(e.what()).find("unknown workload"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("drain.fill55"), std::string::npos) << "lists the valid names";
    }
  }
}

TEST(WorkloadPresets, SweepPointIsTheFullProfileAtN) {
  WorkloadSpec spec = find_workload(default_workloads_dir(), "miss_after_drain.fill85");
  const SizeProfile full = spec.size("full");
  EXPECT_FALSE(add_sweep_size(spec, "full")) << "a profile the spec defines is not a sweep point";
  EXPECT_FALSE(add_sweep_size(spec, "n12x")) << "not n<digits>";
  ASSERT_TRUE(add_sweep_size(spec, "n30000"));
  EXPECT_FALSE(add_sweep_size(spec, "n30000")) << "added once";
  const SizeProfile& point = spec.size("n30000");
  EXPECT_EQ(point.live, 30000u);
  EXPECT_EQ(point.idle_probes_s, full.idle_probes_s);
  // A fixed-length phase keeps the full profile's op count.
  for (const PhaseSpec& p : spec.phases)
    if (p.length_kind == LengthKind::kOps) EXPECT_EQ(p.ops.at("n30000"), p.ops.at("full")) << p.name;
  EXPECT_EQ(sweep_size_live("n3000000"), 3000000u);
  EXPECT_EQ(sweep_size_live("quick"), std::nullopt);
  try {
    add_sweep_size(spec, "n0");
    ADD_FAILURE() << "n0 accepted";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find("size n0"), std::string::npos) << e.what();
  }
}

TEST(WorkloadPresets, ConcurrentPresetsReserve) {
  for (const auto& s : load_workload_dir(default_workloads_dir())) {
    if (s.threads_for("quick") > 1 || s.threads_for("full") > 1) {
      EXPECT_TRUE(s.reserve) << s.name;
    }
  }
}

TEST(WorkloadPresets, RepeatExpandsIntoNumberedPhases) {
  const auto spec = load_workload_spec(default_workloads_dir() / "grow_shrink_cycles.json");
  ASSERT_EQ(spec.phases.size(), 20u);
  EXPECT_EQ(spec.phases[0].name, "grow_1");
  EXPECT_EQ(spec.phases[1].name, "shrink_1");
  EXPECT_EQ(spec.phases[19].name, "shrink_10");
  EXPECT_TRUE(spec.phases[1].memory_probes);
}

// ---- bad specs ------------------------------------------------------------

const char* kGood = R"({
  "name": "case",
  "description": "A test table held at 1000 keys, for the loader's tests.",
  "kv": ["u64", "string"],
  "seed": 7,
  "sizes": {"quick": {"live": 1000}, "full": {"live": 4000}},
  "phases": [
    {"name": "load", "role": "load", "mix": {"insert": 100}, "target_live": 1.0},
    {"name": "churn", "role": "steady", "mix": {"insert": 25, "erase": 25, "find_hit": 40, "find_miss": 10}, "turnovers": 1}
  ]
})";

class BadSpecs : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("dstudy_bad_specs_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& text, const std::string& name = "case") {
    const fs::path p = dir_ / (name + ".json");
    std::ofstream(p) << text;
    return p;
  }

  // Replaces `from` (which must occur) in the good spec.
  static std::string edit(const std::string& from, const std::string& to) {
    std::string s = kGood;
    const auto at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    if (at != std::string::npos) s.replace(at, from.size(), to);
    return s;
  }

  // The spec must be rejected with a message holding the file, the field
  // and each of the `expected` fragments.
  void rejects(const std::string& text, const std::string& field, std::vector<std::string> expected,
               const std::string& name = "case") {
    const fs::path p = write(text, name);
    try {
      load_workload_spec(p);
      ADD_FAILURE() << "accepted a bad spec; expected an error on " << field;
    } catch (const SpecError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find(p.string()), std::string::npos) << "no file name in: " << msg;
      EXPECT_NE(msg.find(field), std::string::npos) << "no field '" << field << "' in: " << msg;
      EXPECT_NE(msg.find("expected"), std::string::npos) << msg;
      for (const auto& frag : expected)
        EXPECT_NE(msg.find(frag), std::string::npos) << "no '" << frag << "' in: " << msg;
    }
  }

  fs::path dir_;
};

TEST_F(BadSpecs, GoodSpecLoads) {
  const auto spec = load_workload_spec(write(kGood));
  EXPECT_EQ(spec.name, "case");
  EXPECT_EQ(spec.phases.size(), 2u);
  EXPECT_EQ(spec.phases[1].length_kind, LengthKind::kTurnovers);
}

TEST_F(BadSpecs, InvalidJson) { rejects("{\"name\": ", "(top level)", {"valid JSON"}); }
// Found by fuzz_workload_spec (tests/fuzz/corpus/fuzz_workload_spec/crash-number_out_of_range):
// a number past double's range is nlohmann's out_of_range, not a parse_error.
TEST_F(BadSpecs, NumberOutOfRange) { rejects("333e2332", "(top level)", {"valid JSON", "number overflow"}); }

TEST_F(BadSpecs, UnknownField) {
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"sead\": 1"), "sead", {"unknown field", "allowed here"});
  rejects(edit("\"target_live\": 1.0", "\"target_live\": 1.0, \"order\": 1"), "phases[0].order", {"unknown field"});
  rejects(edit("{\"live\": 1000}", "{\"live\": 1000, \"size\": 3}"), "sizes.quick.size", {"unknown field"});
  rejects(edit("\"find_miss\": 10}", "\"find_mis\": 10}"), "phases[1].mix.find_mis", {"unknown field"});
}

TEST_F(BadSpecs, WrongType) {
  rejects(edit("\"seed\": 7", "\"seed\": \"7\""), "seed", {"an integer", "string"});
  rejects(edit("\"seed\": 7", "\"seed\": -7"), "seed", {"an integer >= 0"});
  rejects(edit("{\"live\": 1000}", "{\"live\": 1000.5}"), "sizes.quick.live", {"an integer >= 1"});
  rejects(edit("\"kv\": [\"u64\", \"string\"]", "\"kv\": \"u64\""), "kv", {"non-empty list"});
  rejects(edit("\"turnovers\": 1", "\"turnovers\": true"), "phases[1].turnovers", {"a number"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"reserve\": 1"), "reserve", {"true or false"});
}

TEST_F(BadSpecs, MissingRequiredField) {
  rejects(edit("\"seed\": 7,", ""), "seed", {"missing required field"});
  rejects(edit("\"kv\": [\"u64\", \"string\"],", ""), "kv", {"missing required field"});
  rejects(edit(", \"full\": {\"live\": 4000}", ""), "sizes.full", {"\"quick\" and a \"full\""});
  rejects(edit("{\"name\": \"load\", ", "{"), "phases[0].name", {"missing required field"});
  rejects(edit("\"mix\": {\"insert\": 100}, ", ""), "phases[0].mix", {"missing required field"});
}

TEST_F(BadSpecs, NameMustMatchFile) { rejects(kGood, "name", {"the file name \"other\""}, "other"); }

TEST_F(BadSpecs, DescriptionNeedsAFigure) {
  rejects(edit("A test table held at 1000 keys, for the loader's tests.", "A table."), "description",
          {"published figure"});
}

TEST_F(BadSpecs, ImpossibleMix) {
  rejects(edit("\"find_miss\": 10}", "\"find_miss\": 0}"), "phases[1].mix", {"summing to 100", "90"});
  rejects(edit("\"insert\": 25, \"erase\": 25", "\"insert\": 25.05, \"erase\": 24.95"), "phases[1].mix.insert",
          {"one decimal"});
  rejects(edit("\"insert\": 25, \"erase\": 25", "\"insert\": -5, \"erase\": 55"), "phases[1].mix.insert",
          {"percentage in [0, 100]"});
  // Erases more keys than the load put there.
  {
    std::string s =
        edit("\"insert\": 25, \"erase\": 25, \"find_hit\": 40", "\"insert\": 5, \"erase\": 45, \"find_hit\": 40");
    s.replace(s.find("\"turnovers\": 1"), 14, "\"turnovers\": 2");
    rejects(s, "phases[1]", {"impossible mix"});
  }
  // Finds in a phase that starts empty and never inserts.
  rejects(edit("{\"name\": \"load\", \"role\": \"load\", \"mix\": {\"insert\": 100}, \"target_live\": 1.0}",
               "{\"name\": \"look\", \"role\": \"probe\", \"mix\": {\"find_hit\": 100}, \"ops\": 10}"),
          "phases[0].mix", {"no erase or find_hit", "phase \"look\""});
}

TEST_F(BadSpecs, PhaseRoles) {
  rejects(edit("\"role\": \"steady\", ", ""), "phases[1].role", {"missing required field"});
  rejects(edit("\"role\": \"steady\"", "\"role\": \"churn\""), "phases[1].role", {"a phase role", "\"probe\""});
  rejects(edit("\"role\": \"steady\"", "\"role\": \"probe\""), "phases[1].role", {"find-only mix"});
  rejects(edit("\"role\": \"load\"", "\"role\": \"drain\""), "phases[0].role", {"more erases than inserts"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"headline\": [\"nosuch\"]"), "headline[0]", {"name of a phase", "nosuch"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"retention_phase\": \"churn\""), "retention_phase", {"role \"drain\""});
}

TEST_F(BadSpecs, HeadlineAndRetentionDefaults) {
  // Without "headline", every phase but the load counts; retention follows
  // the last drain (none here).
  const auto spec = load_workload_spec(write(kGood));
  EXPECT_EQ(spec.phases[0].role, PhaseRole::kLoad);
  EXPECT_FALSE(spec.is_headline(spec.phases[0]));
  EXPECT_TRUE(spec.is_headline(spec.phases[1]));
  EXPECT_EQ(spec.retention_phase, "");
  const auto named = load_workload_spec(write(edit("\"seed\": 7", "\"seed\": 7, \"headline\": [\"load\"]")));
  EXPECT_TRUE(named.is_headline(named.phases[0]));
  EXPECT_FALSE(named.is_headline(named.phases[1]));
}

TEST(WorkloadPresets, HeadlinesAndRetentionPhases) {
  const auto drain = load_workload_spec(default_workloads_dir() / "miss_after_drain.json");
  for (const auto& p : drain.phases) EXPECT_EQ(drain.is_headline(p), p.name == "probe_miss") << p.name;
  EXPECT_EQ(drain.retention_phase, "drain_90");
  const auto cycles = load_workload_spec(default_workloads_dir() / "grow_shrink_cycles.json");
  EXPECT_EQ(cycles.retention_phase, "shrink_10");
  EXPECT_TRUE(cycles.is_headline(cycles.phases[0]));
  for (const auto& s : load_workload_dir(default_workloads_dir()))
    for (const auto& p : s.phases)
      if (p.role == PhaseRole::kLoad) EXPECT_FALSE(s.is_headline(p)) << s.name << " " << p.name;
}

TEST_F(BadSpecs, PhaseLength) {
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"ops\": 10"), "phases[1]", {"exactly one phase length"});
  rejects(edit("\"turnovers\": 1", "\"ops\": {\"quick\": 10}"), "phases[1].ops.full", {"every size profile"});
  rejects(edit("\"turnovers\": 1", "\"ops\": {\"quick\": 10, \"full\": 10, \"huge\": 1}"), "phases[1].ops.huge",
          {"size profile named in sizes"});
  rejects(edit("\"target_live\": 1.0", "\"turnovers\": 1.0"), "phases[0].turnovers", {"a phase with erases"});
  rejects(edit("\"target_live\": 1.0", "\"target_live\": -1"), "phases[0].target_live", {"fraction of N >= 0"});
}

TEST_F(BadSpecs, TargetInTheWrongDirection) {
  rejects(edit("\"find_miss\": 10}, \"turnovers\": 1", "\"find_miss\": 10}, \"target_live\": 0.5"),
          "phases[1].target_live", {"more erases than inserts"});
}

TEST_F(BadSpecs, UnknownKvKind) {
  rejects(edit("[\"u64\", \"string\"]", "[\"u64\", \"u128\"]"), "kv[1]", {"unknown kv kind", "u128"});
  rejects(edit("[\"u64\", \"string\"]", "[\"u64\", \"u64\"]"), "kv[1]", {"each kv kind once"});
}

TEST_F(BadSpecs, BadSizeProfile) {
  rejects(edit("{\"live\": 1000}", "{\"live\": 0}"), "sizes.quick.live", {"an integer >= 1"});
  rejects(edit("{\"live\": 1000}", "{\"threads\": 2}"), "sizes.quick.live", {"missing required field"});
  rejects(edit("{\"live\": 1000}", "1000"), "sizes.quick", {"an object"});
  rejects(edit("{\"live\": 1000}", "{\"live\": 1000, \"idle_probes_s\": [1.0, 0.5]}"), "sizes.quick.idle_probes_s[1]",
          {"increasing order"});
  rejects(edit("{\"live\": 1000}", "{\"live\": 1, \"threads\": 4}"), "sizes.quick.live", {"one live key per thread"});
}

TEST_F(BadSpecs, KeyDistributionAndDeleteOrder) {
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"keys\": \"pareto\""), "phases[1].keys", {"a key distribution"});
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"keys\": {\"zipfian\": 1.2}"), "phases[1].keys.zipfian",
          {"theta in (0, 1)"});
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"keys\": \"zipfian\""), "phases[1].keys", {"key_universe"});
}

TEST_F(BadSpecs, ZipfianWithFifoIsRejected) {
  std::string s = edit("\"seed\": 7,", "\"seed\": 7, \"key_universe\": 10,");
  const std::string from = "\"turnovers\": 1";
  s.replace(s.find(from), from.size(), "\"turnovers\": 1, \"keys\": \"zipfian\", \"erase_order\": \"fifo\"");
  rejects(s, "phases[1].erase_order", {"cannot satisfy"});
}

TEST_F(BadSpecs, EraseOrderValues) {
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"erase_order\": \"newest\""), "phases[1].erase_order",
          {"an erase order"});
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"erase_order\": {\"order\": \"lifo\", \"window\": 4}"),
          "phases[1].erase_order.window", {"only with order \"fifo\""});
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"erase_order\": {\"order\": \"fifo\", \"window\": 0}"),
          "phases[1].erase_order.window", {"an integer >= 1"});
}

TEST_F(BadSpecs, InsertAndMissKeys) {
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"insert_keys\": \"universe\""), "phases[1].insert_keys",
          {"unless key_universe is set"});
  std::string s = edit("\"turnovers\": 1", "\"turnovers\": 1, \"insert_keys\": \"reinsert\"");
  const std::string from = "\"insert\": 25, \"erase\": 25";
  s.replace(s.find(from), from.size(), "\"insert\": 20, \"erase\": 30");
  rejects(s, "phases[1].mix", {"insert == erase"});
  rejects(edit("\"target_live\": 1.0", "\"target_live\": 1.0, \"miss_keys\": \"recent\""), "phases[0].miss_keys",
          {"\"absent\" or \"recently_erased\""});
  rejects(edit("\"target_live\": 1.0", "\"target_live\": 1.0, \"recent_window\": 0.1"), "phases[0].recent_window",
          {"only with miss_keys"});
}

TEST_F(BadSpecs, MemoryProbesNeedErases) {
  rejects(edit("\"target_live\": 1.0", "\"target_live\": 1.0, \"memory_probes\": true"), "phases[0].memory_probes",
          {"only on a phase with erases"});
}

TEST_F(BadSpecs, CompactProbeNeedsMemoryProbes) {
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"compact_probe\": true"), "phases[1].compact_probe",
          {"only with memory_probes"});
  rejects(edit("\"turnovers\": 1", "\"turnovers\": 1, \"memory_probes\": true, \"compact_probe\": 1"),
          "phases[1].compact_probe", {});
}

TEST_F(BadSpecs, UniverseTooSmall) {
  std::string s = edit("\"seed\": 7,", "\"seed\": 7, \"key_universe\": 1,");
  const std::string from = "\"target_live\": 1.0";
  s.replace(s.find(from), from.size(), "\"target_live\": 1.5");
  rejects(s, "phases[0]", {"key universe"});
}

TEST_F(BadSpecs, DuplicatePhaseNames) {
  rejects(edit("{\"name\": \"churn\"", "{\"name\": \"load\""), "phases[1].name", {"used once"});
}

TEST_F(BadSpecs, FillAndThreads) {
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"fill\": 1.5"), "fill", {"growth point"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"fill\": [0.5, 0]"), "fill[1]", {"growth point"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"fill\": [0.5, 0.5]"), "fill[1]", {"not already in the list"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"fill\": []"), "fill", {"non-empty list"});
  rejects(edit("\"seed\": 7", "\"seed\": 7, \"threads\": 0"), "threads", {"an integer >= 1"});
}

TEST_F(BadSpecs, DirectoryRejectsBadFileAndNamesIt) {
  write(kGood);
  EXPECT_EQ(load_workload_dir(dir_).size(), 1u);
  std::string other = edit("\"seed\": 7", "\"seed\": 7, \"x\": 1");
  other.replace(other.find("\"case\""), 6, "\"zzz\"");
  const fs::path bad = write(other, "zzz");
  try {
    load_workload_dir(dir_);
    ADD_FAILURE() << "a folder with a bad spec loaded";
  } catch (const SpecError& e) {
    EXPECT_NE(std::string(e.what()).find(bad.string()), std::string::npos) << e.what();
  }
}

TEST_F(BadSpecs, ReinsertWithLifoIsFine) {
  EXPECT_NO_THROW(load_workload_spec(
      write(edit("\"turnovers\": 1", "\"turnovers\": 1, \"insert_keys\": \"reinsert\", \"erase_order\": \"lifo\""))));
}

}  // namespace
}  // namespace dstudy

namespace dstudy {
namespace {

// Once the container picks what an erase removes, nothing may name a live
// key, the kind must be fixed-size and the workload single-threaded.
TEST_F(BadSpecs, ContainerPickedErasesForbidWhatNeedsKnownKeys) {
  const std::string churn =
      R"({"name": "churn", "role": "steady", "mix": {"insert": 25, "erase": 25, "find_hit": 40, "find_miss": 10}, "turnovers": 1})";
  const std::string picks =
      R"({"name": "churn", "role": "steady", "mix": {"insert": 50, "erase": 50}, "erase_order": "container_first", "turnovers": 1})";
  const std::string u64 = R"("kv": ["u64"])";
  auto spec = [&](const std::string& phase) {
    std::string s = edit(churn, phase);
    const auto at = s.find(R"("kv": ["u64", "string"])");
    s.replace(at, std::string(R"("kv": ["u64", "string"])").size(), u64);
    return s;
  };
  rejects(edit(churn, picks), "kv", {"fixed-size kinds only", "string"});
  rejects(
      spec(
          R"({"name": "churn", "role": "steady", "mix": {"insert": 40, "erase": 40, "find_hit": 20}, "erase_order": "container_next", "turnovers": 1})"),
      "phases[1].mix.find_hit", {"no find_hit", "the container picks"});
  rejects(spec(picks + R"(, {"name": "after", "role": "steady", "mix": {"insert": 50, "erase": 50}, "turnovers": 1})"),
          "phases[2].erase_order", {"an earlier phase let the container pick"});
  rejects(spec(picks + R"(, {"name": "after", "role": "probe", "mix": {"find_hit": 100}, "ops": 10})"),
          "phases[2].mix.find_hit", {"no find_hit"});
  std::string threaded = spec(picks);
  threaded.replace(threaded.find(R"("seed": 7)"), 9, R"("seed": 7, "threads": 2)");
  rejects(threaded, "threads", {"one thread"});
  rejects(spec(R"({"name": "churn", "role": "probe", "mix": {"iterate": 50, "insert": 50}, "ops": 10})"),
          "phases[1].role", {"find-only mix (finds and iterations)"});
  // accepted: the same without the string kind, and iterate in a probe
  EXPECT_NO_THROW(load_workload_spec(write(spec(picks))));
  EXPECT_NO_THROW(
      load_workload_spec(write(spec(R"({"name": "churn", "role": "probe", "mix": {"iterate": 100}, "ops": 10})"))));
}

}  // namespace
}  // namespace dstudy
