// The conformance suite can fail: its functions, run on deliberately broken
// containers, must report each bug, and must report nothing on a correct
// one. The broken containers are never registered (DSTUDY_REGISTER is not
// used here); the suite's functions are called directly.
//
// Failures are intercepted with gtest-spi, so they do not fail this test.
// Where the suite reports a bug exactly once, EXPECT_FATAL_FAILURE /
// EXPECT_NONFATAL_FAILURE pin the failure and its message. Where a bug
// spreads (a differential run keeps diverging once the container is wrong),
// capture() collects every failure and the test asserts at least one, of the
// expected kind. Under interception gtest's HasFatalFailure() does not see
// the intercepted failures, so the suite's early returns do not fire there:
// those runs go on to the end of their sequence and report more than once.
#include <gtest/gtest-spi.h>
#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "impls/core/counting_allocator.h"
#include "impls/core/hash.h"
#include "impls/core/map_adapter.h"
#include "impls/core/value_types.h"
#include "tests/conformance/conformance_suite.h"

namespace {

using dstudy::ByteCounter;
using dstudy::CountingAllocator;
using dstudy::Footprint;
using dstudy::KvString;
using dstudy::KvU64;
namespace conformance = dstudy::conformance;

enum class Bug {
  kNone,
  kForgetsEveryThousandthErase,  // says it erased, keeps the key
  kStaleValueAfterReinsert,      // a reinserted key finds its erased value
  kGrowsOnErase,                 // never frees an erased entry, logs every erase
  kDropsKeyAtGrowth,             // loses the key inserted at size 1024
};

// A map over std::unordered_map with one bug. Erased entries stay as dead
// nodes where the bug needs them (stale values, growth on erase).
template <Bug kBug>
struct Broken {
  template <class K, class V>
  class Map {
   public:
    using key_type = K;
    using mapped_type = V;
    static constexpr bool kThreadSafe = false;
    static constexpr bool kOrdered = false;
    static constexpr bool kReturnsMemory = false;

    Map() : map_(Alloc(&counter_)), log_(CountingAllocator<K>(&counter_)) {}

    bool insert(const K& key, V&& value) {
      auto [it, fresh] = map_.try_emplace(key);
      Entry& e = it->second;
      if (!fresh && e.live) return false;
      if (kBug == Bug::kDropsKeyAtGrowth && live_ == 1024) {
        map_.erase(it);
        ++live_;  // counted, never stored
        return true;
      }
      // The stale bug revives a dead entry with the value it died with.
      if (fresh || kBug != Bug::kStaleValueAfterReinsert) e.value = std::move(value);
      e.live = true;
      ++live_;
      return true;
    }

    bool erase(const K& key) {
      const auto it = map_.find(key);
      if (it == map_.end() || !it->second.live) return false;
      if (kBug == Bug::kForgetsEveryThousandthErase && ++erases_ % 1000 == 0) return true;
      --live_;
      if constexpr (kBug == Bug::kStaleValueAfterReinsert || kBug == Bug::kGrowsOnErase) {
        it->second.live = false;
        if constexpr (kBug == Bug::kGrowsOnErase) log_.push_back(key);
      } else {
        map_.erase(it);
      }
      return true;
    }

    template <class F>
    bool find(const K& key, F&& on_found) const {
      const auto it = map_.find(key);
      if (it == map_.end() || !it->second.live) return false;
      on_found(it->second.value);
      return true;
    }

    std::size_t size() const { return live_; }

    Footprint footprint() const {
      Footprint f;
      f.bytes = counter_.bytes();
      return f;
    }

   private:
    struct Entry {
      V value{};
      bool live = false;
    };
    using Alloc = CountingAllocator<std::pair<const K, Entry>>;

