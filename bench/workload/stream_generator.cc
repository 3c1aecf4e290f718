// Operation stream generation. One ThreadGen per thread tracks that thread's
// live set exactly while it writes the ops, so every op's type is its outcome:
//
//   live_ids_/live_slot_     the live keys, O(1) uniform pick and removal
//   absent_ids_/absent_slot_ the absent keys of the key universe (if any)
//   id_at_pos_ + fen_        insertion order: a Fenwick tree over insertion
//                            positions with a 1 for each still-live key, so
//                            "k-th oldest live key" (FIFO, LIFO, recent,
//                            latest, sequential) costs O(log n)
//   erased_log_              erased ids in order, for finds of recently
//                            erased keys
//
// Key ids are local to a thread: universe ids 0..U-1 first, then fresh ids as
// inserts need them. Ghost ids (bit 39) are never inserted: find_miss keys in
// workloads without a universe.
#include "bench/workload/stream_generator.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <utility>

#include "impls/core/value_types.h"

namespace dstudy {
namespace workload_detail {

std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9E3779B97F4A7C15ull);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

Rng::Rng(std::uint64_t seed) {
  for (auto& s : s_) s = splitmix64(seed);
}

std::uint64_t Rng::next() {
  auto rotl = [](std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); };
  const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
  const std::uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = rotl(s_[3], 45);
  return result;
}

namespace {
constexpr std::uint64_t kExactZeta = 1024;
}

Zipfian::Zipfian(double theta)
    : theta_(theta),
      alpha_(1.0 / (1.0 - theta)),
      half_pow_theta_(std::pow(0.5, theta)),
      zeta2_(1.0 + std::pow(0.5, theta)),
      prefix_(kExactZeta + 1, 0.0) {
  for (std::uint64_t i = 1; i <= kExactZeta; ++i)
    prefix_[i] = prefix_[i - 1] + std::pow(static_cast<double>(i), -theta);
}

double Zipfian::zeta(std::uint64_t n) const {
  if (n <= kExactZeta) return prefix_[n];
  // sum_{i=1025}^{n} i^-theta ~ integral over [1024.5, n + 0.5] (midpoint rule)
  const double e = 1.0 - theta_;
  return prefix_[kExactZeta] +
         (std::pow(static_cast<double>(n) + 0.5, e) - std::pow(static_cast<double>(kExactZeta) + 0.5, e)) / e;
}

void Zipfian::prepare(std::uint64_t n) {
  if (n == n_) return;
  n_ = n;
  zetan_ = zeta(n);
  eta_ = n > 2 ? (1.0 - std::pow(2.0 / static_cast<double>(n), 1.0 - theta_)) / (1.0 - zeta2_ / zetan_) : 0.0;
}

std::uint64_t Zipfian::next(Rng& rng, std::uint64_t n) {
  const double u = rng.unit();
  if (n <= 1) return 0;
  prepare(n);
  const double uz = u * zetan_;
  if (uz < 1.0) return 0;
  if (uz < 1.0 + half_pow_theta_ || n == 2) return 1;
  const auto r = static_cast<std::uint64_t>(static_cast<double>(n) * std::pow(eta_ * u - eta_ + 1.0, alpha_));
  return std::min(r, n - 1);
}

RankScrambler::RankScrambler(std::uint64_t n, std::uint64_t salt) : n_(n) {
  int bits = 0;
  while (bits < 64 && (std::uint64_t{1} << bits) < n) ++bits;
  mask_ = bits >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << bits) - 1;
  shift_ = std::max(1, bits / 2);
  std::uint64_t s = salt;
  m1_ = splitmix64(s) | 1;
  m2_ = splitmix64(s) | 1;
  c_ = splitmix64(s);
}

std::uint64_t RankScrambler::operator()(std::uint64_t x) const {
  if (n_ <= 1) return 0;
  do {  // a bijection of [0, 2^bits); walking its cycle lands back in [0, n)
    x = (x * m1_) & mask_;
    x ^= x >> shift_;
    x = ((x ^ c_) * m2_) & mask_;
    x ^= x >> shift_;
  } while (x >= n_);
  return x;
}

