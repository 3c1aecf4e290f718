// The key/value types of the study (what a key and a value stand for in the
// services it models) and how the harness and the tests make them from a
// 64-bit seed.
//
//   kind      key            value                        what it stands for
//   u64       uint64_t       uint64_t                     ids, handles
//   inline32  uint64_t       Inline32 (32 bytes inline)   small records
//   string    std::string    std::string (16-64 bytes)    session keys, tuples
//   blob1k    uint64_t       HeapBlob (1 KiB on the heap) cached objects
//
// Every container is a template over <Key, Value>; a KvKind says which pair.
// uint64_t keys kMaxU64Key+1 .. UINT64_MAX are reserved: tombstone-under-a-key
// peers (google::dense_hash_map) need two keys no workload ever uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

#include "impls/core/hash.h"

namespace dstudy {

inline constexpr std::uint64_t kMaxU64Key = ~std::uint64_t{0} - 2;

// A 32-byte value stored inline in the slot or node.
struct Inline32 {
  std::array<std::uint64_t, 4> words{};
  friend bool operator==(const Inline32&, const Inline32&) = default;
};

// A 1 KiB value that lives on the heap: every insert allocates it and every
// erase frees it, which is what puts the allocator in charge of memory.
class HeapBlob {
 public:
  static constexpr std::size_t kBytes = 1024;

  HeapBlob() = default;
  explicit HeapBlob(std::uint64_t seed) : data_(new std::uint64_t[kWords]) {
    for (std::size_t i = 0; i < kWords; ++i) data_[i] = seed + i;
  }
  HeapBlob(const HeapBlob& other) : data_(other.data_ ? new std::uint64_t[kWords] : nullptr) {
    if (data_) std::memcpy(data_.get(), other.data_.get(), kBytes);
  }
  HeapBlob(HeapBlob&&) noexcept = default;
  HeapBlob& operator=(const HeapBlob& other) {
    if (this != &other) *this = HeapBlob(other);
    return *this;
  }
  HeapBlob& operator=(HeapBlob&&) noexcept = default;

  bool empty() const noexcept { return !data_; }
  std::uint64_t first_word() const noexcept { return data_ ? data_[0] : 0; }
  friend bool operator==(const HeapBlob& a, const HeapBlob& b) {
    if (!a.data_ || !b.data_) return a.data_ == b.data_;
    return std::memcmp(a.data_.get(), b.data_.get(), kBytes) == 0;
  }

