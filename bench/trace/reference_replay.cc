#include "bench/trace/reference_replay.h"

#include <limits>

#include "bench/trace/trace_error.h"
#include "bench/workload/stream_generator.h"

namespace dstudy::trace {

// A key's recorded size is the one its first request gives.
std::uint32_t ReferenceReplay::index_of(const Request& r) {
  auto [it, fresh] = index_.try_emplace(std::string(r.key), static_cast<std::uint32_t>(states_.size()));
  if (fresh) {
    if (states_.size() >= std::numeric_limits<std::uint32_t>::max())
      throw TraceError("trace has more than 2^32 - 1 distinct keys");
    states_.emplace_back();
    key_sizes_.push_back(r.key_size.value_or(0));
    all_sized_ = all_sized_ && r.key_size.has_value();
  }
  return it->second;
}

void ReferenceReplay::emit(OpType type, std::uint32_t index, std::uint32_t value_size,
                           std::optional<std::uint64_t> t_ns) {
  const Operation op{workload_detail::key_seed_of(index, KeyEncoding::kHashed), index, type};
  out_.add(op, value_size, t_ns);
}

void ReferenceReplay::set_live(KeyState& s, bool live) {
  if (s.live == live) return;
  s.live = live;
  if (live) {
    if (++live_ > peak_live_) peak_live_ = live_;
  } else {
    --live_;
    s.expiry_ns = 0;
  }
}

// Keys whose expiry is at or before t_ns are erased, oldest expiry first, each
// stamped with its expiry time. A key keeps one heap entry at or before its
// expiry (heap_at): a key set again with a later expiry is pushed back at
// that expiry when its entry comes up, and only a shorter TTL adds a second
// entry (the later one is skipped as stale). So the heap stays about as large
// as the live keys with a TTL, however often they are set.
void ReferenceReplay::expire_until(std::uint64_t t_ns) {
  while (!expiries_.empty() && expiries_.top().first <= t_ns) {
    const auto [at, index] = expiries_.top();
    expiries_.pop();
    KeyState& s = states_[index];
    if (at != s.heap_at) continue;  // stale: the key has an earlier entry, already handled
    s.heap_at = 0;
    if (!s.live || s.expiry_ns == 0) continue;
    if (s.expiry_ns > at) {
      schedule(s, index);
      continue;
    }
    emit(OpType::kErase, index, 0, at);
    leave(s, index);
    ++expired_;
  }
}

void ReferenceReplay::schedule(KeyState& s, std::uint32_t index) {
  if (s.heap_at != 0 && s.heap_at <= s.expiry_ns) return;
  expiries_.emplace(s.expiry_ns, index);
  s.heap_at = s.expiry_ns;
}

// What a key costs a cache limited in bytes: its recorded sizes (the key's
// size where the trace records one; libCacheSim's traces record the object's
// size alone).
std::uint64_t ReferenceReplay::charge(const Request& r) const {
  return limit_.bytes ? std::uint64_t{r.value_size} + r.key_size.value_or(0) : 1;
}

bool ReferenceReplay::admit(KeyState& s, std::uint32_t index, std::uint64_t bytes, std::optional<std::uint64_t> t_ns) {
  if (!limited()) return true;
  const std::uint64_t capacity = limit_.capacity;
  if (bytes > capacity) return false;
  while (!order_.empty() && (limit_.bytes ? used_bytes_ + bytes > capacity : live_ + 1 > capacity)) {
    const std::uint32_t victim = order_.oldest();
    emit(OpType::kErase, victim, 0, t_ns);
    leave(states_[victim], victim);
    ++evicted_;
  }
  order_.push(index);
  s.bytes = bytes;
  used_bytes_ += bytes;
  return true;
}

void ReferenceReplay::leave(KeyState& s, std::uint32_t index) {
  if (limited() && s.live) {
    order_.remove(index);
    used_bytes_ -= s.bytes;
    s.bytes = 0;
  }
  set_live(s, false);
}

void ReferenceReplay::hit(std::uint32_t index) {
  if (limited()) order_.touch(index);
}

void ReferenceReplay::apply(const Request& r) {
  if (r.t_ns) expire_until(*r.t_ns);
  const std::uint32_t index = index_of(r);
  KeyState& s = states_[index];
  recorded_bytes_ = recorded_bytes_ || r.value_size != 0 || r.key_size.value_or(0) != 0;
  switch (r.intent) {
    case Intent::kFind:
      ++lookups_;
      if (s.live) {
        emit(OpType::kFindHit, index, r.value_size, r.t_ns);
        hit(index);
      } else {
        emit(OpType::kFindMiss, index, r.value_size, r.t_ns);
        ++misses_;
      }
      break;
    case Intent::kGetOrInsert:
      ++lookups_;
      if (s.live) {
        emit(OpType::kFindHit, index, r.value_size, r.t_ns);
        hit(index);
        break;
      }
      ++misses_;
      emit(OpType::kFindMiss, index, r.value_size, r.t_ns);
      if (!admit(s, index, charge(r), r.t_ns)) {
        ++rejected_;
        break;
      }
      emit(OpType::kInsert, index, r.value_size, r.t_ns);
      set_live(s, true);
      break;
    case Intent::kSet: {
      const std::uint64_t bytes = charge(r);
      if (s.live && limited() && bytes != s.bytes) {
        // A cached key stored again at another size is a new item to the
        // cache: it enters the eviction order anew, and may not fit at all.
        order_.remove(index);
        used_bytes_ -= s.bytes;
        if (!admit(s, index, bytes, r.t_ns)) {
          s.bytes = 0;
          emit(OpType::kErase, index, 0, r.t_ns);
          set_live(s, false);
          ++rejected_;
          break;
        }
        emit(OpType::kUpdate, index, r.value_size, r.t_ns);
      } else if (s.live) {
        emit(OpType::kUpdate, index, r.value_size, r.t_ns);
        hit(index);
      } else {
        if (!admit(s, index, bytes, r.t_ns)) {
          ++rejected_;
          break;
        }
        emit(OpType::kInsert, index, r.value_size, r.t_ns);
        set_live(s, true);
      }
      s.expiry_ns = r.ttl_ns && r.t_ns ? *r.t_ns + r.ttl_ns : 0;
      if (s.expiry_ns) schedule(s, index);
      break;
    }
    case Intent::kErase:
      emit(s.live ? OpType::kErase : OpType::kEraseMiss, index, r.value_size, r.t_ns);
      leave(s, index);
      break;
  }
}

}  // namespace dstudy::trace