std::uint64_t key_seed_of(std::uint64_t id, KeyEncoding encoding) {
  if (encoding == KeyEncoding::kDense) return id;
  std::uint64_t x = id;
  do {  // splitmix64's finalizer is a bijection of 64 bits
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
    x ^= x >> 31;
  } while (x > kMaxU64Key);
  return x;
}

}  // namespace workload_detail

namespace {

using workload_detail::Rng;
using workload_detail::Zipfian;

constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
constexpr std::uint64_t kGhostBit = std::uint64_t{1} << 39;
constexpr int kThreadShift = 40;
constexpr int kBlock = 1000;  // op types are shuffled in blocks of 1000: exact mix per block

// Counts of live keys per insertion position; select(k) finds the k-th live.
class Fenwick {
 public:
  void reset(std::size_t capacity) {
    size_ = 1;
    while (size_ < capacity) size_ <<= 1;
    tree_.assign(size_ + 1, 0);
  }
  std::size_t capacity() const { return size_; }
  void add(std::size_t pos, std::int32_t delta) {
    for (std::size_t i = pos + 1; i <= size_; i += i & (~i + 1)) tree_[i] += delta;
  }
  // Rebuilds from bits (bit(i) for i < n) with a new capacity, in O(capacity).
  template <class Bit>
  void rebuild(std::size_t capacity, std::size_t n, Bit bit) {
    reset(capacity);
    for (std::size_t i = 1; i <= n; ++i) tree_[i] = bit(i - 1) ? 1 : 0;
    for (std::size_t i = 1; i <= size_; ++i) {
      const std::size_t j = i + (i & (~i + 1));
      if (j <= size_) tree_[j] += tree_[i];
    }
  }
  // Position of the k-th (0-based) live entry.
  std::size_t select(std::uint64_t k) const {
    std::size_t pos = 0;
    for (std::size_t step = size_; step; step >>= 1) {
      if (pos + step <= size_ && tree_[pos + step] <= k) {
        pos += step;
        k -= tree_[pos];
      }
    }
    return pos;
  }

 private:
  std::size_t size_ = 0;
  std::vector<std::uint32_t> tree_;
};

struct ThreadResult {
  ThreadStream stream;
  std::vector<std::uint64_t> seeds;  // by local key index
  std::size_t peak = 0;
};

class ThreadGen {
 public:
  ThreadGen(const WorkloadSpec& spec, std::string_view profile, std::size_t live, unsigned thread, unsigned threads,
            std::uint64_t seed)
      : spec_(spec),
        profile_(profile),
        size_(spec.size(profile)),
        n_(live),
        thread_(thread),
        threads_(threads),
        rng_(seed),
        universe_(spec.key_universe
                      ? static_cast<std::size_t>(std::ceil(*spec.key_universe * static_cast<double>(live)))
                      : 0),
        scrambler_(universe_, seed ^ 0x5CA3B1E5ull) {
    const std::size_t ids = universe_ + n_;
    live_slot_.reserve(ids);
    pos_of_id_.reserve(ids);
    index_of_id_.reserve(ids);
    live_slot_.assign(universe_, kNone);
    pos_of_id_.assign(universe_, 0);
    index_of_id_.assign(universe_, kNone);
    absent_ids_.resize(universe_);
    absent_slot_.resize(universe_);
    for (std::size_t i = 0; i < universe_; ++i) {
      absent_ids_[i] = static_cast<std::uint32_t>(i);
      absent_slot_[i] = static_cast<std::uint32_t>(i);
    }
    ghost_pool_ = std::max<std::size_t>(n_, 1);
    ghost_index_.assign(ghost_pool_, kNone);
    // Insertion order is only tracked when some phase picks keys by age.
    for (const auto& p : spec.phases)
      need_order_ = need_order_ || p.erase_order != EraseOrder::kRandom || p.keys == KeyDistribution::kSequential ||
                    p.keys == KeyDistribution::kLatest;
    if (need_order_) fen_.reset(2 * n_ + 1024);
  }

