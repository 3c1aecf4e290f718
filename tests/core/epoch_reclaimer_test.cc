// The epoch reclaimer on its own (impls/core/epoch_reclaimer.h): the
// concurrent map's conformance suite reaches it only through the map.
//
// Every retired object is an Obj freed by free_obj, which counts it in the
// domain's ctx (a Tally) and poisons it before it goes. A reader that finds
// a poisoned object inside its Guard has seen a premature reclamation; under
// AddressSanitizer the variants that really delete turn it into a
// heap-use-after-free, under ThreadSanitizer into a data race on the plain
// fields.
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <thread>
#include <vector>

#include "impls/core/epoch_reclaimer.h"

namespace dstudy {
namespace {

using epoch::Domain;

constexpr std::uint64_t kAlive = 0xA11CE0A11CE0ull;
constexpr std::uint64_t kDead = 0xDEADDEADDEADull;
constexpr std::size_t kSmall = 40;  // below Domain::kSharedRetireBytes
constexpr std::size_t kBig = 4096;  // at or above it: the shared list
static_assert(kSmall < Domain::kSharedRetireBytes && kBig >= Domain::kSharedRetireBytes);

struct Tally;

struct Obj {
  std::uint64_t magic = kAlive;  // plain fields on purpose: see the top
  std::uint64_t id = 0;
  std::array<std::uint64_t, 4> payload{};
  std::size_t bytes = 0;
  Tally* owner = nullptr;
  std::atomic<bool>* freed_flag = nullptr;

  bool intact() const {
    if (magic != kAlive) return false;
    for (std::size_t i = 0; i < payload.size(); ++i)
      if (payload[i] != id * 31 + i) return false;
    return true;
  }
};

// The domain's ctx: counts what was freed. With quarantine on, freed objects
// are poisoned but kept (so a late reader reads the poison, not reused
// memory); otherwise they are deleted at once.
struct Tally {
  std::atomic<std::size_t> retired{0};
  std::atomic<std::size_t> retired_bytes{0};
  std::atomic<std::size_t> freed{0};
  std::atomic<std::size_t> freed_bytes{0};
  std::atomic<std::size_t> wrong_ctx{0};
  std::atomic<std::uint64_t> next_id{1};
  bool quarantine = false;
  std::mutex mu;
  std::vector<Obj*> graveyard;

  ~Tally() {
    for (Obj* o : graveyard) delete o;
  }
};

void free_obj(void* ctx, void* object) noexcept {
  Tally* t = static_cast<Tally*>(ctx);
  Obj* o = static_cast<Obj*>(object);
  if (o->owner != t) t->wrong_ctx.fetch_add(1);
  t->freed.fetch_add(1);
  t->freed_bytes.fetch_add(o->bytes);
  if (o->freed_flag) o->freed_flag->store(true);
  o->magic = kDead;
  o->payload.fill(0);
  if (t->quarantine) {
    std::lock_guard lock(t->mu);
    t->graveyard.push_back(o);
  } else {
    delete o;
  }
}

Obj* make(Tally& t, std::size_t bytes = kSmall, std::atomic<bool>* freed_flag = nullptr) {
  Obj* o = new Obj;
  o->id = t.next_id.fetch_add(1);
  for (std::size_t i = 0; i < o->payload.size(); ++i) o->payload[i] = o->id * 31 + i;
  o->bytes = bytes;
  o->owner = &t;
  o->freed_flag = freed_flag;
  return o;
}

void retire(Domain& d, Tally& t, Obj* o) {
  t.retired.fetch_add(1);
  t.retired_bytes.fetch_add(o->bytes);
  d.retire(o, &free_obj, o->bytes);
}

// Retires n fresh small objects: every kCollectEvery-th retirement of a
// thread is a collection attempt.
void retire_small(Domain& d, Tally& t, std::size_t n) {
  for (std::size_t i = 0; i < n; ++i) retire(d, t, make(t, kSmall));
}

// Enough retirements from one thread for two collections by it, hence two
// epoch steps when no reader is in the way.
constexpr std::size_t kTwoCollections = 2 * Domain::kCollectEvery;

// With no concurrent retire or free in flight, pending_bytes() is exactly
// what was retired and not yet freed.
void expect_accounting(const Domain& d, const Tally& t) {
  EXPECT_EQ(d.pending_bytes(), t.retired_bytes.load() - t.freed_bytes.load());
  EXPECT_EQ(t.wrong_ctx.load(), 0u) << "free_fn got a ctx other than the domain's";
}

// A thread that does what it is told, one step at a time, so a test can hold
// it inside a Guard or keep it alive but idle.
class Helper {
 public:
  Helper() : thread_([this] { loop(); }) {}
  ~Helper() { stop(); }
  // Runs f on the helper thread and waits until it returned.
  template <class F>
  void run(F f) {
    std::unique_lock lock(mu_);
    job_ = f;
    cv_.notify_all();
    cv_.wait(lock, [&] { return !job_; });
  }
  void stop() {
    {
      std::lock_guard lock(mu_);
      quit_ = true;
      cv_.notify_all();
    }
    if (thread_.joinable()) thread_.join();
  }

