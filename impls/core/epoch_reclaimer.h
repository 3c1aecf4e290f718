// Epoch-based reclamation for the study's concurrent map.
//
// A reader brackets its lock-free traversal with a Guard: it announces the
// global epoch it saw in its thread's record. A writer that unlinks an object
// retires it, stamped with the global epoch read after the unlink. The global
// epoch moves from e to e+1 only when every reader inside a critical section
// has announced e, so once it reaches stamp+2 no reader can still hold a
// pointer to the object and it is freed. Writers that only work under a lock
// and never follow unlinked pointers need no Guard, only retire().
//
// Each domain (one per map) keeps one record per thread that touched it.
// Records live until the domain dies; when a thread exits, its records are
// released (a thread_local destructor, checked against a registry of live
// domains) and are then adopted by the next new thread, or have their ripe
// retirements freed by whoever runs a collection. So a dead thread's garbage
// waits at most until the next collection, and quiesce() frees everything.
//
// The lag is bounded: a retire list (each thread's own, and the shared one of
// big objects) never holds more than kMaxPendingBytes erased-but-unfreed bytes
// plus the one object just retired. A retire() that takes its list over that
// moves the epoch on and frees what is ripe, and while readers hold the epoch
// back it waits for them (yielding): a reader's critical section is one
// lookup, so this ends. A thread inside its own Guard cannot wait for itself;
// its retire() then only collects (the concurrent map never retires inside a
// Guard). Each list keeps its pending bytes and its peak; pending_bytes() and
// peak_pending_bytes() sum them, so the peak reported is an upper bound of the
// most bytes pending at any one moment, and at most
//   lists x (kMaxPendingBytes + the largest object retired to a list).
// A Guard must never wait for another thread's retire() to return.
//
// Reusable objects (retire_reusable): when ripe they are destroyed and their
// memory kept, up to kMaxSpares per record, for the record's thread to take
// back with take_spare() instead of allocating; the rest, and every spare at
// quiesce(), are released with the domain's release function. A map of
// fixed-size nodes so recycles its node memory within each thread without a
// malloc/free per insert and erase.
//
// All cross-thread synchronisation goes through atomics with acquire/release
// or seq_cst semantics (no stand-alone fences), so ThreadSanitizer sees every
// happens-before edge the algorithm relies on.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <thread>
#include <unordered_set>
#include <utility>
#include <vector>

namespace dstudy::epoch {

// Frees one retired object; ctx is the domain's owner (e.g. the map, for its
// byte counter).
using FreeFn = void (*)(void* ctx, void* object) noexcept;

namespace detail {

struct Retired {
  void* object;
  FreeFn free_fn;  // for a reusable object: ends its lifetime, keeps its memory
  std::uint64_t epoch;
  std::size_t bytes;
  bool reusable;
};

struct alignas(64) Record {
  // (epoch << 1) | 1 while the owner is inside a critical section, else 0.
  std::atomic<std::uint64_t> state{0};
  // Claimed by a live thread (or briefly by a collector of orphans).
  std::atomic<bool> in_use{true};
  Record* next = nullptr;
  // Touched only by whoever holds in_use (or by quiesce/destruction).
  std::vector<Retired> retired;
  std::size_t head = 0;  // retired[head..] still pending, stamps non-decreasing
  std::uint32_t since_collect = 0;
  // Bytes of retired[head..], and the most there ever were. Written by
  // whoever holds in_use (or shared_mu_ for the shared list), read anywhere.
  std::atomic<std::size_t> pending{0};
  std::atomic<std::size_t> peak{0};
  // Ripe reusable objects, for the owner's take_spare().
  std::vector<void*> spares;

