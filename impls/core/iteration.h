// Iteration for study containers (the optional Iterable part of the concept,
// container.h): visit every live entry, erase the first entry iteration
// yields, and erase entries one by one in iteration order while other
// operations run in between.
//
// Why these three and not iterators: the harness replays a stream of single
// operations, and between two of them an insert may rehash, shrink or rebuild
// the container, which invalidates any iterator kept across it (absl, boost
// and std::unordered_map all do on a rehash; tsl::robin_map's backward shift
// moves elements on every erase). So no position is kept between calls:
//   - erase_first() asks for begin() every time. That is the pattern of
//     martinus/map_benchmark issue 37 (erase(begin()) + emplace loop): a table
//     whose begin() scans its slots from the start pays for every empty slot
//     and tombstone the previous erases left at the front.
//   - erase_next() keeps a *key* as its cursor, the key of the element after
//     the one it erased last; the next call finds that key again, erases it
//     and moves the cursor to its successor; when the key is gone, or the end
//     is reached, it starts again from begin(). That is exactly the loop of
//     boostorg/unordered issue 203 (find(key), else begin(); erase; key =
//     next's key), erasing in iteration order while fresh keys are inserted.
// Each call costs the container's own begin()/find()/++/erase, nothing else.
//
// Two ways to provide them:
//   - MapAdapter (peers) walks the wrapped map's iterators;
//   - the project's own containers expose positions (PositionWalk below) and
//     inherit PositionIteration, which builds the three operations on them.
#pragma once

#include <cstddef>
#include <optional>
#include <utility>

namespace dstudy {

// The erase-while-iterating cursor. `Walk` is a view of one container with
//   Pos begin(), Pos end(), Pos next(Pos), Pos find(const K&), const K& key(Pos),
//   void erase(Pos)
// where erase(pos) may invalidate every position (only keys survive it).
template <class K>
class EraseCursor {
 public:
  template <class Walk>
  bool erase_next(Walk w) {
    auto pos = next_ ? w.find(*next_) : w.end();
    if (pos == w.end()) pos = w.begin();
    if (pos == w.end()) {
      next_.reset();
      return false;
    }
    const auto after = w.next(pos);
    if (after == w.end()) next_.reset();
    else next_.emplace(w.key(after));
    w.erase(pos);
    return true;
  }

  template <class Walk>
  static bool erase_first(Walk w) {
    const auto pos = w.begin();
    if (pos == w.end()) return false;
    w.erase(pos);
    return true;
  }

 private:
  std::optional<K> next_;  // the key to erase next; none: start from begin()
};

// Positions for the project's own containers: Derived provides
//   std::size_t iter_next(std::size_t from) const   first live position >= from,
//                                                   or kNoPosition
//   const K& iter_key(std::size_t) const, const V& iter_value(std::size_t) const
//   std::size_t iter_find(const K&) const           position of a live key,
//                                                   or kNoPosition
// and erase(key). Erasing at a position goes through erase(key) (one more
// hash or search than an internal erase would need, the same for each of
// them), so every policy's bookkeeping after an erase runs as usual.
inline constexpr std::size_t kNoPosition = ~std::size_t{0};

template <class Derived, class K, class V>
class PositionIteration {
 public:
  template <class F>
  void for_each(F&& visit) const {
    const Derived& d = self();
    for (std::size_t p = d.iter_next(0); p != kNoPosition; p = d.iter_next(p + 1))
      visit(d.iter_key(p), d.iter_value(p));
  }

  bool erase_first() { return EraseCursor<K>::erase_first(Walk{static_cast<Derived&>(*this)}); }
  bool erase_next() { return cursor_.erase_next(Walk{static_cast<Derived&>(*this)}); }

 private:
  struct Walk {
    Derived& d;
    std::size_t begin() const { return d.iter_next(0); }
    static std::size_t end() { return kNoPosition; }
    std::size_t next(std::size_t p) const { return d.iter_next(p + 1); }
    std::size_t find(const K& k) const { return d.iter_find(k); }
    const K& key(std::size_t p) const { return d.iter_key(p); }
    void erase(std::size_t p) const {
      const K k = d.iter_key(p);  // erase may move or free the slot that holds it
      d.erase(k);
    }
  };
  const Derived& self() const { return static_cast<const Derived&>(*this); }

  EraseCursor<K> cursor_;
};

}  // namespace dstudy