  ThreadResult run() {
    ThreadResult out;
    out_ = &out;
    for (std::size_t i = 0; i < spec_.phases.size(); ++i) run_phase(i);
    out.peak = peak_;
    return out;
  }

 private:
  // ---- errors ---------------------------------------------------------------
  [[noreturn]] void fail(std::size_t phase, const std::string& expected, const std::string& got) const {
    throw SpecError(spec_.source.string() + ": phases[" + std::to_string(phase) + "] (\"" + spec_.phases[phase].name +
                    "\"): expected " + expected + " (size " + std::string(profile_) + ", N = " + std::to_string(n_) +
                    " for thread " + std::to_string(thread_) + "), got " + got);
  }

  // ---- ids and key indices --------------------------------------------------
  std::uint32_t new_id() {
    const std::size_t id = live_slot_.size();
    if (id >= kGhostBit || id >= kNone)
      throw SpecError(spec_.source.string() + ": stream too large: over 2^32 key ids");
    live_slot_.push_back(kNone);
    pos_of_id_.push_back(0);
    index_of_id_.push_back(kNone);
    return static_cast<std::uint32_t>(id);
  }
  bool in_universe(std::uint32_t id) const { return id < universe_; }
  bool is_live(std::uint32_t id) const { return live_slot_[id] != kNone; }
  std::uint64_t global(std::uint64_t local) const { return (std::uint64_t{thread_} << kThreadShift) | local; }

  std::uint32_t index_for(std::uint32_t& slot, std::uint64_t local) {
    if (slot == kNone) {
      if (out_->seeds.size() >= kNone)
        throw SpecError(spec_.source.string() + ": stream too large: over 2^32 distinct keys");
      slot = static_cast<std::uint32_t>(out_->seeds.size());
      out_->seeds.push_back(workload_detail::key_seed_of(global(local), spec_.key_encoding));
    }
    return slot;
  }
  void emit(OpType type, std::uint32_t id) {
    const std::uint32_t index = index_for(index_of_id_[id], id);
    out_->stream.ops.push_back(Operation{out_->seeds[index], index, type});
    ++out_->stream.expected[static_cast<int>(type)];
  }
  void emit_ghost(std::size_t g) {
    const std::uint32_t index = index_for(ghost_index_[g], kGhostBit | g);
    out_->stream.ops.push_back(Operation{out_->seeds[index], index, OpType::kFindMiss});
    ++out_->stream.expected[static_cast<int>(OpType::kFindMiss)];
  }

