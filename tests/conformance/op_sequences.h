// Operation sequences the conformance suite replays against a container and
// against std::unordered_map side by side. Each shape stresses one way a
// container can get deletes wrong: order (FIFO, LIFO, random), mass erase and
// reinsertion, shrinking across growth boundaries, missing keys, and the same
// key erased and reinserted.
//
// Keys and values are seeds; KvKind::make_key/make_value turn them into the
// real types. Sequences are deterministic from their seed.
#pragma once

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "impls/core/hash.h"

namespace dstudy::conformance {

enum class OpKind : std::uint8_t { kInsert, kErase, kFind };

struct Op {
  OpKind kind;
  std::uint64_t key;    // key seed
  std::uint64_t value;  // value seed (inserts)
};

struct Shape {
  const char* name;
  std::vector<Op> (*make)(std::uint64_t seed);
};

namespace detail {

// Builds a sequence while tracking the live keys, so shapes can pick victims.
class SequenceBuilder {
 public:
  explicit SequenceBuilder(std::uint64_t seed) : rng_(seed) {}

  std::uint64_t random_key(std::uint64_t universe) { return mix64(rng_() % universe); }
  std::uint64_t below(std::uint64_t n) { return rng_() % n; }

  void insert(std::uint64_t key) { ops_.push_back({OpKind::kInsert, key, rng_()}); }
  void erase(std::uint64_t key) { ops_.push_back({OpKind::kErase, key, 0}); }
  void find(std::uint64_t key) { ops_.push_back({OpKind::kFind, key, 0}); }

  std::vector<Op> take() { return std::move(ops_); }

 private:
  std::mt19937_64 rng_;
  std::vector<Op> ops_;
};

}  // namespace detail

// Random mix over a key universe twice the live size: inserts of present
// keys, erases of missing keys and finds of both happen all the time.
inline std::vector<Op> uniform_random(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  for (int i = 0; i < 200000; ++i) {
    const std::uint64_t key = b.random_key(16384);
    const std::uint64_t r = b.below(10);
    if (r < 4) b.insert(key);
    else if (r < 7) b.erase(key);
    else b.find(key);
  }
  return b.take();
}

// Keys expire oldest first at a lag that wanders (TTL caches, timer wheels).
inline std::vector<Op> fifo_deletes(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  std::deque<std::uint64_t> live;
  std::uint64_t next = 0;
  std::uint64_t window = 1000;
  for (int i = 0; i < 60000; ++i) {
    if (i % 5000 == 0) window = 1 + b.below(8000);
    const std::uint64_t key = mix64(next++);
    b.insert(key);
    live.push_back(key);
    while (live.size() > window) {
      b.erase(live.front());
      b.find(live.front());  // just erased: must miss
      live.pop_front();
    }
    b.find(live[b.below(live.size())]);
  }
  return b.take();
}

// Youngest first: a stack that grows and shrinks (recent-order cancels).
inline std::vector<Op> lifo_deletes(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  std::vector<std::uint64_t> stack;
  std::uint64_t next = 1u << 30;
  for (int i = 0; i < 150000; ++i) {
    const bool grow = stack.empty() || b.below(100) < (stack.size() < 5000 ? 55u : 45u);
    if (grow) {
      stack.push_back(next++);  // sequential keys: adversarial for sorted containers
      b.insert(stack.back());
    } else {
      b.erase(stack.back());
      stack.pop_back();
    }
    if (!stack.empty()) b.find(stack[b.below(stack.size())]);
  }
  return b.take();
}

// Fill, erase every key in random order, refill with the same keys.
inline std::vector<Op> delete_all_then_reinsert(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  std::vector<std::uint64_t> keys(12000);
  for (std::size_t i = 0; i < keys.size(); ++i) keys[i] = b.random_key(~std::uint64_t{0});
  std::mt19937_64 shuffle_rng(seed);
  for (int round = 0; round < 4; ++round) {
    for (auto k : keys) b.insert(k);
    std::shuffle(keys.begin(), keys.end(), shuffle_rng);
    for (auto k : keys) {
      b.erase(k);
      b.find(k);
    }
  }
  for (auto k : keys) b.insert(k);
  for (auto k : keys) b.find(k);
  return b.take();
}

// Grow to 20k keys, shrink to 1% (200), grow back, twice.
inline std::vector<Op> grow_shrink(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  std::vector<std::uint64_t> live;
  std::uint64_t next = 0;
  for (int cycle = 0; cycle < 2; ++cycle) {
    while (live.size() < 20000) {
      live.push_back(mix64(next++ + 0x5555));
      b.insert(live.back());
    }
    while (live.size() > 200) {
      const std::size_t i = b.below(live.size());
      b.erase(live[i]);
      b.find(live[i]);
      live[i] = live.back();
      live.pop_back();
    }
    for (auto k : live) b.find(k);
  }
  return b.take();
}

// Erases and finds of keys that were never there, between real inserts.
inline std::vector<Op> erase_missing(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  for (int i = 0; i < 50000; ++i) {
    b.insert(mix64(2 * static_cast<std::uint64_t>(i)));
    const std::uint64_t missing = mix64(2 * b.below(100000) + 1);
    b.erase(missing);
    b.find(missing);
  }
  return b.take();
}

// Erase a live key and put it straight back (tombstone reuse), Zipf-ish hot
// keys included by drawing from a small universe half the time.
inline std::vector<Op> reinsert_erased(std::uint64_t seed) {
  detail::SequenceBuilder b(seed);
  for (int i = 0; i < 5000; ++i) b.insert(mix64(i));
  for (int i = 0; i < 60000; ++i) {
    const std::uint64_t key = mix64(b.below(2) ? b.below(64) : b.below(5000));
    b.erase(key);
    b.insert(key);
    b.find(key);
  }
  return b.take();
}

inline const std::vector<Shape>& all_shapes() {
  static const std::vector<Shape> shapes = {
      {"uniform_random", uniform_random},   {"fifo_deletes", fifo_deletes},
      {"lifo_deletes", lifo_deletes},       {"delete_all_then_reinsert", delete_all_then_reinsert},
      {"grow_shrink_to_1pct", grow_shrink}, {"erase_missing", erase_missing},
      {"reinsert_erased", reinsert_erased},
  };
  return shapes;
}

}  // namespace dstudy::conformance