 private:
  void loop() {
    std::unique_lock lock(mu_);
    for (;;) {
      cv_.wait(lock, [&] { return quit_ || job_; });
      if (job_) {
        job_();
        job_ = nullptr;
        cv_.notify_all();
        continue;
      }
      if (quit_) return;
    }
  }

  std::mutex mu_;
  std::condition_variable cv_;
  std::function<void()> job_;
  bool quit_ = false;
  std::thread thread_;
};

TEST(EpochReclaimer, NewDomainHasNothingPending) {
  Tally t;
  Domain d(&t);
  EXPECT_EQ(d.pending_bytes(), 0u);
  { Domain::Guard g(d); }
  d.quiesce();
  EXPECT_EQ(d.pending_bytes(), 0u);
  EXPECT_EQ(t.freed.load(), 0u);
}

TEST(EpochReclaimer, RetiredObjectIsFreedOnceEpochsPassWithNoReader) {
  Tally t;
  Domain d(&t);
  std::atomic<bool> freed{false};
  retire(d, t, make(t, 100, &freed));
  EXPECT_EQ(d.pending_bytes(), 100u);
  retire_small(d, t, kTwoCollections);
  EXPECT_TRUE(freed.load()) << "no reader, two collections: the object should be gone";
  expect_accounting(d, t);
  EXPECT_LT(d.pending_bytes(), t.retired_bytes.load());
}

// The core promise: an object unlinked while a reader is inside a Guard
// outlives the Guard, however many collections run meanwhile.
TEST(EpochReclaimer, ReaderInOtherThreadKeepsRetiredObjectAlive) {
  Tally t;
  Domain d(&t);
  std::atomic<bool> freed{false};
  std::atomic<Obj*> shared{make(t, 100, &freed)};
  Obj* seen = nullptr;

  std::mutex mu;
  std::condition_variable cv;
  bool inside = false, leave = false;
  bool intact_at_exit = false;
  std::thread reader([&] {
    Domain::Guard g(d);
    seen = shared.load();
    std::unique_lock lock(mu);
    inside = true;
    cv.notify_all();
    cv.wait(lock, [&] { return leave; });
    intact_at_exit = seen->intact();
  });
  {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return inside; });
  }

  Obj* old = shared.exchange(make(t));
  ASSERT_EQ(old, seen);
  retire(d, t, old);
  // Many collections, through both paths: the thread's own list and the
  // shared list of big objects.
  for (int round = 0; round < 10; ++round) {
    retire_small(d, t, Domain::kCollectEvery);
    retire(d, t, make(t, kBig));
  }
  EXPECT_FALSE(freed.load()) << "freed while a reader that saw it is still inside its Guard";
  // Everything here was retired after the reader announced its epoch, so
  // none of it may be freed yet.
  EXPECT_EQ(t.freed.load(), 0u);
  expect_accounting(d, t);
  EXPECT_EQ(d.pending_bytes(), t.retired_bytes.load());