  // ---- the live set ---------------------------------------------------------
  void do_insert(std::uint32_t id) {
    live_slot_[id] = static_cast<std::uint32_t>(live_ids_.size());
    live_ids_.push_back(id);
    if (in_universe(id)) {  // leaves the absent set
      const std::uint32_t slot = absent_slot_[id], last = absent_ids_.back();
      absent_ids_[slot] = last;
      absent_slot_[last] = slot;
      absent_ids_.pop_back();
    }
    if (need_order_) {
      if (id_at_pos_.size() == fen_.capacity()) grow_fenwick();
      pos_of_id_[id] = id_at_pos_.size();
      id_at_pos_.push_back(id);
      fen_.add(pos_of_id_[id], 1);
    }
    peak_ = std::max(peak_, live_ids_.size());
    emit(OpType::kInsert, id);
  }
  void do_erase(std::uint32_t id) {
    forget_live(id);
    erased_log_.push_back(id);
    emit(OpType::kErase, id);
  }
  // An erase whose key the container picks (erase_first / erase_next): the
  // stream only knows that one key fewer is live. It drops the newest of its
  // own ids, which stays out of every absent-key pool; once such an erase has
  // run, no later op names a live key (workload_spec.cc checks that).
  void do_container_erase(OpType type) {
    forget_live(live_ids_.back());
    out_->stream.ops.push_back(Operation{0, 0, type});
    ++out_->stream.expected[static_cast<int>(type)];
  }
  void emit_iterate() {
    out_->stream.ops.push_back(Operation{0, 0, OpType::kIterate});
    out_->stream.expected[static_cast<int>(OpType::kIterate)] += live_ids_.size();  // entries it must visit
  }
  void forget_live(std::uint32_t id) {
    const std::uint32_t slot = live_slot_[id], last = live_ids_.back();
    live_ids_[slot] = last;
    live_slot_[last] = slot;
    live_ids_.pop_back();
    live_slot_[id] = kNone;
    if (in_universe(id)) {
      absent_slot_[id] = static_cast<std::uint32_t>(absent_ids_.size());
      absent_ids_.push_back(id);
    }
    if (need_order_) fen_.add(pos_of_id_[id], -1);
  }
  void grow_fenwick() {
    fen_.rebuild(fen_.capacity() * 2, id_at_pos_.size(), [&](std::size_t p) {
      const std::uint32_t id = id_at_pos_[p];
      return is_live(id) && pos_of_id_[id] == p;
    });
  }
  // k-th oldest live key (k = 0 is the oldest).
  std::uint32_t kth_oldest(std::uint64_t k) const { return id_at_pos_[fen_.select(k)]; }
  std::uint32_t kth_newest(std::uint64_t k) const { return kth_oldest(live_ids_.size() - 1 - k); }

  // ---- choosing keys --------------------------------------------------------
  std::uint32_t zipf_universe_id() { return static_cast<std::uint32_t>(scrambler_(zipf_.next(rng_, universe_))); }

  std::uint32_t pick_live(const PhaseSpec& p) {
    const std::size_t live = live_ids_.size();
    switch (p.keys) {
      case KeyDistribution::kUniform: break;
      case KeyDistribution::kZipfian:
        for (int tries = 0; tries < 64; ++tries)
          if (const std::uint32_t id = zipf_universe_id(); is_live(id)) return id;
        break;  // the hot keys are all absent now: fall back to a uniform pick
      case KeyDistribution::kSequential: return kth_oldest(seq_cursor_++ % live);
      case KeyDistribution::kLatest: return kth_newest(zipf_.next(rng_, live));
    }
    return live_ids_[rng_.below(live)];
  }

  std::uint32_t pick_victim(const PhaseSpec& p) {
    const std::size_t live = live_ids_.size();
    switch (p.erase_order) {
      case EraseOrder::kRandom:
        if (p.keys == KeyDistribution::kSequential) return kth_oldest(0);
        return pick_live(p);
      case EraseOrder::kFifo:
        return kth_oldest(p.fifo_window > 1 ? rng_.below(std::min<std::size_t>(p.fifo_window, live)) : 0);
      case EraseOrder::kLifo: return kth_newest(0);
      case EraseOrder::kRecent: return kth_newest(recent_zipf_.next(rng_, live));
      case EraseOrder::kContainerFirst:
      case EraseOrder::kContainerNext: break;  // never here: run_phase emits those erases itself
      case EraseOrder::kIteration:
        for (int pass = 0; pass < 2; ++pass) {
          while (iter_cursor_ < iter_snapshot_.size()) {
            const std::uint32_t id = iter_snapshot_[iter_cursor_++].second;
            if (is_live(id)) return id;
          }
          // Snapshot the live keys in ascending key order (again when used up).
          iter_snapshot_.clear();
          for (std::uint32_t id : live_ids_) iter_snapshot_.emplace_back(seed_of(id), id);
          std::sort(iter_snapshot_.begin(), iter_snapshot_.end());
          iter_cursor_ = 0;
        }
        break;
    }
    return live_ids_[rng_.below(live)];
  }
  std::uint64_t seed_of(std::uint32_t id) const { return workload_detail::key_seed_of(global(id), spec_.key_encoding); }

