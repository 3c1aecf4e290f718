// A workload is data: one JSON spec file per preset in workloads/. This header
// is the parsed, validated form of such a file. docs/workloads.md lists every
// field with its type, default and meaning; the loader rejects anything else.
//
// Sizes are never absolute in a phase: a phase's length and targets are given
// relative to the live size N of the size profile being run ("quick", "full"),
// so the same phases run at every size and under a fill override (the harness
// replaces N by fill x the container's growth point).
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace dstudy {

// A spec that cannot be run. The message names the file, the field (as a
// path such as phases[2].mix) and what was expected there.
class SpecError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Which keys lookups (and, for erase_order random, erases; for
// insert_keys universe, inserts) go to.
enum class KeyDistribution : std::uint8_t {
  kUniform,     // every candidate key equally likely
  kZipfian,     // Gray et al. / YCSB Zipf over the key universe, ranks scrambled
  kSequential,  // walk the live keys in insertion order (oldest first), cyclically
  kLatest,      // YCSB "latest": Zipf over recency, the newest live key hottest
};

// Which live key an erase removes.
enum class EraseOrder : std::uint8_t {
  kRandom,     // drawn by the phase's key distribution
  kFifo,       // oldest live key (or a random one among the `window` oldest)
  kLifo,       // newest live key
  kIteration,  // ascending key order (how ordered containers iterate)
  kRecent,     // Zipf(theta) over age rank, newest first: young keys die most
  // The container picks (operation_stream.h; Iterable containers only):
  kContainerFirst,  // erase_first: the entry its iteration visits first
  kContainerNext,   // erase_next: the entry after the one erased last (erase while iterating)
};
inline constexpr bool container_picks(EraseOrder o) {
  return o == EraseOrder::kContainerFirst || o == EraseOrder::kContainerNext;
}

// Where an inserted key comes from.
enum class InsertKeys : std::uint8_t {
  kFresh,     // a key never used before in this stream
  kUniverse,  // an absent key of the fixed key universe, by the key distribution
  kReinsert,  // every erase is followed at once by the insert of the same key
};

// Which absent keys a find_miss looks up.
enum class MissKeys : std::uint8_t {
  kAbsent,          // never-inserted keys (or absent universe keys with a universe)
  kRecentlyErased,  // keys erased within the last recent_window x N erases
};

// How a key id becomes the key seed (the u64 key itself; the seed of the
// string key for kv "string").
enum class KeyEncoding : std::uint8_t {
  kHashed,  // a bijective 64-bit mix of the id: keys scattered over the range
  kDense,   // the id itself: sequential ids, like order or timer ids
};

// What a phase is for. The harness reads roles, never phase names: the
// headline throughput defaults to every non-load phase, memory growth is read
// over the first steady phase, retention after a drain phase.
enum class PhaseRole : std::uint8_t {
  kLoad,    // fills the table from empty (pays first-touch page faults)
  kSteady,  // the live size stays put while keys come and go
  kDrain,   // net erase: the live set shrinks
  kGrow,    // net insert after an earlier drain
  kProbe,   // lookups only
};
inline constexpr const char* kPhaseRoleNames[] = {"load", "steady", "drain", "grow", "probe"};
inline const char* role_name(PhaseRole r) { return kPhaseRoleNames[static_cast<int>(r)]; }

// Percentages of the operation types; they sum to 100. `iterate` visits every
// live entry (Iterable containers only).
struct Mix {
  double insert = 0, erase = 0, find_hit = 0, find_miss = 0, iterate = 0;
};

enum class LengthKind : std::uint8_t {
  kOps,         // absolute operation count (all threads together)
  kTurnovers,   // the phase erases turnovers x N keys
  kOpsPerLive,  // ops = ops_per_live x N
  kTargetLive,  // run until the live set is target_live x N keys
};

struct PhaseSpec {
  std::string name;
  // The name before repeat expansion ("grow" for grow_1, grow_2, ...).
  std::string base_name;
  PhaseRole role = PhaseRole::kSteady;
  Mix mix;
  LengthKind length_kind = LengthKind::kOps;
  double length = 0;  // turnovers / ops_per_live / target_live
  // kOps: count per size profile (key "*" applies to every profile).
  std::map<std::string, std::uint64_t, std::less<>> ops;
  KeyDistribution keys = KeyDistribution::kUniform;
  double zipf_theta = 0.99;  // kZipfian and kLatest
  EraseOrder erase_order = EraseOrder::kRandom;
  std::uint32_t fifo_window = 1;  // kFifo: erase a random one of the window oldest
  double recent_theta = 0.8;      // kRecent
  InsertKeys insert_keys = InsertKeys::kFresh;
  MissKeys miss_keys = MissKeys::kAbsent;
  double recent_window = 0.1;  // kRecentlyErased: fraction of N
  // Memory is read at the end of this phase, again after the profile's idle
  // periods and after the allocator's purge. Only on phases with erases.
  bool memory_probes = false;
  // After those probes, compact the container (container.h, compact()) and
  // read memory again. Needs memory_probes.
  bool compact_probe = false;
};

struct SizeProfile {
  std::string name;
  std::size_t live = 0;               // N: the live-set size the phases refer to
  std::optional<unsigned> threads;    // overrides the spec's threads
  std::vector<double> idle_probes_s;  // for phases with memory_probes
};

struct WorkloadSpec {
  std::filesystem::path source;  // the file it was read from
  std::string name;
  std::string description;
  std::vector<std::string> kv;  // "u64", "inline32", "string", "blob1k"
  unsigned threads = 1;
  std::uint64_t seed = 0;
  std::optional<double> key_universe;  // universe size as a multiple of N
  KeyEncoding key_encoding = KeyEncoding::kHashed;
  // Live size as a fraction of the container's growth point (the harness
  // computes it and passes live_size_override to generate_stream).
  std::optional<double> fill;
  // "fill": [a, b, ...] in the file: the spec stands for one workload per
  // fill, named <name>.fill<percent> (e.g. drain.fill55, drain.fill85), so the
  // same phases run at a low and a high fill. Empty once expanded.
  std::vector<double> fill_sweep;
  // Whether the harness calls reserve(peak live) on containers that have it.
  bool reserve = false;
  // A replayed trace ("trace" in the file: a .dstrace made by dstudy_trace
  // convert, relative to the spec's folder or absolute): the stream is the
  // trace's, so the spec has no sizes, phases, seed or fill, and runs at any
  // size profile with one thread. Empty for generated workloads.
  std::filesystem::path trace;
  // Whether the latency pass also keeps a histogram set per phase (the
  // sidecar's latency.by_phase): for workloads whose phases are successive
  // stretches of one process, such as the turnovers of a drift workload.
  bool latency_by_phase = false;
  std::vector<SizeProfile> sizes;  // at least "quick" and "full"
  std::vector<PhaseSpec> phases;   // repeat groups already expanded
  // Phase names (or repeat-group base names) whose throughput is the
  // workload's headline figure; from "headline" in the file, else every
  // phase whose role is not load.
  std::vector<std::string> headline;
  // The drain phase retention is read after: "retention_phase" in the file,
  // else the last drain-role phase; empty when there is none.
  std::string retention_phase;

  // Whether phase `p` counts towards the headline.
  bool is_headline(const PhaseSpec& p) const;
  // Whether some phase iterates or lets the container pick what to erase:
  // the workload then runs only on containers that model Iterable
  // (container.h) and is "not applicable" to the others.
  bool needs_iteration() const;

  // The named profile; SpecError naming the file if there is none.
  const SizeProfile& size(std::string_view profile) const;
  unsigned threads_for(std::string_view profile) const;
};

inline constexpr const char* kKvKinds[] = {"u64", "inline32", "string", "blob1k"};

// Reads and validates one spec file. The spec's name must equal the file's
// stem. Throws SpecError.
WorkloadSpec load_workload_spec(const std::filesystem::path& file);

// Every *.json in `dir`, sorted by name, fill sweeps expanded into their
// named variants. Throws SpecError on the first bad one and if two files give
// the same name.
std::vector<WorkloadSpec> load_workload_dir(const std::filesystem::path& dir);

// The workloads one spec stands for: itself, or one per fill of its sweep.
std::vector<WorkloadSpec> expand_fill_sweep(const WorkloadSpec& spec);

// The workload called `name` in `dir`: <name>.json, or a variant
// <base>.fill<percent> of <base>.json. Throws SpecError naming the folder
// and the valid names when there is none.
WorkloadSpec find_workload(const std::filesystem::path& dir, std::string_view name);

// Parses spec text as if read from `source` (whose stem the name must match).
WorkloadSpec parse_workload_spec(std::string_view json_text, const std::filesystem::path& source);

// Checks that the phases can run at live size `live` with `threads` threads
// (no phase erases more keys than are live, targets reachable, universe big
// enough). load_workload_spec runs it for every profile; generate_stream runs
// it again for a live-size override. Throws SpecError.
void check_feasible(const WorkloadSpec& spec, std::size_t live, unsigned threads, std::string_view profile);

// Size-sweep points. A size named "n<N>" (n10000, n3000000) that the spec does
// not define itself is the spec's "full" profile (its op counts, threads and
// idle probes) at live size N, so one spec runs at any N of a sweep without a
// profile per point. Adds that profile to `spec` and checks the phases are
// feasible at N; returns false (and changes nothing) when `profile` is no
// such name or the spec defines it. Throws SpecError for N outside 1..2^31.
bool add_sweep_size(WorkloadSpec& spec, std::string_view profile);

// N of a sweep-point size name ("n300000" -> 300000); nothing for any other name.
std::optional<std::size_t> sweep_size_live(std::string_view profile);

// The workloads/ folder of the source tree (DSTUDY_WORKLOADS_DIR), or the
// DSTUDY_WORKLOADS_DIR environment variable when set.
std::filesystem::path default_workloads_dir();

}  // namespace dstudy
