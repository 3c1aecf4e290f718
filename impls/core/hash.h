// The one hash every hash-based container in the study uses, so that a
// difference between two containers is never a difference between hashes.
//
// std::hash<uint64_t> is the identity in libstdc++, which open-addressing
// tables with power-of-two capacities cannot use (sequential keys would share
// low bits and H2 tags). A 128-bit multiply folded to 64 bits mixes every
// input bit into both halves, as abseil's and wyhash's mixers do.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

namespace dstudy {

inline std::uint64_t mix64(std::uint64_t x) noexcept {
  constexpr std::uint64_t kMul = 0x9E3779B97F4A7C15ull;
  const unsigned __int128 m = static_cast<unsigned __int128>(x ^ 0x2D358DCCAA6C78A5ull) * kMul;
  return static_cast<std::uint64_t>(m) ^ static_cast<std::uint64_t>(m >> 64);
}

template <class K>
struct Hash;

// Both specialisations declare is_avalanching: boost::unordered_flat_map
// otherwise mixes every hash a second time (its own mulx step), a cost no
// other table pays. mix64 already spreads every input bit over the output,
// which is what the declaration promises.
template <>
struct Hash<std::uint64_t> {
  using is_avalanching = void;
  std::size_t operator()(std::uint64_t key) const noexcept { return mix64(key); }
};

template <>
struct Hash<std::string> {
  using is_avalanching = void;
  std::size_t operator()(const std::string& key) const noexcept {
    // libstdc++ hashes bytes with 64-bit MurmurHash2; the final mix spreads
    // its output over the high bits that H1/H2 splits depend on.
    return mix64(std::hash<std::string_view>{}(key));
  }
};

}  // namespace dstudy
