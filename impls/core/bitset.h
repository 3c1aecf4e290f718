// Bitset: one bit per slot of a container (a dead vector entry, a live ring
// slot), in 64-bit words the owner may read whole to skip or count runs.
//
// Why in the kit: the sorted vector and the ring buffer both keep a flag per
// slot beside their arrays; with one type the bit layout, and the bytes the
// flags cost in Footprint::bytes, are the same for both. Storage is a
// std::vector of words through Alloc, which the owners make the
// CountingAllocator of their arrays: the flags are counted like the arrays.
// Every bit operation is inline and does what the hand-written word
// arithmetic did: no bounds checks, no size field of its own.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <memory>
#include <vector>

namespace dstudy {

template <class Alloc = std::allocator<std::uint64_t>>
class Bitset {
 public:
  using word_type = std::uint64_t;
  static constexpr std::size_t kWordBits = 64;
  static constexpr std::size_t words_for(std::size_t bits) noexcept { return (bits + kWordBits - 1) / kWordBits; }

  Bitset() = default;
  explicit Bitset(const Alloc& alloc) : words_(alloc) {}

  bool test(std::size_t i) const noexcept { return (words_[i / kWordBits] >> (i % kWordBits)) & 1u; }
  void set(std::size_t i) noexcept { words_[i / kWordBits] |= word_type{1} << (i % kWordBits); }
  void reset(std::size_t i) noexcept { words_[i / kWordBits] &= ~(word_type{1} << (i % kWordBits)); }

  // Word w: bits [64w, 64w + 64), bit i of the word for bit 64w + i.
  word_type word(std::size_t w) const noexcept { return words_[w]; }
  std::size_t words() const noexcept { return words_.size(); }

  // Bits for n slots, all clear, storage grown geometrically and kept: for
  // a bitset that is reset often at slowly changing sizes.
  void assign_clear(std::size_t n) {
    const std::size_t words = words_for(n);
    if (words > words_.capacity()) words_.reserve(std::max(words, 2 * words_.capacity()));
    words_.assign(words, 0);
  }

  // Bits for n slots, all clear, in storage of exactly that size: for a
  // bitset that follows an array reallocated to a new capacity.
  void assign_clear_exact(std::size_t n) {
    const std::size_t words = words_for(n);
    if (words != words_.size()) {
      Words(words, words_.get_allocator()).swap(words_);
    } else {
      std::fill(words_.begin(), words_.end(), 0);
    }
  }

  // Gives storage back when it holds more than twice the words n slots need
  // (plus two), keeping the first words' bits.
  void shrink_if_sparse(std::size_t n) {
    const std::size_t words = words_for(n);
    if (words_.capacity() > 2 * words + 2) {
      Words fresh(words_.begin(), words_.begin() + static_cast<std::ptrdiff_t>(words), words_.get_allocator());
      words_.swap(fresh);
    }
  }

 private:
  using Words = std::vector<word_type, Alloc>;
  Words words_;
};

}  // namespace dstudy
