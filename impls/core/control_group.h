// Control bytes and the 16-byte group that open-addressing tables probe.
//
// One byte per slot says what the slot holds, so a probe can rule out sixteen
// slots with one compare instead of touching sixteen keys:
//
//   kEmpty    1000'0000   never used since the last rehash: a probe that
//                         meets one may stop, the key cannot be further on
//   kDeleted  1111'1110   a tombstone: erased, but a probe must walk past it
//   full      0hhh'hhhh   in use; h is 7 bits of the key's hash (H2), so a
//                         group compare rejects ~127/128 of non-matching slots
//
// Both special values have the sign bit set and full slots do not, so "empty
// or deleted" is just the sign bits of the group.
//
// Two implementations with the same answers bit for bit: SSE2 (always there on
// x86-64) and a portable SWAR one on two 64-bit words. DSTUDY_NO_SIMD, or a
// target without SSE2, selects the portable one as `Group`; tests compare the
// two on random bytes and run a whole table on the portable one.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>

#if defined(__SSE2__) && !defined(DSTUDY_NO_SIMD)
#include <emmintrin.h>
#define DSTUDY_GROUP_SSE2 1
#endif

namespace dstudy::ctrl {

using ctrl_t = std::int8_t;
inline constexpr ctrl_t kEmpty = static_cast<ctrl_t>(-128);
inline constexpr ctrl_t kDeleted = static_cast<ctrl_t>(-2);
inline constexpr std::size_t kGroupWidth = 16;

// One group of empty bytes that every table without storage points at, so a
// lookup in an empty table needs no special case: it sees kEmpty and stops.
alignas(16) inline constexpr ctrl_t kEmptyGroup[kGroupWidth] = {kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty,
                                                                kEmpty, kEmpty, kEmpty, kEmpty, kEmpty, kEmpty,
                                                                kEmpty, kEmpty, kEmpty, kEmpty};

// Bit i set = byte i of the group matched. Iterates lowest index first.
class BitMask {
 public:
  constexpr explicit BitMask(std::uint32_t bits) noexcept : bits_(bits) {}
  constexpr explicit operator bool() const noexcept { return bits_ != 0; }
  constexpr std::uint32_t lowest() const noexcept { return static_cast<std::uint32_t>(std::countr_zero(bits_)); }
  constexpr std::uint32_t bits() const noexcept { return bits_; }
  constexpr int count() const noexcept { return std::popcount(bits_); }

  class iterator {
   public:
    constexpr explicit iterator(std::uint32_t bits) noexcept : bits_(bits) {}
    constexpr std::uint32_t operator*() const noexcept { return static_cast<std::uint32_t>(std::countr_zero(bits_)); }
    constexpr iterator& operator++() noexcept {
      bits_ &= bits_ - 1;
      return *this;
    }
    constexpr bool operator!=(const iterator& o) const noexcept { return bits_ != o.bits_; }

   private:
    std::uint32_t bits_;
  };
  constexpr iterator begin() const noexcept { return iterator(bits_); }
  constexpr iterator end() const noexcept { return iterator(0); }

 private:
  std::uint32_t bits_;
};

// Portable group: sixteen control bytes as two little-endian 64-bit words.
// Byte tests are exact (no false positives), so masks equal the SSE2 ones.
class GroupPortable {
 public:
  // `p` must point at kGroupWidth readable bytes (alignment not needed).
  explicit GroupPortable(const ctrl_t* p) noexcept {
    std::memcpy(&lo_, p, 8);
    std::memcpy(&hi_, p + 8, 8);
    if constexpr (std::endian::native == std::endian::big) {
      lo_ = __builtin_bswap64(lo_);
      hi_ = __builtin_bswap64(hi_);
    }
  }