  {
    std::lock_guard lock(mu);
    leave = true;
    cv.notify_all();
  }
  reader.join();
  EXPECT_TRUE(intact_at_exit);

  retire_small(d, t, kTwoCollections);
  EXPECT_TRUE(freed.load()) << "the reader left and epochs passed: it should be gone";
  expect_accounting(d, t);
  retire(d, t, shared.exchange(nullptr));
}

// The same with the reader on the retiring thread (a writer that also reads).
TEST(EpochReclaimer, GuardOnRetiringThreadKeepsRetiredObjectAlive) {
  Tally t;
  Domain d(&t);
  std::atomic<bool> freed_small{false}, freed_big{false};
  {
    Domain::Guard g(d);
    retire(d, t, make(t, kSmall, &freed_small));
    retire(d, t, make(t, kBig, &freed_big));
    for (int round = 0; round < 5; ++round) {
      retire_small(d, t, Domain::kCollectEvery);
      retire(d, t, make(t, kBig));
    }
    EXPECT_FALSE(freed_small.load());
    EXPECT_FALSE(freed_big.load());
    EXPECT_EQ(t.freed.load(), 0u);
    expect_accounting(d, t);
  }
  retire_small(d, t, kTwoCollections);
  EXPECT_TRUE(freed_small.load());
  EXPECT_TRUE(freed_big.load());
  expect_accounting(d, t);
}

// A reader that is always inside a Guard but re-enters now and then (so it
// announces newer epochs) must not stop reclamation: only a Guard that began
// before the epoch moved holds it back.
TEST(EpochReclaimer, ReaderThatKeepsReenteringDoesNotStopReclamation) {
  Tally t;
  Domain d(&t);
  std::atomic<bool> freed{false};
  Helper reader;
  std::optional<Domain::Guard> guard;  // touched only on the reader thread
  reader.run([&] { guard.emplace(d); });
  retire(d, t, make(t, kSmall, &freed));
  for (int i = 0; i < 8 && !freed.load(); ++i) {
    reader.run([&] {
      guard.reset();
      guard.emplace(d);
    });
    retire_small(d, t, Domain::kCollectEvery);  // one collection, with the reader inside
  }
  EXPECT_TRUE(freed.load()) << "a reader that re-enters its Guard held reclamation back";
  reader.run([&] { guard.reset(); });
  expect_accounting(d, t);
}

// The lag cap: a thread over kMaxPendingBytes waits for a reader that holds
// the epoch back, and goes on once it left, having freed down to the cap.
TEST(EpochReclaimer, RetireOverTheCapWaitsForTheStalledReader) {
  Tally t;
  Domain d(&t);
  Helper reader;
  std::optional<Domain::Guard> guard;  // touched only on the reader thread
  reader.run([&] { guard.emplace(d); });
  constexpr std::size_t kOverCap = 2 * Domain::kMaxPendingBytes / kSmall;
  std::atomic<std::size_t> done{0};
  std::thread writer([&] {
    for (std::size_t i = 0; i < kOverCap; ++i) {
      retire(d, t, make(t, kSmall));
      done.fetch_add(1);
    }
  });
  // The writer stops at the cap while the reader is inside.
  std::size_t seen = 0;
  for (int quiet = 0; quiet < 5;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    const std::size_t now = done.load();
    quiet = now == seen ? quiet + 1 : 0;
    seen = now;
  }
  EXPECT_LT(seen, kOverCap) << "the writer went on past the cap behind a stalled reader";
  EXPECT_LE(d.pending_bytes(), Domain::kMaxPendingBytes + kSmall);
  reader.run([&] { guard.reset(); });
  writer.join();
  EXPECT_LE(d.peak_pending_bytes(), Domain::kMaxPendingBytes + kSmall);
  expect_accounting(d, t);
}