  std::uint32_t pick_insert(const PhaseSpec& p) {
    if (p.insert_keys == InsertKeys::kFresh) return new_id();
    // kUniverse (kReinsert never gets here)
    switch (p.keys) {
      case KeyDistribution::kZipfian:
        for (int tries = 0; tries < 64; ++tries)
          if (const std::uint32_t id = zipf_universe_id(); !is_live(id)) return id;
        break;
      case KeyDistribution::kSequential:
        for (;;) {
          const auto id = static_cast<std::uint32_t>(insert_cursor_++ % universe_);
          if (!is_live(id)) return id;
        }
      default: break;
    }
    return absent_ids_[rng_.below(absent_ids_.size())];
  }

  // Emits a find_miss.
  void emit_miss(const PhaseSpec& p) {
    if (p.miss_keys == MissKeys::kRecentlyErased && !erased_log_.empty()) {
      const std::size_t window =
          std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(p.recent_window * static_cast<double>(n_))));
      const std::size_t m = std::min(window, erased_log_.size());
      for (int tries = 0; tries < 16; ++tries) {
        const std::uint32_t id = erased_log_[erased_log_.size() - 1 - rng_.below(m)];
        if (!is_live(id)) return emit(OpType::kFindMiss, id);
      }
    }
    if (universe_ > 0 && !absent_ids_.empty()) {
      if (p.keys == KeyDistribution::kZipfian)
        for (int tries = 0; tries < 64; ++tries)
          if (const std::uint32_t id = zipf_universe_id(); !is_live(id)) return emit(OpType::kFindMiss, id);
      return emit(OpType::kFindMiss, absent_ids_[rng_.below(absent_ids_.size())]);
    }
    emit_ghost(rng_.below(ghost_pool_));
  }

  // ---- phases ---------------------------------------------------------------
  enum Unit : std::uint8_t { kIns, kEra, kHit, kMiss, kPair, kIter };

  void fill_block(const PhaseSpec& p) {
    block_.clear();
    auto count = [](double pct) { return static_cast<int>(std::lround(pct * kBlock / 100.0)); };
    const bool pairs = p.insert_keys == InsertKeys::kReinsert;
    block_.insert(block_.end(), count(p.mix.find_hit), kHit);
    block_.insert(block_.end(), count(p.mix.find_miss), kMiss);
    block_.insert(block_.end(), count(p.mix.iterate), kIter);
    if (pairs) {
      block_.insert(block_.end(), count(p.mix.erase), kPair);
    } else {
      block_.insert(block_.end(), count(p.mix.insert), kIns);
      block_.insert(block_.end(), count(p.mix.erase), kEra);
    }
    for (std::size_t i = block_.size(); i > 1; --i) std::swap(block_[i - 1], block_[rng_.below(i)]);
    block_pos_ = 0;
  }

  bool feasible(Unit u) const {
    switch (u) {
      case kEra:
      case kHit:
      case kPair: return !live_ids_.empty();
      case kIns: return true;
      default: return true;
    }
  }

  // How long a phase runs: until the live set reaches `target` (target
  // mode), or for `ops` operations of this thread.
  struct PhaseLength {
    bool target_mode = false;
    std::size_t target = 0, ops = 0;
  };
  PhaseLength phase_length(std::size_t index, const PhaseSpec& p) const {
    const double n = static_cast<double>(n_);
    PhaseLength len;
    len.target_mode = p.length_kind == LengthKind::kTargetLive;
    switch (p.length_kind) {
      case LengthKind::kTargetLive: len.target = static_cast<std::size_t>(std::llround(p.length * n)); break;
      case LengthKind::kTurnovers:
        len.ops = static_cast<std::size_t>(std::llround(p.length * n * 100.0 / p.mix.erase));
        break;
      case LengthKind::kOpsPerLive: len.ops = static_cast<std::size_t>(std::llround(p.length * n)); break;
      case LengthKind::kOps: {
        auto it = p.ops.find(profile_);
        if (it == p.ops.end()) it = p.ops.find("*");
        const std::uint64_t total = it->second;
        len.ops = total / threads_ + (thread_ < total % threads_ ? 1 : 0);
        break;
      }
    }
    if (len.target_mode && p.insert_keys == InsertKeys::kUniverse && len.target > universe_)
      fail(index, "a target within the key universe", std::to_string(len.target) + " of " + std::to_string(universe_));
    return len;
  }

  // The block's next unit, or, if it cannot run now (no live key to erase
  // or find, no absent key of the universe to insert), a later unit of the
  // block that can, swapped in ahead of it.
  Unit next_unit(std::size_t index, const PhaseSpec& p) {
    Unit u = block_[block_pos_];
    if (!feasible(u) || (u == kIns && p.insert_keys == InsertKeys::kUniverse && absent_ids_.empty())) {
      std::size_t j = block_pos_ + 1;
      for (; j < block_.size(); ++j) {
        const Unit v = block_[j];
        if (u == kIns ? (v != kIns) : (v == kIns)) break;
      }
      if (j == block_.size()) {
        if (u == kIns)
          fail(index, "an absent key of the universe to insert", "a full universe of " + std::to_string(universe_));
        fail(index, "a live key to erase or find", "an empty live set");
      }
      std::swap(block_[block_pos_], block_[j]);
      u = block_[block_pos_];
      if (u == kHit && live_ids_.empty()) fail(index, "a live key to find", "an empty live set");
    }
    return u;
  }

  // Writes unit u's ops; returns how many.
  std::size_t emit_unit(const PhaseSpec& p, Unit u) {
    switch (u) {
      case kIns: do_insert(pick_insert(p)); return 1;
      case kEra:
        if (p.erase_order == EraseOrder::kContainerFirst) do_container_erase(OpType::kEraseFirst);
        else if (p.erase_order == EraseOrder::kContainerNext) do_container_erase(OpType::kEraseNext);
        else do_erase(pick_victim(p));
        return 1;
      case kIter: emit_iterate(); return 1;
      case kHit: emit(OpType::kFindHit, pick_live(p)); return 1;
      case kMiss: emit_miss(p); return 1;
      case kPair: {
        const std::uint32_t id = pick_victim(p);
        do_erase(id);
        do_insert(id);
        return 2;
      }
    }
    return 0;
  }

  void run_phase(std::size_t index) {
    const PhaseSpec& p = spec_.phases[index];
    auto& ops = out_->stream.ops;
    Phase phase;
    phase.name = p.name;
    phase.role = role_name(p.role);
    phase.headline = spec_.is_headline(p);
    phase.retention = p.name == spec_.retention_phase;
    phase.begin = ops.size();
    const PhaseLength len = phase_length(index, p);
    iter_snapshot_.clear();
    iter_cursor_ = 0;
    recent_zipf_ = Zipfian(p.recent_theta);
    if (p.keys == KeyDistribution::kZipfian || p.keys == KeyDistribution::kLatest) {
      if (zipf_.theta() != p.zipf_theta) zipf_ = Zipfian(p.zipf_theta);
    }
    // A target phase that cannot progress stops here rather than looping.
    const std::size_t max_ops =
        len.target_mode ? (std::max(len.target, live_ids_.size()) + 1) * 2000 + 100000 : len.ops;
    block_pos_ = block_.size();
    std::size_t emitted = 0;
    while (len.target_mode ? live_ids_.size() != len.target : emitted < len.ops) {
      if (emitted >= max_ops && len.target_mode)
        fail(index, "a mix that reaches target_live", "no progress after " + std::to_string(emitted) + " ops");
      if (block_pos_ >= block_.size()) fill_block(p);
      if (block_.empty()) fail(index, "a non-empty mix", "none");
      const Unit u = next_unit(index, p);
      ++block_pos_;
      emitted += emit_unit(p, u);
      // In a target phase the last ops of a block that drives the wrong way are
      // still emitted; the loop ends exactly when the target is met.
    }
    phase.end = ops.size();
    phase.live_after = live_ids_.size();
    for (std::size_t i = phase.begin; i < phase.end; ++i) ++phase.op_counts[static_cast<int>(ops[i].type)];
    if (p.memory_probes) {
      phase.idle_probes_s = size_.idle_probes_s;
      phase.purge_probe = true;
      phase.compact_probe = p.compact_probe;
    }
    out_->stream.phases.push_back(std::move(phase));
  }

  const WorkloadSpec& spec_;
  std::string_view profile_;
  const SizeProfile& size_;
  std::size_t n_;
  unsigned thread_, threads_;
  Rng rng_;
  std::size_t universe_;
  workload_detail::RankScrambler scrambler_;
  Zipfian zipf_{0.99};
  Zipfian recent_zipf_{0.8};

  std::vector<std::uint32_t> live_slot_, live_ids_;
  std::vector<std::uint32_t> absent_slot_, absent_ids_;
  std::vector<std::size_t> pos_of_id_;
  std::vector<std::uint32_t> id_at_pos_;
  Fenwick fen_;
  std::vector<std::uint32_t> index_of_id_, ghost_index_;
  std::size_t ghost_pool_ = 1;
  std::vector<std::uint32_t> erased_log_;
  std::vector<std::pair<std::uint64_t, std::uint32_t>> iter_snapshot_;
  std::size_t iter_cursor_ = 0;
  std::uint64_t seq_cursor_ = 0, insert_cursor_ = 0;
  std::vector<Unit> block_;
  std::size_t block_pos_ = 0;
  std::size_t peak_ = 0;
  bool need_order_ = false;
  ThreadResult* out_ = nullptr;
};

}  // namespace

