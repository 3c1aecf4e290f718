// The converter's reference map: turns what a trace records (a get, a set, a
// delete of some key, at some time, maybe with a TTL) into the study's typed
// ops, whose type is the outcome a correct container must report. It keeps
// which keys are live, like a cache would; expired keys become erases at
// their expiry time, ordered before any later request.
//
// With a cache limit it is also a simulated cache of that capacity (in keys,
// or in bytes of recorded key + value sizes), evicting in the limit's order
// (eviction_queue.h): a miss that inserts, or a set of an absent key, first
// erases the oldest keys until the new one fits, each eviction an `erase` op
// in the stream, as a real cache would send its map. An object larger than
// the whole cache is not admitted (counted as rejected).
//
// Memory: one entry per distinct key (its index, state and recorded size,
// the key text itself, and 8 bytes of eviction order) plus about one heap
// entry per live key with a TTL; nothing per op.
#pragma once

#include <cstdint>
#include <optional>
#include <queue>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <absl/container/flat_hash_map.h>

#include "bench/trace/eviction_queue.h"
#include "bench/trace/trace_writer.h"

namespace dstudy::trace {

// What a trace asks for, before its outcome is known.
enum class Intent : std::uint8_t {
  kFind,         // lookup: find_hit or find_miss
  kSet,          // insert-or-assign: insert or update
  kErase,        // erase or erase_miss
  kGetOrInsert,  // a cache's get: find_hit, or find_miss followed by insert
};

struct Request {
  Intent intent = Intent::kFind;
  std::string_view key;                   // the trace's key, any bytes
  std::optional<std::uint32_t> key_size;  // bytes, when the trace records it
  std::uint32_t value_size = 0;
  std::optional<std::uint64_t> t_ns;  // when the trace recorded it
  std::uint64_t ttl_ns = 0;           // kSet: 0 = never expires (needs t_ns)
};

// A simulated cache's capacity; capacity 0: unbounded (keys leave only when
// the trace erases them or their TTL expires).
struct CacheLimit {
  std::uint64_t capacity = 0;
  bool bytes = false;  // capacity in bytes (recorded key size + value size), not keys
  Eviction eviction = Eviction::kLru;
};

class ReferenceReplay {
 public:
  explicit ReferenceReplay(TraceWriter& out, const CacheLimit& limit = {})
      : out_(out), limit_(limit), order_(limit.eviction) {}

  // Emits the request's op(s), after the erases of keys that expired at or
  // before its time. Timestamps must not decrease when TTLs are in use (the
  // reader checks, naming the line).
  void apply(const Request& r);

  // Writes the key table (and each key's recorded size, when every key had
  // one) and the header; the trace is complete.
  void finish() {
    out_.finish(states_.size(), peak_live_, live_, sized() ? key_sizes() : std::span<const std::uint32_t>{});
  }

  std::uint64_t expired() const { return expired_; }
  std::uint64_t evicted() const { return evicted_; }       // erases made for capacity
  std::uint64_t rejected() const { return rejected_; }     // objects larger than the cache
  std::uint64_t lookups() const { return lookups_; }       // finds and cache gets
  std::uint64_t misses() const { return misses_; }         // of those, the ones that missed
  bool recorded_bytes() const { return recorded_bytes_; }  // some request had a size
  std::uint64_t distinct_keys() const { return states_.size(); }
  std::uint64_t peak_live() const { return peak_live_; }
  // Each key's size as first recorded, by key index (0 where none was);
  // sized(): every key came with one (the trace file keeps them).
  std::span<const std::uint32_t> key_sizes() const { return key_sizes_; }
  bool sized() const { return all_sized_ && !key_sizes_.empty(); }

 private:
  struct KeyState {
    std::uint64_t expiry_ns = 0;  // 0: none
    std::uint64_t heap_at = 0;    // time of the key's earliest heap entry; 0: none
    std::uint64_t bytes = 0;      // a limited cache's charge for the key while live
    bool live = false;
  };
  std::uint32_t index_of(const Request& r);
  void expire_until(std::uint64_t t_ns);
  void emit(OpType type, std::uint32_t index, std::uint32_t value_size, std::optional<std::uint64_t> t_ns);
  void set_live(KeyState& s, bool live);
  void schedule(KeyState& s, std::uint32_t index);  // a heap entry at s.expiry_ns unless one is due earlier
  bool limited() const { return limit_.capacity != 0; }
  std::uint64_t charge(const Request& r) const;
  // Evicts the oldest keys until `bytes` more fit, then enters the key;
  // false (nothing evicted) when it can never fit.
  bool admit(KeyState& s, std::uint32_t index, std::uint64_t bytes, std::optional<std::uint64_t> t_ns);
  void leave(KeyState& s, std::uint32_t index);  // the key is no longer live
  void hit(std::uint32_t index);

  TraceWriter& out_;
  absl::flat_hash_map<std::string, std::uint32_t> index_;
  std::vector<KeyState> states_;
  std::vector<std::uint32_t> key_sizes_;                   // by key index, parallel to states_
  bool all_sized_ = true;                                  // every key came with its size
  using Expiry = std::pair<std::uint64_t, std::uint32_t>;  // (time ns, key index)
  std::priority_queue<Expiry, std::vector<Expiry>, std::greater<>> expiries_;
  CacheLimit limit_;
  EvictionQueue order_;
  std::uint64_t used_bytes_ = 0;
  std::uint64_t live_ = 0, peak_live_ = 0, expired_ = 0;
  std::uint64_t evicted_ = 0, rejected_ = 0, lookups_ = 0, misses_ = 0;
  bool recorded_bytes_ = false;
};

}  // namespace dstudy::trace
