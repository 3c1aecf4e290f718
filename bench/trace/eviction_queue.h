// The order a simulated cache evicts in (--eviction): a doubly linked list
// over key indices, oldest first. LRU moves a key to the back on every hit
// (and update); FIFO leaves it where its insert put it. 8 bytes per distinct
// key, nothing per request.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace dstudy::trace {

enum class Eviction : std::uint8_t { kLru, kFifo };
inline constexpr const char* kEvictionNames[] = {"lru", "fifo"};

inline std::optional<Eviction> parse_eviction(std::string_view name) {
  if (name == "lru") return Eviction::kLru;
  if (name == "fifo") return Eviction::kFifo;
  return std::nullopt;
}

class EvictionQueue {
 public:
  explicit EvictionQueue(Eviction policy) : policy_(policy) {}

  bool empty() const { return head_ == kNone; }
  std::uint32_t oldest() const { return head_; }  // the next victim; only when not empty

  // A key entering the cache.
  void push(std::uint32_t key) {
    grow(key);
    link_back(key);
  }
  // A hit or an update of a cached key.
  void touch(std::uint32_t key) {
    if (policy_ == Eviction::kFifo) return;
    unlink(key);
    link_back(key);
  }
  // A key leaving the cache (evicted, erased or expired).
  void remove(std::uint32_t key) { unlink(key); }

 private:
  static constexpr std::uint32_t kNone = std::numeric_limits<std::uint32_t>::max();
  void grow(std::uint32_t key) {
    if (key >= prev_.size()) prev_.resize(key + 1, kNone), next_.resize(key + 1, kNone);
  }
  void link_back(std::uint32_t key) {
    prev_[key] = tail_;
    next_[key] = kNone;
    (tail_ == kNone ? head_ : next_[tail_]) = key;
    tail_ = key;
  }
  void unlink(std::uint32_t key) {
    const std::uint32_t p = prev_[key], n = next_[key];
    (p == kNone ? head_ : next_[p]) = n;
    (n == kNone ? tail_ : prev_[n]) = p;
    prev_[key] = next_[key] = kNone;
  }

  Eviction policy_;
  std::vector<std::uint32_t> prev_, next_;
  std::uint32_t head_ = kNone, tail_ = kNone;
};

}  // namespace dstudy::trace
