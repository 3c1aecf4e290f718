// The conformance suite. Included (by a build-generated file) before an
// implementation header, it turns that header's DSTUDY_REGISTER lines into
// GoogleTest cases for every key/value kind the container supports:
//
//   <name>/<kind>.differential_<shape>   replayed against std::unordered_map
//   <name>/<kind>.edge_cases             empty, one key, erase on empty, ...
//   <name>/<kind>.same_key_churn         one key erased/reinserted 100k times
//   <name>/<kind>.growth_boundaries      every key found across each doubling
//   <name>/<kind>.footprint              never below payload; after erasing
//                                        everything, what the policy promises
//   <name>/<kind>.compact                containers with compact(): it gives
//                                        a drain's memory back, keys intact
//   <name>/<kind>.concurrent_stress      thread-safe containers only
//   <name>/<kind>.iteration_*            Iterable containers only
//                                        (iteration_cases.h)
//
// A container that fails the concept fails to compile here, with a message
// naming the missing operation (container.h, require_study_container).
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "impls/core/container.h"
#include "impls/core/value_types.h"
#include "tests/conformance/op_sequences.h"

namespace dstudy::conformance {

// Seeds per differential shape; DSTUDY_CONFORMANCE_SEEDS raises it for a
// longer soak.
inline int seeds_per_shape() {
  const char* env = std::getenv("DSTUDY_CONFORMANCE_SEEDS");
  return env ? std::max(1, std::atoi(env)) : 2;
}

// A container and the reference, driven in lockstep. The reference maps each
// key to the digest of the value inserted with it.
template <class C, class KV>
class Differential {
 public:
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;

  Differential() : c_(std::make_unique<C>()) {}

  C& container() { return *c_; }
  std::size_t live() const { return ref_.size(); }
  // The reference: each live key and the digest of its value.
  const std::unordered_map<K, std::uint64_t, Hash<K>>& reference() const { return ref_; }
  // Tells the reference that the container erased `key` on its own
  // (erase_first / erase_next): the caller has checked that it did.
  void forget(const K& key) { ASSERT_EQ(ref_.erase(key), 1u) << "the container erased a key that was not live"; }

  void insert(std::uint64_t key_seed, std::uint64_t value_seed) {
    const K key = KV::make_key(key_seed);
    V value = KV::make_value(value_seed);
    const std::uint64_t digest = KV::digest(value);
    const bool expected = ref_.try_emplace(key, digest).second;
    ASSERT_EQ(c_->insert(key, std::move(value)), expected) << "insert(key seed " << key_seed << ")";
  }

  void erase(std::uint64_t key_seed) {
    const K key = KV::make_key(key_seed);
    const bool expected = ref_.erase(key) != 0;
    ASSERT_EQ(c_->erase(key), expected) << "erase(key seed " << key_seed << ")";
  }

  void find(std::uint64_t key_seed) { check_key(KV::make_key(key_seed)); }

  // Erase of a key known to be live, given as the key itself.
  void erase_key(const K& key) {
    ASSERT_TRUE(c_->erase(key)) << "erase of a live key";
    forget(key);
  }

  void check_key(const K& key) {
    const auto it = ref_.find(key);
    std::uint64_t digest = 0;
    int calls = 0;
    const bool found = c_->find(key, [&](const V& v) {
      digest = KV::digest(v);
      ++calls;
    });
    ASSERT_EQ(found, it != ref_.end()) << "find";
    ASSERT_EQ(calls, found ? 1 : 0) << "find must call its visitor exactly once when found";
    if (found) {
      ASSERT_EQ(digest, it->second) << "find returned the wrong value";
    }
  }

  void apply(const Op& op) {
    switch (op.kind) {
      case OpKind::kInsert: insert(op.key, op.value); break;
      case OpKind::kErase: erase(op.key); break;
      case OpKind::kFind: find(op.key); break;
    }
  }

  // Size and footprint invariants, cheap enough to run every few thousand ops.
  void check_invariants() {
    ASSERT_EQ(c_->size(), ref_.size());
    const Footprint f = c_->footprint();
    ASSERT_GE(f.bytes, ref_.size() * (sizeof(K) + sizeof(V))) << "footprint below the live payload";
    if (f.capacity && f.tombstones) {
      ASSERT_LE(*f.tombstones + ref_.size(), *f.capacity + ref_.size());
    }
  }