// A thread inside its own Guard cannot wait for itself: over the cap it only
// collects, and what it retired stays until it leaves.
TEST(EpochReclaimer, RetireOverTheCapInsideOwnGuardDoesNotWait) {
  Tally t;
  Domain d(&t);
  {
    Domain::Guard g(d);
    retire_small(d, t, 2 * Domain::kMaxPendingBytes / kSmall);
    EXPECT_EQ(t.freed.load(), 0u);
    EXPECT_GT(d.pending_bytes(), Domain::kMaxPendingBytes);
  }
  retire_small(d, t, kTwoCollections);
  EXPECT_LE(d.pending_bytes(), Domain::kMaxPendingBytes + kSmall);
  expect_accounting(d, t);
}

// Reusable objects: once ripe they are destroyed and kept as spares of the
// retiring thread (at most kMaxSpares; the rest released), take_spare()
// hands them back, and quiesce() releases the spares left.
struct SpareTally {
  std::atomic<std::size_t> destroyed{0}, released{0};
};
void destroy_spare(void* ctx, void*) noexcept { static_cast<SpareTally*>(ctx)->destroyed.fetch_add(1); }
void release_spare(void* ctx, void* object) noexcept {
  static_cast<SpareTally*>(ctx)->released.fetch_add(1);
  delete static_cast<std::uint64_t*>(object);
}

TEST(EpochReclaimer, RipeReusableObjectsBecomeTheThreadsSpares) {
  SpareTally t;
  Domain d(&t, &release_spare);
  EXPECT_EQ(d.take_spare(), nullptr);
  constexpr std::size_t kRetired = Domain::kMaxSpares + 3 * Domain::kCollectEvery;
  std::vector<void*> retired;
  for (std::size_t i = 0; i < kRetired; ++i) {
    retired.push_back(new std::uint64_t(i));
    d.retire_reusable(retired.back(), &destroy_spare, sizeof(std::uint64_t));
  }
  // No reader: every collection moved the epoch, so all but the last
  // collections' worth are ripe; what is over kMaxSpares went back.
  const std::size_t ripe = t.destroyed.load();
  EXPECT_GE(ripe, kRetired - 3 * Domain::kCollectEvery);
  EXPECT_EQ(t.released.load(), ripe - std::min(ripe, Domain::kMaxSpares));
  std::vector<void*> taken;
  while (void* p = d.take_spare()) {
    EXPECT_NE(std::find(retired.begin(), retired.end(), p), retired.end()) << "a spare that was never retired";
    taken.push_back(p);
  }
  EXPECT_EQ(taken.size(), std::min(ripe, Domain::kMaxSpares));
  for (void* p : taken) d.keep_spare(p);  // back, as an insert that found its key does
  void* last = d.take_spare();
  EXPECT_EQ(last, taken.back()) << "spares are handed out last in, first out";
  d.keep_spare(last);
  d.quiesce();
  EXPECT_EQ(t.destroyed.load(), kRetired);
  EXPECT_EQ(t.released.load(), kRetired) << "quiesce left spares unreleased";
  EXPECT_EQ(d.take_spare(), nullptr);
}

TEST(EpochReclaimer, BigObjectsDoNotWaitForAnIdleRetirer) {
  // A thread retires an old table, then stops retiring (alive, idle); the
  // collections of another thread must free it.
  Tally t;
  Domain d(&t);
  std::atomic<bool> freed{false};
  Helper idle;
  idle.run([&] { retire(d, t, make(t, kBig, &freed)); });
  EXPECT_EQ(d.pending_bytes(), kBig);
  retire_small(d, t, kTwoCollections + Domain::kCollectEvery);
  EXPECT_TRUE(freed.load()) << "big object stuck behind a thread that stopped retiring";
  expect_accounting(d, t);
}

TEST(EpochReclaimer, DeadThreadsGarbageIsFreedByOthersCollections) {
  Tally t;
  Domain d(&t);
  std::vector<std::atomic<bool>> freed(10);
  std::thread([&] {
    for (auto& f : freed) retire(d, t, make(t, kSmall, &f));  // fewer than kCollectEvery: no collection
  }).join();
  EXPECT_EQ(d.pending_bytes(), 10 * kSmall);
  // Big retirements collect each time; three of them move the epoch past
  // the dead thread's stamps and sweep its record.
  for (int i = 0; i < 3; ++i) retire(d, t, make(t, kBig));
  for (auto& f : freed) EXPECT_TRUE(f.load()) << "a dead thread's retirement was not collected";
  expect_accounting(d, t);
}

