// Containers the harness tests measure: a correct one, one that leaks on
// purpose, one that stalls on every 1000th erase, one that stalls once at a
// known op, one that records when each op starts, and one that lies about
// its outcomes. They meet the study concept and are never registered.
#pragma once

#include <chrono>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "impls/core/footprint.h"

namespace dstudy::harness_test {

template <class K, class V>
class PlainMap {
 public:
  using key_type = K;
  using mapped_type = V;
  static constexpr bool kThreadSafe = false;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = false;

  bool insert(const K& k, V&& v) { return map_.try_emplace(k, std::move(v)).second; }
  bool erase(const K& k) { return map_.erase(k) != 0; }
  template <class F>
  bool find(const K& k, F&& f) const {
    auto it = map_.find(k);
    if (it == map_.end()) return false;
    f(it->second);
    return true;
  }
  std::size_t size() const { return map_.size(); }
  Footprint footprint() const {
    Footprint f;
    f.bytes = map_.size() * (sizeof(K) + sizeof(V) + 2 * sizeof(void*)) + map_.bucket_count() * sizeof(void*);
    f.capacity = map_.bucket_count();
    f.max_load = map_.max_load_factor();
    return f;
  }

 protected:
  std::unordered_map<K, V> map_;
};

// Keeps every erased entry allocated (a 64-byte block each): memory grows
// with every erase although the live set stays constant.
template <class K, class V>
class LeakyMap : public PlainMap<K, V> {
 public:
  bool erase(const K& k) {
    if (this->map_.erase(k) == 0) return false;
    graveyard_.push_back(new char[64]);
    return true;
  }
  ~LeakyMap() {
    for (char* p : graveyard_) delete[] p;
  }

 private:
  std::vector<char*> graveyard_;
};

// Busy-waits ~20 us on every 1000th erase (the 0th, 1000th, ...).
template <class K, class V>
class StallingMap : public PlainMap<K, V> {
 public:
  bool erase(const K& k) {
    if (erases_++ % 1000 == 0) {
      const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(20);
      while (std::chrono::steady_clock::now() < until) {
      }
    }
    return PlainMap<K, V>::erase(k);
  }

 private:
  std::uint64_t erases_ = 0;
};

// Busy-waits kStall in its kAt-th operation of any type (0-based: the
// stream's op kAt when the container is fresh).
template <class K, class V>
class StallOnceMap : public PlainMap<K, V> {
 public:
  static constexpr std::uint64_t kAt = 17000;
  static constexpr auto kStall = std::chrono::milliseconds(1);
  bool insert(const K& k, V&& v) {
    tick();
    return PlainMap<K, V>::insert(k, std::move(v));
  }
  bool erase(const K& k) {
    tick();
    return PlainMap<K, V>::erase(k);
  }
  template <class F>
  bool find(const K& k, F&& f) {
    tick();
    return PlainMap<K, V>::find(k, std::forward<F>(f));
  }

 private:
  void tick() {
    if (ops_++ != kAt) return;
    const auto until = std::chrono::steady_clock::now() + kStall;
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  std::uint64_t ops_ = 0;
};

// Notes the steady_clock time at which each op reaches it (ns), in order.
template <class K, class V>
class StartRecordingMap : public PlainMap<K, V> {
 public:
  bool insert(const K& k, V&& v) {
    note();
    return PlainMap<K, V>::insert(k, std::move(v));
  }
  bool erase(const K& k) {
    note();
    return PlainMap<K, V>::erase(k);
  }
  template <class F>
  bool find(const K& k, F&& f) {
    note();
    return PlainMap<K, V>::find(k, std::forward<F>(f));
  }
  const std::vector<std::int64_t>& starts() const { return starts_; }

 private:
  void note() { starts_.push_back(std::chrono::steady_clock::now().time_since_epoch().count()); }
  std::vector<std::int64_t> starts_;
};

// Loses every 100th insert (claims success, stores nothing).
template <class K, class V>
class LossyMap : public PlainMap<K, V> {
 public:
  bool insert(const K& k, V&& v) {
    if (++inserts_ % 100 == 0) return true;
    return PlainMap<K, V>::insert(k, std::move(v));
  }

 private:
  std::uint64_t inserts_ = 0;
};

// Slow (~1 us per op) in the first instance a process ever creates, fast in
// every later one: a container whose speed depends on what ran before it in
// the same process. Repetitions that share a process would show one slow
// first pass; independent ones show it in every repetition.
template <class K, class V>
class FirstInstanceSlowMap : public PlainMap<K, V> {
 public:
  FirstInstanceSlowMap() : slow_(instances()++ == 0) {}
  bool insert(const K& k, V&& v) {
    pause();
    return PlainMap<K, V>::insert(k, std::move(v));
  }
  bool erase(const K& k) {
    pause();
    return PlainMap<K, V>::erase(k);
  }

 private:
  static int& instances() {
    static int n = 0;
    return n;
  }
  void pause() const {
    if (!slow_) return;
    const auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(1);
    while (std::chrono::steady_clock::now() < until) {
    }
  }
  bool slow_;
};

}  // namespace dstudy::harness_test