  // Every key the reference holds is found with its value.
  void check_all() {
    check_invariants();
    for (const auto& [key, digest] : ref_) {
      check_key(key);
      if (::testing::Test::HasFatalFailure()) return;
    }
  }

 private:
  std::unique_ptr<C> c_;
  std::unordered_map<K, std::uint64_t, Hash<K>> ref_;
};

template <class C, class KV>
void run_shape(const Shape& shape, std::uint64_t seed) {
  Differential<C, KV> d;
  const std::vector<Op> ops = shape.make(seed);
  for (std::size_t i = 0; i < ops.size(); ++i) {
    d.apply(ops[i]);
    if (::testing::Test::HasFatalFailure()) {
      ADD_FAILURE() << shape.name << " seed " << seed << " failed at op " << i << " of " << ops.size();
      return;
    }
    if (i % 4096 == 0) {
      ASSERT_NO_FATAL_FAILURE(d.check_invariants());
    }
  }
  ASSERT_NO_FATAL_FAILURE(d.check_all()) << shape.name << " seed " << seed;
}

template <class C, class KV>
void edge_cases() {
  Differential<C, KV> d;
  ASSERT_NO_FATAL_FAILURE(d.check_invariants());  // empty
  d.find(1);
  d.erase(1);  // erase on empty
  d.insert(1, 10);
  d.insert(1, 11);  // present: refused, keeps the first value
  d.find(1);
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  d.erase(1);
  d.erase(1);
  d.find(1);
  d.insert(1, 12);  // reinsert after erase takes the new value
  d.find(1);
  d.insert(2, 20);
  d.erase(1);
  d.find(2);
  ASSERT_NO_FATAL_FAILURE(d.check_all());
}

// One key erased and reinserted 100k times: size stays at most 1 and the
// footprint must not creep (a tombstone per cycle would).
template <class C, class KV>
void same_key_churn() {
  Differential<C, KV> d;
  for (std::uint64_t k = 100; k < 164; ++k) d.insert(k, k);  // some neighbours
  std::size_t settled = 0;
  for (int i = 0; i < 100000; ++i) {
    d.insert(7, static_cast<std::uint64_t>(i));
    d.find(7);
    d.erase(7);
    if (::testing::Test::HasFatalFailure()) return;
    if (i == 1000) settled = d.container().footprint().bytes;
  }
  d.find(7);
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  if constexpr (Quiescible<C>) d.container().quiesce();
  EXPECT_LE(d.container().footprint().bytes, 2 * settled + 4096) << "footprint grew under same-key churn";
}

// All keys are found just below, at and just above each power of two, on the
// way up and on the way down.
template <class C, class KV>
void growth_boundaries() {
  Differential<C, KV> d;
  constexpr std::uint64_t kMax = 8200;
  auto at_boundary = [](std::uint64_t n) {
    const std::uint64_t p = std::uint64_t{1} << (63 - __builtin_clzll(n + 1));
    return n + 1 == p || n == p || n == p + 1 || n % 7 == 0;  // 7/8 load points too
  };
  for (std::uint64_t k = 1; k <= kMax; ++k) {
    d.insert(k, k);
    if (at_boundary(k)) {
      ASSERT_NO_FATAL_FAILURE(d.check_all());
    }
  }
  for (std::uint64_t k = kMax; k >= 1; --k) {
    d.erase(k);
    if (at_boundary(k)) {
      ASSERT_NO_FATAL_FAILURE(d.check_all());
    }
  }
  ASSERT_EQ(d.container().size(), 0u);
}

template <class C, class KV>
void footprint_policy() {
  Differential<C, KV> d;
  constexpr std::uint64_t kKeys = 20000;
  for (std::uint64_t k = 0; k < kKeys; ++k) d.insert(mix64(k), k);
  ASSERT_NO_FATAL_FAILURE(d.check_invariants());
  const std::size_t peak = d.container().footprint().bytes;
  for (std::uint64_t k = 0; k < kKeys; ++k) {
    d.erase(mix64(k));
    if (k % 1000 == 0) {
      ASSERT_NO_FATAL_FAILURE(d.check_invariants());
    }
  }
  // Policies that give memory back may do it at the next operation
  // (google::dense_hash_map shrinks at the next insert).
  d.insert(1, 1);
  d.erase(1);
  if constexpr (Quiescible<C>) d.container().quiesce();
  const Footprint after = d.container().footprint();
  EXPECT_LE(after.bytes, peak) << "erasing must never grow the footprint";
  if constexpr (C::kReturnsMemory) {
    EXPECT_LE(after.bytes, peak / 4 + 4096) << "container promises to return memory after erasing everything";
  }
  if (after.reclaim_pending_bytes) {
    EXPECT_EQ(*after.reclaim_pending_bytes, 0u) << "quiesce left bytes unreclaimed";
  }
}

// Containers with compact() (container.h): after a 90% drain it gives memory
// back and every key is still found; the compacted container keeps working
// under churn (the study's own maps then run on a table whose group count is
// not a power of two); compacting an empty one leaves almost nothing.
template <class C, class KV>
void compact_shrinks() {
  Differential<C, KV> d;
  constexpr std::uint64_t kKeys = 20000;
  for (std::uint64_t k = 0; k < kKeys; ++k) d.insert(k, k);
  for (std::uint64_t k = 0; k < kKeys; ++k) {
    if (k % 10 != 3) d.erase(k);
  }
  const std::size_t drained = d.container().footprint().bytes;
  const std::size_t payload = d.live() * (sizeof(typename KV::key_type) + sizeof(typename KV::mapped_type));
  d.container().compact();
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  // A flat table holds its peak capacity after the drain: compact() must give
  // most of it back. A node-based map freed its nodes as it erased; only its
  // bucket array is left to shrink, and rehash(0) may round that up a little.
  if (drained > 4 * payload) {
    EXPECT_LT(d.container().footprint().bytes, drained / 2) << "compact() after a 90% drain";
  } else {
    EXPECT_LE(d.container().footprint().bytes, drained + drained / 8) << "compact() after a 90% drain";
  }
  std::mt19937_64 rng(77);
  for (int i = 0; i < 20000; ++i) {
    const std::uint64_t key = rng() % (2 * kKeys);
    if (rng() % 2) d.insert(key, key + 1);
    else d.erase(key);
    if (::testing::Test::HasFatalFailure()) return;
  }
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  d.container().compact();
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  for (std::uint64_t k = 0; k < 2 * kKeys; ++k) d.erase(k);
  d.container().compact();
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  EXPECT_LE(d.container().footprint().bytes, 4096u) << "compact() of an empty container";
}

// Containers that tell their probe lengths (container.h, ProbeIntrospectable):
// every present and absent key gets one, a lookup of a present key is short
// on a table within its load limit, and the count is a pure read (asking
// twice gives the same answer; the contents are unchanged).
template <class C, class KV>
void probe_lengths() {
  Differential<C, KV> d;
  constexpr std::uint64_t kKeys = 5000;
  for (std::uint64_t k = 0; k < kKeys; ++k) d.insert(mix64(k), k);
  for (std::uint64_t k = 0; k < kKeys; k += 2) d.erase(mix64(k));
  double hit = 0, miss = 0;
  for (std::uint64_t k = 0; k < kKeys; ++k) {
    const auto key = KV::make_key(mix64(k));
    const std::size_t n = d.container().probe_length(key);
    EXPECT_EQ(n, d.container().probe_length(key));
    (k % 2 ? hit : miss) += static_cast<double>(n);
  }
  EXPECT_LT(hit / (kKeys / 2), 4.0) << "mean probes of a present key";
  EXPECT_LT(miss / (kKeys / 2), 64.0) << "mean probes of an erased key";
  ASSERT_NO_FATAL_FAILURE(d.check_all());
}

// Thread-safe containers: threads churn disjoint key ranges, each checked
// against its own reference, while all of them fight over a few shared keys.
template <class C, class KV>
void concurrent_stress() {
  constexpr int kThreads = 4;
  constexpr int kOpsPerThread = 60000;
  constexpr std::uint64_t kSharedKeys = 32;
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;
  auto c = std::make_unique<C>();
  std::atomic<int> failures{0};
  std::vector<std::unordered_map<std::uint64_t, bool>> owned(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 rng(1000 + t);
      auto& mine = owned[t];
      for (int i = 0; i < kOpsPerThread; ++i) {
        const bool shared = rng() % 4 == 0;
        const std::uint64_t seed =
            shared ? rng() % kSharedKeys : kSharedKeys + (static_cast<std::uint64_t>(t) << 32) + rng() % 2000;
        const K key = KV::make_key(seed);
        const std::uint64_t op = rng() % 3;
        if (op == 0) {
          const bool inserted = c->insert(key, KV::make_value(seed));
          if (!shared && inserted == mine[seed]) failures.fetch_add(1);
          if (!shared) mine[seed] = true;
        } else if (op == 1) {
          const bool erased = c->erase(key);
          if (!shared && erased != mine[seed]) failures.fetch_add(1);
          if (!shared) mine[seed] = false;
        } else {
          // Whoever inserted a key gave it the value made from its seed.
          const std::uint64_t expected = KV::digest(KV::make_value(seed));
          bool wrong = false;
          const bool found = c->find(key, [&](const V& v) { wrong = KV::digest(v) != expected; });
          if (wrong || (!shared && found != mine[seed])) failures.fetch_add(1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures.load(), 0) << "operations disagreed with each thread's own reference";
  std::size_t expected_size = 0;
  for (const auto& mine : owned)
    for (const auto& [seed, present] : mine) expected_size += present;
  for (std::uint64_t seed = 0; seed < kSharedKeys; ++seed)
    expected_size += c->find(KV::make_key(seed), ValueProbe<V>{});
  EXPECT_EQ(c->size(), expected_size);
  if constexpr (Quiescible<C>) c->quiesce();
  const Footprint f = c->footprint();
  EXPECT_GE(f.bytes, c->size() * (sizeof(K) + sizeof(V)));
  if (f.reclaim_pending_bytes) {
    EXPECT_EQ(*f.reclaim_pending_bytes, 0u);
  }
}

template <class Body>
void register_case(const std::string& suite, const std::string& name, Body body) {
  ::testing::RegisterTest(suite.c_str(), name.c_str(), nullptr, nullptr, __FILE__, __LINE__,
                          [body]() -> ::testing::Test* {
                            struct Case : ::testing::Test {
                              explicit Case(Body b) : b_(b) {}
                              void TestBody() override { b_(); }
                              Body b_;
                            };
                            return new Case(body);
                          });
}

}  // namespace dstudy::conformance

#include "tests/conformance/iteration_cases.h"

namespace dstudy::conformance {

template <template <class, class> class Impl>
bool register_suite(const char* impl_name) {
  for_each_kv_kind([&]<class KV>(KV) {
    if constexpr (supports_kv<Impl, KV>()) {
      using C = Impl<typename KV::key_type, typename KV::mapped_type>;
      static_assert(require_study_container<C>());
      const std::string suite = std::string(impl_name) + "/" + std::string(KV::kName);
      for (const Shape& shape : all_shapes()) {
        register_case(suite, std::string("differential_") + shape.name, [shape] {
          for (int s = 0; s < seeds_per_shape(); ++s) {
            run_shape<C, KV>(shape, 0x5EED0000u + s);
            if (::testing::Test::HasFailure()) return;
          }
        });
      }
      register_case(suite, "edge_cases", [] { edge_cases<C, KV>(); });
      register_case(suite, "same_key_churn", [] { same_key_churn<C, KV>(); });
      register_case(suite, "growth_boundaries", [] { growth_boundaries<C, KV>(); });
      register_case(suite, "footprint", [] { footprint_policy<C, KV>(); });
      if constexpr (Compactable<C>) register_case(suite, "compact", [] { compact_shrinks<C, KV>(); });
      if constexpr (C::kThreadSafe) register_case(suite, "concurrent_stress", [] { concurrent_stress<C, KV>(); });
      if constexpr (Iterable<C>) register_iteration_cases<C, KV>(suite);
      if constexpr (ProbeIntrospectable<C>) register_case(suite, "probe_lengths", [] { probe_lengths<C, KV>(); });
    }
  });
  return true;
}

}  // namespace dstudy::conformance

#define DSTUDY_CONFORMANCE_CONCAT2(a, b) a##b
#define DSTUDY_CONFORMANCE_CONCAT(a, b) DSTUDY_CONFORMANCE_CONCAT2(a, b)
#define DSTUDY_REGISTER(name, Template, origin)                                           \
  static const bool DSTUDY_CONFORMANCE_CONCAT(dstudy_conformance_registered_, __LINE__) = \
      ::dstudy::conformance::register_suite<Template>(#name);