TEST(EpochReclaimer, ThreadsComingAndGoingLeaveNothingBehind) {
  // Each thread retires a few objects and exits; later threads adopt the
  // released records or sweep them. All of it is freed by the time a
  // last thread has collected twice.
  Tally t;
  Domain d(&t);
  for (int i = 0; i < 20; ++i) {
    std::thread([&] {
      Domain::Guard g(d);
      retire_small(d, t, 7);
    }).join();
  }
  std::thread([&] { retire_small(d, t, kTwoCollections + Domain::kCollectEvery); }).join();
  const std::size_t by_threads = t.retired.load();
  // This thread's two collections move the epoch two steps past every
  // stamp above and sweep (or adopt) the released records.
  retire_small(d, t, kTwoCollections);
  EXPECT_GE(t.freed.load(), by_threads) << "exited threads' retirements left behind";
  expect_accounting(d, t);
}

TEST(EpochReclaimer, QuiesceFreesEverythingAndTheDomainGoesOn) {
  Tally t;
  Domain d(&t);
  Helper idle;
  idle.run([&] {
    retire_small(d, t, 5);
    retire(d, t, make(t, kBig));
  });
  std::thread([&] { retire_small(d, t, 3); }).join();  // a dead thread's record
  retire_small(d, t, 11);
  retire(d, t, make(t, kBig));
  {
    // An inactive Guard does not matter to quiesce.
    Domain::Guard g(d);
    retire_small(d, t, 2);
  }
  d.quiesce();
  EXPECT_EQ(t.freed.load(), t.retired.load());
  EXPECT_EQ(d.pending_bytes(), 0u);
  expect_accounting(d, t);

  // Still usable afterwards.
  std::atomic<bool> freed{false};
  retire(d, t, make(t, kSmall, &freed));
  retire_small(d, t, kTwoCollections);
  EXPECT_TRUE(freed.load());
  d.quiesce();
  EXPECT_EQ(t.freed.load(), t.retired.load());
  EXPECT_EQ(d.pending_bytes(), 0u);
}

TEST(EpochReclaimer, DestructionFreesEverything) {
  Tally t;
  auto d = std::make_unique<Domain>(&t);
  Helper idle;
  idle.run([&] {
    Domain::Guard g(*d);
    retire_small(*d, t, 9);
    retire(*d, t, make(t, kBig));
  });
  std::thread([&] { retire_small(*d, t, 4); }).join();
  {
    Domain::Guard g(*d);
    retire_small(*d, t, Domain::kCollectEvery + 17);
    retire(*d, t, make(t, kBig));
  }
  EXPECT_LT(t.freed.load(), t.retired.load()) << "the test wants pending objects at destruction";
  d.reset();
  EXPECT_EQ(t.freed.load(), t.retired.load());
  EXPECT_EQ(t.freed_bytes.load(), t.retired_bytes.load());
  EXPECT_EQ(t.wrong_ctx.load(), 0u);
  // The idle thread exits after its domain died: its thread-local cleanup
  // must leave the dead domain's records alone (ASan: use after free).
  idle.stop();
}

// Thread-local state outlives domains: a thread that used a dead domain must
// get a record of its own in the next one, even one at the same address.
TEST(EpochReclaimer, ThreadOutlivesManyDomains) {
  Tally t;
  Helper worker;
  for (int i = 0; i < 150; ++i) {  // more than the 64 entries a thread keeps before pruning
    std::size_t retired_before = t.retired.load();
    {
      Domain d(&t);  // same stack slot each time
      worker.run([&] {
        Domain::Guard g(d);
        retire_small(d, t, 3);
      });
      retire_small(d, t, 2);
    }
    ASSERT_EQ(t.freed.load(), t.retired.load())
        << "domain " << i << " did not free its " << t.retired.load() - retired_before << " objects";
  }
  EXPECT_EQ(t.wrong_ctx.load(), 0u);
}