 private:
  static constexpr std::size_t kWords = kBytes / sizeof(std::uint64_t);
  std::unique_ptr<std::uint64_t[]> data_;
};

namespace detail {
// Bytes [from, size) of s: lowercase filler drawn from h.
inline void fill_from_hash(std::string& s, std::size_t from, std::uint64_t h) {
  for (std::size_t i = from; i < s.size(); ++i) s[i] = static_cast<char>('a' + (h >> (i % 58)) % 26);
}

// 16..64 printable bytes, unique per seed (its hex digits lead), length and
// filler drawn from the seed so strings differ in length and content.
inline std::string seeded_string(std::uint64_t seed, char salt) {
  const std::uint64_t h = mix64(seed ^ static_cast<std::uint64_t>(salt));
  const std::size_t length = 16 + h % 49;
  std::string s(length, salt);
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = 0; i < 16; ++i) s[i] = kHex[(seed >> (60 - 4 * i)) & 0xF];
  fill_from_hash(s, 16, h);
  return s;
}

// The shortest string of a given size that is still unique per seed: the
// seed's 64 bits as 11 base-64 digits.
inline constexpr std::size_t kSizedStringMin = 11;

// `bytes` printable bytes (kSizedStringMin when fewer are asked for, so
// distinct seeds never share a string), unique per seed (its 11 base-64
// digits lead), filler drawn from the seed: a key of a recorded size.
inline std::string sized_string(std::uint64_t seed, char salt, std::size_t bytes) {
  static constexpr char kDigits[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string s(bytes < kSizedStringMin ? kSizedStringMin : bytes, salt);
  for (std::size_t i = 0; i < kSizedStringMin; ++i) s[kSizedStringMin - 1 - i] = kDigits[(seed >> (6 * i)) & 63];
  fill_from_hash(s, kSizedStringMin, mix64(seed ^ static_cast<std::uint64_t>(salt)));
  return s;
}
}  // namespace detail

// One struct per kind: the types, a name for results, how to make keys and
// values from seeds, the bytes a live entry needs, and a digest of a value
// that a find folds into its checksum (so a wrong value cannot go unnoticed).
struct KvU64 {
  using key_type = std::uint64_t;
  using mapped_type = std::uint64_t;
  static constexpr std::string_view kName = "u64";
  static key_type make_key(std::uint64_t seed) { return seed % (kMaxU64Key + 1); }
  static mapped_type make_value(std::uint64_t seed) { return mix64(seed); }
  static std::size_t payload_bytes(const key_type&, const mapped_type&) { return 16; }
  static std::size_t heap_bytes(const key_type&, const mapped_type&) { return 0; }
  static std::uint64_t digest(const mapped_type& v) { return v; }
};

struct KvInline32 {
  using key_type = std::uint64_t;
  using mapped_type = Inline32;
  static constexpr std::string_view kName = "inline32";
  static key_type make_key(std::uint64_t seed) { return seed % (kMaxU64Key + 1); }
  static mapped_type make_value(std::uint64_t seed) {
    const std::uint64_t h = mix64(seed);
    return Inline32{{h, h + 1, h + 2, h + 3}};
  }
  static std::size_t payload_bytes(const key_type&, const mapped_type&) { return 8 + 32; }
  static std::size_t heap_bytes(const key_type&, const mapped_type&) { return 0; }
  static std::uint64_t digest(const mapped_type& v) { return v.words[0] ^ v.words[3]; }
};

struct KvString {
  using key_type = std::string;
  using mapped_type = std::string;
  static constexpr std::string_view kName = "string";
  static key_type make_key(std::uint64_t seed) { return detail::seeded_string(seed, 'k'); }
  // A key of `bytes` bytes (a replayed trace's recorded key size; at least
  // detail::kSizedStringMin, the least that keeps keys unique).
  static key_type make_key(std::uint64_t seed, std::size_t bytes) { return detail::sized_string(seed, 'k', bytes); }
  static mapped_type make_value(std::uint64_t seed) { return detail::seeded_string(seed, 'v'); }
  static std::size_t payload_bytes(const key_type& k, const mapped_type& v) { return k.size() + v.size(); }
  // Strings longer than the small-string buffer (15 bytes in libstdc++) own
  // a heap block of capacity + 1 bytes.
  static std::size_t heap_bytes(const key_type& k, const mapped_type& v) {
    auto owned = [](const std::string& s) { return s.capacity() > 15 ? s.capacity() + 1 : 0; };
    return owned(k) + owned(v);
  }
  static std::uint64_t digest(const mapped_type& v) { return v.size() ^ static_cast<unsigned char>(v.back()); }
};

struct KvBlob1K {
  using key_type = std::uint64_t;
  using mapped_type = HeapBlob;
  static constexpr std::string_view kName = "blob1k";
  static key_type make_key(std::uint64_t seed) { return seed % (kMaxU64Key + 1); }
  static mapped_type make_value(std::uint64_t seed) { return HeapBlob(seed); }
  static std::size_t payload_bytes(const key_type&, const mapped_type&) { return 8 + HeapBlob::kBytes; }
  static std::size_t heap_bytes(const key_type&, const mapped_type& v) { return v.empty() ? 0 : HeapBlob::kBytes; }
  static std::uint64_t digest(const mapped_type& v) { return v.first_word(); }
};

// Calls f(KvKind{}) for every kind, in the order results list them.
template <class F>
void for_each_kv_kind(F&& f) {
  f(KvU64{});
  f(KvInline32{});
  f(KvString{});
  f(KvBlob1K{});
}

}  // namespace dstudy