  BitMask match(ctrl_t b) const noexcept {
    const std::uint64_t pattern = kLsbs * static_cast<std::uint8_t>(b);
    return combine(zero_bytes(lo_ ^ pattern), zero_bytes(hi_ ^ pattern));
  }
  BitMask match_empty() const noexcept { return match(kEmpty); }
  BitMask match_empty_or_deleted() const noexcept { return combine(lo_ & kMsbs, hi_ & kMsbs); }
  BitMask match_full() const noexcept { return combine(~lo_ & kMsbs, ~hi_ & kMsbs); }
  // Writes the group as an in-place rehash starts it: full bytes kDeleted
  // ("still to place"), empty and deleted ones kEmpty. Per word, as abseil's
  // ConvertSpecialToEmptyAndFullToDeleted: with x = the sign bits, a special
  // byte gives ~0x80 + 1 = 0x80 and a full one ~0 + 0 = 0xFF, then bit 0 is
  // cleared (0xFE); no byte carries into the next.
  void store_special_as_empty_full_as_deleted(ctrl_t* dst) const noexcept {
    const auto convert = [](std::uint64_t w) {
      const std::uint64_t x = w & kMsbs;
      std::uint64_t r = (~x + (x >> 7)) & ~kLsbs;
      if constexpr (std::endian::native == std::endian::big) r = __builtin_bswap64(r);
      return r;
    };
    const std::uint64_t lo = convert(lo_), hi = convert(hi_);
    std::memcpy(dst, &lo, 8);
    std::memcpy(dst + 8, &hi, 8);
  }

 private:
  static constexpr std::uint64_t kLsbs = 0x0101010101010101ull;
  static constexpr std::uint64_t kMsbs = 0x8080808080808080ull;
  static constexpr std::uint64_t kLows = 0x7F7F7F7F7F7F7F7Full;

  // Sign bit of each byte set exactly where that byte of v is zero: the add
  // cannot carry out of a byte, so bytes never disturb each other.
  static std::uint64_t zero_bytes(std::uint64_t v) noexcept { return ~(((v & kLows) + kLows) | v | kLows); }
  // Gathers the eight sign bits into one byte (byte i -> bit i): after the
  // shift each flag sits at bit 8i, and the multiplier's bit 7(7-i)+7 lifts
  // it to bit 56+i; no two partial products share a bit, so nothing carries.
  static std::uint32_t gather(std::uint64_t msbs) noexcept {
    return static_cast<std::uint32_t>(((msbs >> 7) * 0x0102040810204080ull) >> 56);
  }
  static BitMask combine(std::uint64_t lo, std::uint64_t hi) noexcept {
    return BitMask(gather(lo) | (gather(hi) << 8));
  }

  std::uint64_t lo_;
  std::uint64_t hi_;
};

#ifdef DSTUDY_GROUP_SSE2
class GroupSse2 {
 public:
  // `p` must be 16-byte aligned: tables probe whole, aligned groups.
  explicit GroupSse2(const ctrl_t* p) noexcept : v_(_mm_load_si128(reinterpret_cast<const __m128i*>(p))) {}

  BitMask match(ctrl_t b) const noexcept { return mask(_mm_cmpeq_epi8(_mm_set1_epi8(b), v_)); }
  BitMask match_empty() const noexcept { return match(kEmpty); }
  BitMask match_empty_or_deleted() const noexcept { return mask(v_); }
  BitMask match_full() const noexcept { return BitMask(static_cast<std::uint32_t>(_mm_movemask_epi8(v_)) ^ 0xFFFFu); }
  // As GroupPortable's: special (negative) bytes -> kEmpty, full -> kDeleted.
  // `dst` must be 16-byte aligned.
  void store_special_as_empty_full_as_deleted(ctrl_t* dst) const noexcept {
    const __m128i special = _mm_cmpgt_epi8(_mm_setzero_si128(), v_);
    const __m128i flip = _mm_and_si128(special, _mm_set1_epi8(static_cast<char>(kDeleted ^ kEmpty)));
    _mm_store_si128(reinterpret_cast<__m128i*>(dst), _mm_xor_si128(_mm_set1_epi8(kDeleted), flip));
  }

 private:
  static BitMask mask(__m128i v) noexcept { return BitMask(static_cast<std::uint32_t>(_mm_movemask_epi8(v))); }
  __m128i v_;
};
using Group = GroupSse2;
#else
using Group = GroupPortable;
#endif

}  // namespace dstudy::ctrl