// Readers and writers together. Writers swap objects out of shared slots and
// retire them (some as big objects); readers check, inside a Guard, that what
// they loaded stays intact for the whole Guard; a churn thread starts short
// threads that read, swap and retire, and exit, so records are released,
// swept and adopted while the others run.
void stress(bool quarantine) {
  Tally t;
  t.quarantine = quarantine;
  auto d = std::make_unique<Domain>(&t);
  constexpr std::size_t kSlots = 8;
  std::array<std::atomic<Obj*>, kSlots> slots;
  for (auto& s : slots) s.store(make(t));

  std::atomic<bool> stop{false};
  std::atomic<std::size_t> bad{0}, reads{0}, swaps{0};

  const auto swap_one = [&](std::mt19937_64& rng) {
    const bool big = rng() % 32 == 0;
    Obj* old = slots[rng() % kSlots].exchange(make(t, big ? kBig : kSmall));
    retire(*d, t, old);
    swaps.fetch_add(1, std::memory_order_relaxed);
  };
  const auto read_some = [&](std::mt19937_64& rng) {
    Domain::Guard g(*d);
    Obj* seen[3];
    for (Obj*& p : seen) {
      p = slots[rng() % kSlots].load();
      if (!p->intact()) bad.fetch_add(1);
    }
    for (int spin = 0; spin < 20; ++spin) {
      for (Obj* p : seen)
        if (!p->intact()) bad.fetch_add(1);
    }
    reads.fetch_add(1, std::memory_order_relaxed);
  };

  std::vector<std::thread> threads;
  for (int r = 0; r < 2; ++r) {
    threads.emplace_back([&, r] {
      std::mt19937_64 rng(100 + r);
      while (!stop.load(std::memory_order_relaxed)) read_some(rng);
    });
  }
  threads.emplace_back([&] {
    std::mt19937_64 rng(7);
    while (!stop.load(std::memory_order_relaxed)) swap_one(rng);
  });
  threads.emplace_back([&] {
    std::mt19937_64 rng(9);
    while (!stop.load(std::memory_order_relaxed)) {
      std::thread([&, seed = rng()] {
        std::mt19937_64 local(seed);
        for (int i = 0; i < 4; ++i) {
          read_some(local);
          swap_one(local);
        }
      }).join();
    }
  });

  // At least 0.3 s and 20000 swaps, at most 1.5 s (sanitizers, a busy box).
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    const auto elapsed = std::chrono::steady_clock::now() - start;
    if (elapsed >= std::chrono::milliseconds(1500)) break;
    if (elapsed >= std::chrono::milliseconds(300) && swaps.load() >= 20000) break;
    if (quarantine && t.retired.load() >= 400000) break;  // bound the graveyard
  }
  stop.store(true);
  for (auto& th : threads) th.join();

  EXPECT_EQ(bad.load(), 0u) << "a reader saw an object freed under its Guard";
  EXPECT_GT(reads.load(), 0u);
  EXPECT_GT(swaps.load(), 0u);
  if (swaps.load() >= 20000) {
    EXPECT_GT(t.freed.load(), 0u) << "nothing reclaimed while readers came and went";
  }
  expect_accounting(*d, t);
  for (auto& s : slots) retire(*d, t, s.exchange(nullptr));
  d->quiesce();
  EXPECT_EQ(t.freed.load(), t.retired.load());
  EXPECT_EQ(d->pending_bytes(), 0u);
  d.reset();
  EXPECT_EQ(t.wrong_ctx.load(), 0u);
}

// Freed objects are poisoned and kept: a premature free is read as poison
// in any build.
TEST(EpochReclaimer, StressReadersAndWritersPoisonCheck) { stress(true); }

// Freed objects are really deleted: a premature free is a use after free
// (ASan) or a race with the free (TSan).
TEST(EpochReclaimer, StressReadersAndWritersRealFree) { stress(false); }

}  // namespace
}  // namespace dstudy
