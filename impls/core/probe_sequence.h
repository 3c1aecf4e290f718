// Probe sequences for open-addressing tables: the order in which positions
// (slots, or groups of slots) are visited from a key's home position.
//
// Why in the kit: a table probes the same way in every operation (find,
// insert, erase, placement during a rehash); one object per sequence keeps
// those loops from each writing the step out, and from drifting apart. Both
// are a few inline adds and masks, exactly the arithmetic they replace.
#pragma once

#include <cstddef>

namespace dstudy {

// Triangular probing over a power-of-two number of positions: home, home+1,
// home+3, home+6, ... (mask = positions - 1). It reaches every position
// before repeating one.
class TriangularProbe {
 public:
  TriangularProbe(std::size_t hash, std::size_t mask) noexcept : mask_(mask), offset_(hash & mask) {}
  std::size_t offset() const noexcept { return offset_; }
  void next() noexcept {
    ++index_;
    offset_ = (offset_ + index_) & mask_;
  }

 private:
  std::size_t mask_;
  std::size_t offset_;
  std::size_t index_ = 0;
};

// Triangular probing over any number n of positions. The sequence runs over
// the next power of two P >= n, which it covers, and a position p >= n is
// visited as p - n (P < 2n, so that lands in [0, n) and every position is
// reached). `home` must be below n; the caller draws it uniformly. When n is
// a power of two this is TriangularProbe plus one compare that never holds:
// tables keep power-of-two sizes except when shrunk to fit.
class FoldedTriangularProbe {
 public:
  FoldedTriangularProbe(std::size_t home, std::size_t pow2_mask, std::size_t n) noexcept
      : mask_(pow2_mask), n_(n), pos_(home), offset_(home) {}
  std::size_t offset() const noexcept { return offset_; }
  void next() noexcept {
    ++index_;
    pos_ = (pos_ + index_) & mask_;
    offset_ = pos_ >= n_ ? pos_ - n_ : pos_;
  }

 private:
  std::size_t mask_;
  std::size_t n_;
  std::size_t pos_;     // position in the power-of-two sequence
  std::size_t offset_;  // the position it stands for, below n
  std::size_t index_ = 0;
};

// Linear probing over a power-of-two number of positions: home, home+1, ...
class LinearProbe {
 public:
  LinearProbe(std::size_t hash, std::size_t mask) noexcept : mask_(mask), offset_(hash & mask) {}
  std::size_t offset() const noexcept { return offset_; }
  void next() noexcept { offset_ = (offset_ + 1) & mask_; }

 private:
  std::size_t mask_;
  std::size_t offset_;
};

}  // namespace dstudy