  void add_pending(std::size_t bytes) {
    const std::size_t now = pending.load(std::memory_order_relaxed) + bytes;
    pending.store(now, std::memory_order_relaxed);
    if (now > peak.load(std::memory_order_relaxed)) peak.store(now, std::memory_order_relaxed);
  }
  void sub_pending(std::size_t bytes) {
    pending.store(pending.load(std::memory_order_relaxed) - bytes, std::memory_order_relaxed);
  }
};

// Domains that are alive, by id, so a thread exiting never touches a dead one.
struct Registry {
  std::mutex mu;
  std::unordered_set<std::uint64_t> live;
  std::atomic<std::uint64_t> next_id{1};
};

inline Registry& registry() {
  static Registry* r = new Registry;  // leaked: thread_local destructors may run after statics die
  return *r;
}

// Fast path: the record this thread used last, keyed by domain id (ids are
// never reused, so a stale entry can never match a new domain).
struct LastUsed {
  std::uint64_t id = 0;
  Record* record = nullptr;
};
inline thread_local LastUsed tls_last;

// Every record this thread owns; released when the thread exits.
struct Owned {
  std::vector<std::pair<std::uint64_t, Record*>> records;
  ~Owned() {
    Registry& r = registry();
    std::lock_guard lock(r.mu);
    for (auto& [id, rec] : records) {
      if (r.live.count(id)) rec->in_use.store(false, std::memory_order_release);
    }
  }
  Record* lookup(std::uint64_t id) const {
    for (const auto& [i, rec] : records)
      if (i == id) return rec;
    return nullptr;
  }
  void add(std::uint64_t id, Record* rec) {
    if (records.size() >= 64) {  // drop entries of domains that died
      Registry& r = registry();
      std::lock_guard lock(r.mu);
      std::erase_if(records, [&](const auto& e) { return r.live.count(e.first) == 0; });
    }
    records.emplace_back(id, rec);
  }
};
inline thread_local Owned tls_owned;

}  // namespace detail

class Domain {
 public:
  // Collect once a thread has retired this many objects since its last try.
  static constexpr std::uint32_t kCollectEvery = 128;
  // Retired objects of at least this size go to the shared list.
  static constexpr std::size_t kSharedRetireBytes = 1024;
  // The most erased-but-unfreed bytes a retire list holds before its
  // retire() waits for readers (plus the one object just retired; see the
  // top). Many times what a list holds when readers keep moving (about three
  // collections' worth, a few kB of nodes), so only a stalled reader makes a
  // writer wait.
  static constexpr std::size_t kMaxPendingBytes = 64 * 1024;
  // Reusable objects a record keeps for its thread's take_spare().
  static constexpr std::size_t kMaxSpares = 512;

  // release_spare frees the memory of a reusable object (after its
  // destroy_fn ran); needed only by owners that call retire_reusable().
  explicit Domain(void* ctx, FreeFn release_spare = nullptr) : ctx_(ctx), release_spare_(release_spare) {
    detail::Registry& r = detail::registry();
    id_ = r.next_id.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(r.mu);
    r.live.insert(id_);
  }
  Domain(const Domain&) = delete;
  Domain& operator=(const Domain&) = delete;

  // No thread may be inside the owner when it is destroyed.
  ~Domain() {
    {
      detail::Registry& r = detail::registry();
      std::lock_guard lock(r.mu);
      r.live.erase(id_);
    }
    detail::Record* rec = records_.load(std::memory_order_acquire);
    while (rec) {
      free_all(*rec);
      detail::Record* next = rec->next;
      delete rec;
      rec = next;
    }
    free_all(shared_);
  }

  class Guard {
   public:
    explicit Guard(const Domain& d) : rec_(d.record()) {
      const std::uint64_t e = d.global_.load(std::memory_order_seq_cst);
      // seq_cst store: the announcement is ordered before the loads of
      // shared pointers that follow.
      rec_->state.store((e << 1) | 1, std::memory_order_seq_cst);
    }
    ~Guard() { rec_->state.store(0, std::memory_order_release); }
    Guard(const Guard&) = delete;
    Guard& operator=(const Guard&) = delete;

   private:
    detail::Record* rec_;
  };

  // `object` is unreachable for new readers; free it with free_fn(ctx, object)
  // once no reader can still see it. Small objects (nodes) go to the calling
  // thread's list; big ones (old tables, rare) to a shared list that every
  // collection drains, so they never wait on a thread that stopped retiring.
  void retire(void* object, FreeFn free_fn, std::size_t bytes) { retire_item({object, free_fn, 0, bytes, false}); }

