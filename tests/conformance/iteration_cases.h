// Conformance of the optional iteration (container.h, Iterable), against
// std::unordered_map as the oracle. Included by conformance_suite.h after
// Differential and register_case; registered for every container that
// models Iterable:
//
//   <name>/<kind>.iteration_live_set    for_each visits every live key exactly
//                                       once, with its value, after random
//                                       churn, after a 90% drain (tombstones,
//                                       dead slots) and when empty
//   <name>/<kind>.iteration_erase_first erase_first() + insert loop: each call
//                                       erases the key for_each visits first
//   <name>/<kind>.iteration_erase_next  erase_next() while inserting: each
//                                       call erases the key its cursor
//                                       promises (the successor, in the
//                                       container's order at the time, of the
//                                       key it erased before; else the first)
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <random>
#include <string>
#include <unordered_map>
#include <vector>

#include "impls/core/container.h"
#include "impls/core/hash.h"

namespace dstudy::conformance {

// The container's keys in its iteration order; fails the test on a key
// visited twice, a key not live or a wrong value, or a live key not visited.
template <class C, class KV>
std::vector<typename KV::key_type> checked_order(Differential<C, KV>& d) {
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;
  const auto& ref = d.reference();
  std::vector<K> order;
  std::unordered_map<K, int, Hash<K>> seen;
  d.container().for_each([&](const K& k, const V& v) {
    order.push_back(k);
    ++seen[k];
    const auto it = ref.find(k);
    EXPECT_TRUE(it != ref.end()) << "for_each visited a key that is not live";
    if (it != ref.end()) {
      EXPECT_EQ(KV::digest(v), it->second) << "for_each passed the wrong value";
    }
  });
  for (const auto& [k, n] : seen) {
    EXPECT_EQ(n, 1) << "for_each visited a key " << n << " times";
  }
  EXPECT_EQ(order.size(), ref.size()) << "for_each must visit every live key once";
  return order;
}

template <class C, class KV>
void iteration_live_set() {
  Differential<C, KV> d;
  std::mt19937_64 rng(0x17E8);
  constexpr std::uint64_t kKeys = 6000;
  ASSERT_TRUE(checked_order(d).empty());
  for (std::uint64_t k = 0; k < kKeys; ++k) d.insert(mix64(k), k);
  for (int i = 0; i < 4000; ++i) {  // churn over a universe twice the live set
    const std::uint64_t key = mix64(rng() % (2 * kKeys));
    if (rng() % 2) d.insert(key, rng());
    else d.erase(key);
  }
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  checked_order(d);
  // 90% drain: tombstones and dead slots everywhere, few live keys
  std::vector<typename KV::key_type> live;
  for (const auto& [k, digest] : d.reference()) live.push_back(k);
  std::shuffle(live.begin(), live.end(), rng);
  const std::size_t ninety = live.size() * 9 / 10;
  for (std::size_t i = 0; i < ninety; ++i) d.erase_key(live[i]);
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  checked_order(d);
  for (std::size_t i = ninety; i < live.size(); ++i) d.erase_key(live[i]);
  ASSERT_TRUE(checked_order(d).empty());
  d.insert(1, 1);
  EXPECT_EQ(checked_order(d).size(), 1u);
}

// One key erased by the container itself: it must be `expected`, and only it.
template <class C, class KV>
void expect_erased(Differential<C, KV>& d, const typename KV::key_type& expected, bool erased, std::size_t before) {
  ASSERT_TRUE(erased) << "erase on a non-empty container returned false";
  ASSERT_FALSE(d.container().find(expected, ValueProbe<typename KV::mapped_type>{}))
      << "the erase did not remove the key iteration promised";
  ASSERT_NO_FATAL_FAILURE(d.forget(expected));
  ASSERT_EQ(d.container().size(), before - 1) << "the erase removed more than one key";
}

// Erase whatever the container yields while inserting fresh keys, checking
// each erase against the key the oracle predicts, and the whole set now and
// then. `next` says which call: erase_next (true) or erase_first (false).
template <class C, class KV>
void erase_while_inserting(bool next) {
  using K = typename KV::key_type;
  Differential<C, KV> d;
  std::mt19937_64 rng(next ? 0xE7A5E : 0xF1257);
  constexpr std::uint64_t kLive = 500;
  std::uint64_t fresh = 0;
  for (; fresh < kLive; ++fresh) d.insert(mix64(fresh), fresh);
  std::optional<K> cursor;  // the oracle's copy of erase_next's cursor
  auto erase_one = [&] {
    std::vector<K> order;  // the container's order now (checked_order checks it every 256 ops)
    d.container().for_each([&](const K& k, const typename KV::mapped_type&) { order.push_back(k); });
    if (order.empty()) return;
    K expected = order.front();
    if (next && cursor && d.reference().count(*cursor)) expected = *cursor;
    const auto at = std::find(order.begin(), order.end(), expected);
    if (next) cursor = at + 1 == order.end() ? std::nullopt : std::optional<K>(*(at + 1));
    const std::size_t before = d.container().size();
    const bool erased = next ? d.container().erase_next() : d.container().erase_first();
    expect_erased(d, expected, erased, before);
  };
  for (int i = 0; i < 1500 && !::testing::Test::HasFailure(); ++i) {
    const std::uint64_t r = rng() % 8;
    if (r < 3) {  // net drain: 3 inserts per 5 erases
      d.insert(mix64(fresh), fresh);
      ++fresh;
    } else {
      erase_one();
    }
    if (i % 256 == 0) {
      ASSERT_NO_FATAL_FAILURE(d.check_all());
      checked_order(d);
    }
  }
  while (d.live() > 0 && !::testing::Test::HasFailure()) erase_one();  // drain to empty
  ASSERT_NO_FATAL_FAILURE(d.check_all());
  EXPECT_FALSE(next ? d.container().erase_next() : d.container().erase_first()) << "erase on empty must return false";
  d.insert(5, 5);  // usable after: the cursor starts again
  ASSERT_TRUE(next ? d.container().erase_next() : d.container().erase_first());
  d.forget(KV::make_key(5));
  EXPECT_EQ(d.container().size(), 0u);
}

template <class C, class KV>
void register_iteration_cases(const std::string& suite) {
  register_case(suite, "iteration_live_set", [] { iteration_live_set<C, KV>(); });
  register_case(suite, "iteration_erase_first", [] { erase_while_inserting<C, KV>(false); });
  register_case(suite, "iteration_erase_next", [] { erase_while_inserting<C, KV>(true); });
}

}  // namespace dstudy::conformance