OperationStream generate_stream(const WorkloadSpec& spec, std::string_view size_profile, std::string_view kv,
                                std::optional<std::size_t> live_size_override,
                                std::optional<unsigned> threads_override) {
  const SizeProfile& size = spec.size(size_profile);
  if (std::find(spec.kv.begin(), spec.kv.end(), kv) == spec.kv.end()) {
    std::string list;
    for (const auto& k : spec.kv) list += (list.empty() ? "" : ", ") + k;
    throw SpecError(spec.source.string() + ": kv: expected one of the spec's kv kinds (" + list + "), got \"" +
                    std::string(kv) + "\"");
  }
  const unsigned threads = threads_override ? *threads_override : spec.threads_for(size_profile);
  if (threads < 1 || threads > 256)
    throw SpecError(spec.source.string() + ": threads: expected 1..256 threads, got " + std::to_string(threads));
  const std::size_t live = live_size_override ? *live_size_override : size.live;
  if (live_size_override || threads_override) check_feasible(spec, live, threads, size_profile);

  OperationStream stream;
  stream.workload = spec.name;
  stream.kv = std::string(kv);
  stream.seed = spec.seed;
  stream.initial_size = live;
  stream.size_profile = std::string(size_profile);
  stream.live_after_phase.assign(spec.phases.size(), 0);

  std::uint64_t seed_state = spec.seed;
  for (unsigned t = 0; t < threads; ++t) {
    const std::size_t live_t = live / threads + (t < live % threads ? 1 : 0);
    const std::uint64_t thread_seed = workload_detail::splitmix64(seed_state);
    ThreadResult r = ThreadGen(spec, size_profile, live_t, t, threads, thread_seed).run();
    const auto offset = static_cast<std::uint64_t>(stream.key_seeds.size());
    if (offset + r.seeds.size() >= kNone)
      throw SpecError(spec.source.string() + ": stream too large: over 2^32 distinct keys");
    if (offset != 0)
      for (auto& op : r.stream.ops) op.key_index += static_cast<std::uint32_t>(offset);
    stream.key_seeds.insert(stream.key_seeds.end(), r.seeds.begin(), r.seeds.end());
    for (std::size_t i = 0; i < r.stream.phases.size(); ++i)
      stream.live_after_phase[i] += r.stream.phases[i].live_after;
    stream.peak_live += r.peak;
    stream.threads.push_back(std::move(r.stream));
  }
  return stream;
}

}  // namespace dstudy
