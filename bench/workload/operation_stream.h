// The operation stream: what a workload spec expands into, and the only thing
// the harness runs. It is generated before any timing, deterministically from
// the spec and its seed, and carries the expected outcome of every operation
// so a run can prove the container did the same work as every other one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace dstudy {

// The type of an operation is also its expected outcome: an insert is always
// of an absent key (so it must report "new"), an erase always of a present
// key, a find is known to hit or to miss. Generated presets emit these four
// (and the iteration ops below). A replayed trace (bench/trace/) also holds the two ops a recorded
// sequence cannot avoid: an update, the insert of a key already present (the
// container must report "not new" and keep its value, which is the one made
// from the key's seed either way, so later finds still match the checksum),
// and an erase_miss, the erase of an absent key (the container must report
// false). Neither changes the live set.
//
// Three types act on whatever the container holds, so their key is not the
// stream's to know (impls/core/iteration.h; only containers that model
// Iterable run them): erase_first erases the entry iteration visits first,
// erase_next the entry after the one it erased last (erase-while-iterating),
// each expected to succeed exactly when the container is not empty; iterate
// visits every live entry, and its expected outcome is the number of entries
// visited (the live count, which the stream knows). Their Operation carries
// no key (key_seed and key_index 0). A stream with them never finds a key
// that one of them might have erased.
enum class OpType : std::uint8_t {
  kInsert = 0,
  kErase = 1,
  kFindHit = 2,
  kFindMiss = 3,
  kUpdate = 4,
  kEraseMiss = 5,
  kEraseFirst = 6,
  kEraseNext = 7,
  kIterate = 8,
};
inline constexpr int kOpTypeCount = 9;
inline constexpr const char* kOpTypeNames[kOpTypeCount] = {
    "insert", "erase", "find_hit", "find_miss", "update", "erase_miss", "erase_first", "erase_next", "iterate"};
// Whether ops of this type need an Iterable container.
inline constexpr bool needs_iteration(OpType t) {
  return t == OpType::kEraseFirst || t == OpType::kEraseNext || t == OpType::kIterate;
}
// Whether an op of this type removes one live key (known or not).
inline constexpr bool removes_key(OpType t) {
  return t == OpType::kErase || t == OpType::kEraseFirst || t == OpType::kEraseNext;
}

struct Operation {
  // For uint64_t keys, the key itself (<= kMaxU64Key). For string keys,
  // KvString::make_key(key_seed) is the key; the harness materialises the
  // strings once, before timing, indexed by key_index.
  std::uint64_t key_seed;
  // Dense index of this key among the stream's distinct keys
  // (0 .. distinct_keys-1), for harnesses that precompute keys or values.
  std::uint32_t key_index;
  OpType type;
};
static_assert(sizeof(Operation) == 16);

// A contiguous range of operations measured on its own (load, churn, drain,
// probe...). Phases tile a thread's stream in order.
struct Phase {
  std::string name;
  std::string role;        // "load", "steady", "drain", "grow" or "probe" (the spec's)
  bool headline = false;   // counts towards the workload's headline throughput
  bool retention = false;  // the drain phase retention is read after
  // Ops of each type in this phase (this thread's): which op dominates it.
  std::uint64_t op_counts[kOpTypeCount] = {};
  std::size_t begin = 0;  // first operation index
  std::size_t end = 0;    // one past the last
  // Live keys expected when the phase ends (sum over threads for concurrent
  // workloads: see OperationStream::live_after_phase).
  std::size_t live_after = 0;
  // Memory after this phase is read again after these idle periods (seconds)
  // and after the allocator's purge: set on phases that end in deletes.
  std::vector<double> idle_probes_s;
  bool purge_probe = false;
  // After the purge probe, the container's compact() (if it has one) is
  // called, the allocator purged again and memory read once more.
  bool compact_probe = false;
};

// A thread's operations: a vector the generator fills, or a view over
// records someone else keeps alive (a trace file mapped copy-on-write, whose
// mapping `keep_alive` holds, so writing through a view never touches the
// file). The harness reads both through data()/size(), once per span of ops,
// so the generated path pays nothing per op.
class OpSequence {
 public:
  void push_back(const Operation& op) { owned_.push_back(op); }
  void reserve(std::size_t n) { owned_.reserve(n); }
  // Views `n` records at `ops`, valid while `keep_alive` lives.
  void view(Operation* ops, std::size_t n, std::shared_ptr<const void> keep_alive) {
    owned_.clear();
    view_ = ops;
    view_size_ = n;
    keep_alive_ = std::move(keep_alive);
  }
  bool is_view() const { return view_ != nullptr; }

  const Operation* data() const { return view_ ? view_ : owned_.data(); }
  Operation* data() { return view_ ? view_ : owned_.data(); }
  std::size_t size() const { return view_ ? view_size_ : owned_.size(); }
  bool empty() const { return size() == 0; }
  const Operation& operator[](std::size_t i) const { return data()[i]; }
  Operation& operator[](std::size_t i) { return data()[i]; }
  const Operation* begin() const { return data(); }
  const Operation* end() const { return data() + size(); }
  Operation* begin() { return data(); }
  Operation* end() { return data() + size(); }

 private:
  std::vector<Operation> owned_;
  Operation* view_ = nullptr;
  std::size_t view_size_ = 0;
  std::shared_ptr<const void> keep_alive_;
};

// A read-only array of per-op values (a replayed trace's recorded
// timestamps), kept alive like OpSequence's view.
struct RecordedTimes {
  const std::uint64_t* ns = nullptr;  // ns[i]: op i's recorded time, ns from the trace's first op
  std::size_t size = 0;               // 0: the stream has no recorded times
  std::shared_ptr<const void> keep_alive;
};

struct ThreadStream {
  OpSequence ops;
  std::vector<Phase> phases;  // same names and count in every thread
  // Expected successes of each type: its op count, except iterate's (the
  // entries it visits, summed over its ops).
  std::uint64_t expected[kOpTypeCount] = {};
  // Replayed traces only: each op's recorded arrival time (ns since the
  // first op, non-decreasing when the trace was loaded for paced replay),
  // parallel to `ops`. An open-loop pass issues op i at start +
  // recorded_ns.ns[i] * scale (the runner's --pace SCALE); empty for
  // generated streams.
  RecordedTimes recorded_ns;
};

struct OperationStream {
  std::string workload;  // spec name
  std::string kv;        // "u64", "inline32", "string", "blob1k"
  std::uint64_t seed = 0;
  std::size_t initial_size = 0;
  // Added with the workload generator (the fields above keep their meaning):
  std::string size_profile;  // "quick", "full", ... this stream was made for
  // Most live keys at any moment (sum of the per-thread peaks): the harness
  // passes it to reserve() when the spec says "reserve": true.
  std::size_t peak_live = 0;
  std::vector<ThreadStream> threads;  // one per thread; one for single-threaded
  // Distinct key seeds, indexed by Operation::key_index (all threads).
  std::vector<std::uint64_t> key_seeds;
  // Replayed traces that record key sizes: each key's size in bytes, by key
  // index, parallel to key_seeds. String keys are then built at these sizes
  // (KvString::make_key(seed, bytes)); empty: every kind makes its own.
  std::vector<std::uint32_t> key_sizes;
  // Live keys when each phase ends, over all threads.
  std::vector<std::size_t> live_after_phase;
  std::size_t total_ops() const {
    std::size_t n = 0;
    for (const auto& t : threads) n += t.ops.size();
    return n;
  }
};

}  // namespace dstudy