    ByteCounter counter_;  // first: the allocators below point at it
    std::unordered_map<K, Entry, dstudy::Hash<K>, std::equal_to<K>, Alloc> map_;
    std::vector<K, CountingAllocator<K>> log_;
    std::size_t live_ = 0;
    std::size_t erases_ = 0;
  };
};

template <class K, class V>
using Correct = Broken<Bug::kNone>::Map<K, V>;
template <class K, class V>
using ForgetsErase = Broken<Bug::kForgetsEveryThousandthErase>::Map<K, V>;
template <class K, class V>
using StaleAfterReinsert = Broken<Bug::kStaleValueAfterReinsert>::Map<K, V>;
template <class K, class V>
using GrowsOnErase = Broken<Bug::kGrowsOnErase>::Map<K, V>;
template <class K, class V>
using DropsKeyAtGrowth = Broken<Bug::kDropsKeyAtGrowth>::Map<K, V>;
// A correct flat map whose author believed erase shrinks it: absl keeps its
// whole slot array after erasing everything.
template <class K, class V>
using ClaimsToReturnMemory = dstudy::MapAdapter<
    absl::flat_hash_map<K, V, dstudy::Hash<K>, std::equal_to<K>, CountingAllocator<std::pair<const K, V>>>,
    dstudy::PeerTraits{.returns_memory = true}>;

static_assert(dstudy::require_study_container<ForgetsErase<std::uint64_t, std::uint64_t>>());

// Every failure the body reports, intercepted so that this test does not
// fail because of it.
using Failures = std::vector<::testing::TestPartResult>;

template <class Body>
Failures capture(Body body) {
  ::testing::TestPartResultArray results;
  {
    ::testing::ScopedFakeTestPartResultReporter reporter(
        ::testing::ScopedFakeTestPartResultReporter::INTERCEPT_ONLY_CURRENT_THREAD, &results);
    body();
  }
  Failures failures;
  for (int i = 0; i < results.size(); ++i) failures.push_back(results.GetTestPartResult(i));
  return failures;
}

int count_fatal(const Failures& failures) {
  int n = 0;
  for (const auto& f : failures) n += f.fatally_failed();
  return n;
}

bool any_message_contains(const Failures& failures, const std::string& text) {
  for (const auto& f : failures) {
    if (std::string(f.message()).find(text) != std::string::npos) return true;
  }
  return false;
}

const conformance::Shape& shape_named(const std::string& name) {
  for (const auto& shape : conformance::all_shapes()) {
    if (name == shape.name) return shape;
  }
  ADD_FAILURE() << "no shape " << name;
  return conformance::all_shapes().front();
}

// --- the control: a correct container passes every function ---------------

TEST(SuiteSelftest, CorrectContainerPassesEveryFunction) {
  const auto results = capture([] {
    for (const auto& shape : conformance::all_shapes())
      conformance::run_shape<Correct<std::uint64_t, std::uint64_t>, KvU64>(shape, 1);
    conformance::run_shape<Correct<std::string, std::string>, KvString>(shape_named("uniform_random"), 1);
    conformance::edge_cases<Correct<std::uint64_t, std::uint64_t>, KvU64>();
    conformance::same_key_churn<Correct<std::uint64_t, std::uint64_t>, KvU64>();
    conformance::growth_boundaries<Correct<std::uint64_t, std::uint64_t>, KvU64>();
    conformance::footprint_policy<Correct<std::uint64_t, std::uint64_t>, KvU64>();
  });
  EXPECT_EQ(results.size(), 0u) << "the suite failed a correct container: the broken cases below prove nothing";
  for (std::size_t i = 0; i < results.size() && i < 5; ++i) ADD_FAILURE() << results[i].message();
}

// --- erase that forgets every 1000th key ----------------------------------

TEST(SuiteSelftest, DifferentialCatchesForgottenErase) {
  // Every shape that erases more than 1000 keys must notice.
  for (const char* name : {"uniform_random", "fifo_deletes", "lifo_deletes", "delete_all_then_reinsert",
                           "grow_shrink_to_1pct", "reinsert_erased"}) {
    const conformance::Shape& shape = shape_named(name);
    const auto results =
        capture([&shape] { conformance::run_shape<ForgetsErase<std::uint64_t, std::uint64_t>, KvU64>(shape, 1); });
    EXPECT_GT(count_fatal(results), 0) << name << " missed an erase that leaves its key behind";
  }
}

// --- find returns the erased value after a reinsert -----------------------

static void edge_cases_on_stale_u64() {
  conformance::edge_cases<StaleAfterReinsert<std::uint64_t, std::uint64_t>, KvU64>();
}
static void edge_cases_on_stale_string() {
  conformance::edge_cases<StaleAfterReinsert<std::string, std::string>, KvString>();
}

TEST(SuiteSelftest, EdgeCasesCatchStaleValueAfterReinsert) {
  // Exactly one failure: the find right after the reinsert.
  EXPECT_FATAL_FAILURE(edge_cases_on_stale_u64(), "find returned the wrong value");
  EXPECT_FATAL_FAILURE(edge_cases_on_stale_string(), "find returned the wrong value");
}

TEST(SuiteSelftest, DifferentialCatchesStaleValueAfterReinsert) {
  const auto results = capture([] {
    conformance::run_shape<StaleAfterReinsert<std::uint64_t, std::uint64_t>, KvU64>(shape_named("reinsert_erased"), 1);
  });
  EXPECT_GT(count_fatal(results), 0);
  EXPECT_TRUE(any_message_contains(results, "find returned the wrong value"));
}

// --- footprint that grows on every erase ----------------------------------

static void footprint_policy_on_growing() {
  conformance::footprint_policy<GrowsOnErase<std::uint64_t, std::uint64_t>, KvU64>();
}
static void same_key_churn_on_growing() {
  conformance::same_key_churn<GrowsOnErase<std::uint64_t, std::uint64_t>, KvU64>();
}

TEST(SuiteSelftest, FootprintPolicyCatchesGrowthOnErase) {
  EXPECT_NONFATAL_FAILURE(footprint_policy_on_growing(), "erasing must never grow the footprint");
}

TEST(SuiteSelftest, SameKeyChurnCatchesGrowthOnErase) {
  EXPECT_NONFATAL_FAILURE(same_key_churn_on_growing(), "footprint grew under same-key churn");
}

// --- a false kReturnsMemory promise ---------------------------------------

static void footprint_policy_on_false_promise() {
  conformance::footprint_policy<ClaimsToReturnMemory<std::uint64_t, std::uint64_t>, KvU64>();
}

TEST(SuiteSelftest, FootprintPolicyCatchesFalseReturnsMemoryPromise) {
  EXPECT_NONFATAL_FAILURE(footprint_policy_on_false_promise(), "promises to return memory");
}

// --- a key lost at a growth boundary --------------------------------------

TEST(SuiteSelftest, GrowthBoundariesCatchKeyLostAtGrowth) {
  const auto results =
      capture([] { conformance::growth_boundaries<DropsKeyAtGrowth<std::uint64_t, std::uint64_t>, KvU64>(); });
  EXPECT_GT(count_fatal(results), 0) << "growth_boundaries missed a key lost at size 1024";
}

}  // namespace
