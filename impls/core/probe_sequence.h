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
