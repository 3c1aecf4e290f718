// The keys and values of a stream, made before anything is timed.
//
// A stream names keys by index (Operation::key_index) and seed
// (Operation::key_seed). For integer keys the op loop makes the key from the
// seed inline, which costs nothing; string keys and string values are built
// here once, so no timed op pays for building a std::string it did not ask
// for. Alongside: each key's live payload and element-heap bytes (what the
// memory recorder adds up), and the checksum a correct run must reach.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

#include "bench/workload/operation_stream.h"

namespace dstudy::bench {

template <class KV>
class StreamKeys {
 public:
  using K = typename KV::key_type;
  using V = typename KV::mapped_type;
  static constexpr bool kStringKeys = std::is_same_v<K, std::string>;
  static constexpr bool kValuePrototypes = std::is_same_v<V, std::string>;
  static constexpr bool kPerKeySizes = kStringKeys || kValuePrototypes;

  // Builds keys, value prototypes and per-key sizes for `stream`, and
  // returns the expected checksum: the digest of the value stored under
  // each key (always the one made from its seed) summed over every find_hit.
  std::uint64_t materialise(const OperationStream& stream) {
    const std::size_t distinct = stream.key_seeds.size();
    if constexpr (kStringKeys) {
      keys_.clear();
      keys_.reserve(distinct);
      // A trace that recorded key sizes gets string keys of those sizes.
      for (std::size_t i = 0; i < distinct; ++i)
        keys_.push_back(stream.key_sizes.empty() ? KV::make_key(stream.key_seeds[i])
                                                 : KV::make_key(stream.key_seeds[i], stream.key_sizes[i]));
    }
    if constexpr (kValuePrototypes) {
      values_.clear();
      values_.reserve(distinct);
      for (std::uint64_t seed : stream.key_seeds) values_.push_back(KV::make_value(seed));
    }
    if constexpr (kPerKeySizes) {
      payload_.assign(distinct, 0);
      heap_.assign(distinct, 0);
      for (std::size_t i = 0; i < distinct; ++i) {
        const K k = key_of(stream, i);
        const V v = value_of(stream, i);
        payload_[i] = static_cast<std::uint32_t>(KV::payload_bytes(k, v));
        heap_[i] = static_cast<std::uint32_t>(KV::heap_bytes(k, v));
      }
    } else {
      const K k = KV::make_key(1);
      const V v = KV::make_value(1);
      const_payload_ = static_cast<std::int64_t>(KV::payload_bytes(k, v));
      const_heap_ = static_cast<std::int64_t>(KV::heap_bytes(k, v));
    }
    std::vector<std::uint64_t> digest(distinct);
    for (std::size_t i = 0; i < distinct; ++i) digest[i] = KV::digest(value_of(stream, i));
    std::uint64_t checksum = 0;
    for (const ThreadStream& t : stream.threads)
      for (const Operation& op : t.ops)
        if (op.type == OpType::kFindHit) checksum += digest[op.key_index];
    return checksum;
  }

  const K& string_key(std::size_t key_index) const requires kStringKeys { return keys_[key_index]; }

  // The value an insert of `op` stores.
  V value(const Operation& op) const {
    if constexpr (kValuePrototypes) {
      return V(values_[op.key_index]);
    } else {
      return KV::make_value(op.key_seed);
    }
  }

  // Live payload and element-heap bytes that key `key_index` adds when present.
  std::int64_t payload_bytes(std::size_t key_index) const {
    if constexpr (kPerKeySizes) return payload_[key_index];
    else return const_payload_;
  }
  std::int64_t heap_bytes(std::size_t key_index) const {
    if constexpr (kPerKeySizes) return heap_[key_index];
    else return const_heap_;
  }

 private:
  K key_of(const OperationStream& s, std::size_t i) const {
    if constexpr (kStringKeys) return keys_[i];
    else return KV::make_key(s.key_seeds[i]);
  }
  V value_of(const OperationStream& s, std::size_t i) const {
    if constexpr (kValuePrototypes) return values_[i];
    else return KV::make_value(s.key_seeds[i]);
  }

  std::vector<K> keys_;                 // string keys by key_index
  std::vector<V> values_;               // string value prototypes by key_index
  std::vector<std::uint32_t> payload_;  // per key_index (string kinds)
  std::vector<std::uint32_t> heap_;
  std::int64_t const_payload_ = 0;  // fixed-size kinds
  std::int64_t const_heap_ = 0;
};

}  // namespace dstudy::bench