  // The same for an object of the domain's one reusable kind (smaller than
  // kSharedRetireBytes): once ripe, destroy_fn(ctx, object) ends its lifetime
  // and its memory becomes a spare of the list it was on (see the top).
  void retire_reusable(void* object, FreeFn destroy_fn, std::size_t bytes) {
    retire_item({object, destroy_fn, 0, bytes, true});
  }

  // Memory of a destroyed reusable object for the calling thread to build a
  // new one in, or nullptr when its record has none.
  void* take_spare() {
    std::vector<void*>& spares = record()->spares;
    if (spares.empty()) return nullptr;
    void* p = spares.back();
    spares.pop_back();
    return p;
  }

  // Gives back a spare (or a destroyed reusable object no reader ever saw).
  void keep_spare(void* object) { keep_spare(*record(), object); }

  // Frees everything retired and every spare. Only while no other thread is
  // inside the owner.
  void quiesce() {
    {
      std::lock_guard lock(shared_mu_);
      free_all(shared_);
    }
    for (detail::Record* rec = records_.load(std::memory_order_acquire); rec; rec = rec->next) free_all(*rec);
    global_.fetch_add(2, std::memory_order_acq_rel);
  }

  // Bytes retired and not yet freed, summed over the retire lists.
  std::size_t pending_bytes() const { return sum_over_lists(&detail::Record::pending); }
  // Each list's peak of pending bytes, summed: at least the most bytes that
  // were ever pending at once, and at most lists x (kMaxPendingBytes + the
  // largest object retired to a list).
  std::size_t peak_pending_bytes() const { return sum_over_lists(&detail::Record::peak); }

 private:
  detail::Record* record() const {
    detail::LastUsed& last = detail::tls_last;
    if (last.id == id_) return last.record;
    return record_slow();
  }

  detail::Record* record_slow() const {
    detail::Owned& owned = detail::tls_owned;
    detail::Record* rec = owned.lookup(id_);
    if (!rec) {
      // Adopt a record a dead thread released, else add a new one.
      for (detail::Record* r = records_.load(std::memory_order_acquire); r && !rec; r = r->next) {
        bool expected = false;
        if (!r->in_use.load(std::memory_order_relaxed) &&
            r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire))
          rec = r;
      }
      if (!rec) {
        rec = new detail::Record;
        rec->next = records_.load(std::memory_order_relaxed);
        while (!records_.compare_exchange_weak(rec->next, rec, std::memory_order_release, std::memory_order_relaxed)) {
        }
      }
      owned.add(id_, rec);
    }
    detail::tls_last = {id_, rec};
    return rec;
  }

  std::size_t sum_over_lists(std::atomic<std::size_t> detail::Record::*field) const {
    std::size_t n = (shared_.*field).load(std::memory_order_relaxed);
    for (detail::Record* r = records_.load(std::memory_order_acquire); r; r = r->next)
      n += (r->*field).load(std::memory_order_relaxed);
    return n;
  }

  void retire_item(detail::Retired item) {
    item.epoch = global_.load(std::memory_order_seq_cst);
    if (item.bytes >= kSharedRetireBytes) {
      std::unique_lock lock(shared_mu_);
      shared_.retired.push_back(item);
      shared_.add_pending(item.bytes);
      if (shared_.pending.load(std::memory_order_relaxed) > kMaxPendingBytes) {
        reclaim_to_cap(shared_, *record());
        return;
      }
      lock.unlock();
      collect(nullptr);
      return;
    }
    detail::Record* rec = record();
    rec->retired.push_back(item);
    rec->add_pending(item.bytes);
    if (rec->pending.load(std::memory_order_relaxed) > kMaxPendingBytes) {
      rec->since_collect = 0;
      collect(rec);
      reclaim_to_cap(*rec, *rec);
    } else if (++rec->since_collect >= kCollectEvery) {
      rec->since_collect = 0;
      collect(rec);
    }
  }

  // The lag bound: frees `list`'s ripe objects, moving the epoch on and
  // waiting for readers, until it holds at most kMaxPendingBytes. `mine` is
  // the calling thread's record: inside its own Guard it could wait forever,
  // so then it gives up (documented at the top).
  void reclaim_to_cap(detail::Record& list, const detail::Record& mine) {
    for (;;) {
      free_ripe(list, try_advance());
      if (list.pending.load(std::memory_order_relaxed) <= kMaxPendingBytes) return;
      if (mine.state.load(std::memory_order_relaxed) & 1) return;
      std::this_thread::yield();
    }
  }

  void keep_spare(detail::Record& rec, void* object) {
    if (rec.spares.size() < kMaxSpares) rec.spares.push_back(object);
    else release_spare_(ctx_, object);
  }

  // Moves the global epoch on if every active reader has seen it.
  std::uint64_t try_advance() {
    std::uint64_t e = global_.load(std::memory_order_seq_cst);
    for (detail::Record* r = records_.load(std::memory_order_acquire); r; r = r->next) {
      const std::uint64_t s = r->state.load(std::memory_order_seq_cst);
      if ((s & 1) && (s >> 1) != e) return e;
    }
    if (global_.compare_exchange_strong(e, e + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return e + 1;
    return e;  // someone else advanced it: e now holds the newer value
  }

  // Tries to move the epoch on, then frees what is ripe in `mine` (may be
  // null), in the shared list and in records whose thread exited.
  void collect(detail::Record* mine) {
    const std::uint64_t e = try_advance();
    if (mine) free_ripe(*mine, e);
    {
      std::unique_lock lock(shared_mu_, std::try_to_lock);
      if (lock.owns_lock() && shared_.head < shared_.retired.size()) free_ripe(shared_, e);
    }
    for (detail::Record* r = records_.load(std::memory_order_acquire); r; r = r->next) {
      if (r == mine || r->in_use.load(std::memory_order_relaxed)) continue;
      bool expected = false;
      if (r->in_use.compare_exchange_strong(expected, true, std::memory_order_acquire)) {
        free_ripe(*r, e);
        r->in_use.store(false, std::memory_order_release);
      }
    }
  }

  // Frees one retired object (or, reusable, destroys it and keeps its memory
  // as a spare of `rec`).
  void free_one(detail::Record& rec, const detail::Retired& item) {
    item.free_fn(ctx_, item.object);
    if (item.reusable) keep_spare(rec, item.object);
  }

  void free_ripe(detail::Record& rec, std::uint64_t global) {
    std::size_t i = rec.head;
    std::size_t freed = 0;
    while (i < rec.retired.size() && rec.retired[i].epoch + 2 <= global) {
      free_one(rec, rec.retired[i]);
      freed += rec.retired[i].bytes;
      ++i;
    }
    rec.sub_pending(freed);
    if (i == rec.retired.size()) {
      rec.retired.clear();
      i = 0;
    } else if (i > 1024 && i * 2 > rec.retired.size()) {
      rec.retired.erase(rec.retired.begin(), rec.retired.begin() + static_cast<std::ptrdiff_t>(i));
      i = 0;
    }
    rec.head = i;
  }

  void free_all(detail::Record& rec) {
    std::size_t freed = 0;
    for (std::size_t i = rec.head; i < rec.retired.size(); ++i) {
      free_one(rec, rec.retired[i]);
      freed += rec.retired[i].bytes;
    }
    rec.sub_pending(freed);
    rec.retired.clear();
    rec.retired.shrink_to_fit();
    rec.head = 0;
    for (void* p : rec.spares) release_spare_(ctx_, p);
    rec.spares.clear();
    rec.spares.shrink_to_fit();
  }

  // Read by every Guard and retire(); global_ is written once per epoch step.
  void* ctx_;
  FreeFn release_spare_;
  std::uint64_t id_ = 0;
  std::atomic<std::uint64_t> global_{2};
  mutable std::atomic<detail::Record*> records_{nullptr};
  // Big objects, on lines of their own (Record is cache-line aligned).
  alignas(64) std::mutex shared_mu_;
  detail::Record shared_;  // only its retired list and counters are used, under shared_mu_
};

}  // namespace dstudy::epoch
