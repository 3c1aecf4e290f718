// The incremental policy's migration (TombstoneIncremental, tombstone_map.h):
// how TombstoneMap moves to a new table a few groups at a time instead of
// rehashing the whole table inside one insert or erase.
//
// Why. A stop-the-world rehash of a 2M-slot table takes milliseconds, and it
// lands on whichever operation crosses a trigger: that one operation is the
// tail latency. The incremental policy spreads the same work over the next
// operations, each doing one bounded step, at the price of two tables held
// during a migration and a cleanup that cannot be done in place.
//
// How. Every rehash (growth, tombstone cleanup, shrink) starts a migration:
// the current table becomes old_, a new table becomes t_, and every key lives
// in exactly one of them; lookups consult t_ and then old_. Each insert/erase
// then does one step (StepWork records the largest):
//   - writes the control bytes of a few more groups of t_ (t_ starts with
//     none written: Table::ready), so t_ is complete when the move is;
//   - first, until t_'s pages are all faulted in, faults in the next piece
//     of them (2-32 pages, sized by the last call's time) and moves nothing.
//     t_ is fresh memory (36 MB at 2M slots); moving keys into it at random
//     would fault a page on ~1 in 9 steps, +1.5 us each, which at 2% of a
//     churn's inserts migrating was the whole of the insert P99.9. Faulting
//     32 pages in one call costs ~30 such faults, but in ~1 step of 500
//     (under 0.2%);
//   - then moves kGroupsPerStep groups of old_ into t_, prefetching each
//     key's home group in t_ first, so the sixteen placements overlap their
//     cache misses instead of paying them one after another;
//   - gives the pages of old_ that hold no live slot back to the kernel
//     (madvise), at most kReleaseBytes a step, so freeing old_ at the end
//     unmaps almost nothing.
// The new table is sized for old_'s keys plus one insert per step
// (populating steps included), so the migration always finishes before t_
// fills. No step does O(capacity) work.
//
// The two system calls a step may make are sized by what a page costs, and
// that differs by 10x between machines and over a guest's life: on a warm
// VM a fault costs ~1.3 us and giving a page back ~0.3 us, but on a freshly
// started guest each first touch also faults in the host (128 KiB
// pre-faulted in one step took up to 520 us there, against 42 us warm).
// So the pre-fault piece adapts: it starts at kPopulateStartBytes (8 pages,
// ~130 us even on a fresh guest), and each call sets the next piece to what
// would take kPopulateBudgetNs at the rate just measured, at most twice the
// last and within [kPopulateMinBytes, kPopulateMaxBytes]. Warm, that is
// 128 KiB (~280 pre-fault steps at 2M slots, against 131,072 moving ones:
// few enough to stay out of the insert P99.9); on a fresh guest 8-16 KiB a
// step, each near the budget. The new table is sized for the most steps
// the smallest piece would take. Giving back is cheap and steady:
// kReleaseBytes (64 pages, ~20 us) a step.
//
// What lives here: MigrationPacing (the tunables above, which TombstoneMap
// exposes as its own), MigrationProgress (where a migration has got to), and
// IncrementalMigration<Map> (the steps, over the map's tables; the map calls
// them and nothing else does). The map's data structure, probing and
// stop-the-world rehashes stay in tombstone_map.h.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>

#include "impls/core/compaction_timer.h"
#include "impls/core/control_group.h"

#if defined(__linux__)
#include <sys/mman.h>
#include <unistd.h>
#endif

namespace dstudy {

// The sizes and budgets of a migration step (see the comment above).
struct MigrationPacing {
  // The most work one incremental step has done so far (for tests: each
  // field must stay bounded whatever the table's size).
  struct StepWork {
    std::size_t swept_groups = 0;     // control groups of the new table written
    std::size_t moved_groups = 0;     // groups of the old table moved
    std::size_t released_bytes = 0;   // bytes of the old table given back
    std::size_t populated_bytes = 0;  // bytes of the new table pre-faulted
  };
  static constexpr std::size_t kReleaseBytes = std::size_t{256} << 10;
  static constexpr std::size_t kPopulateStartBytes = std::size_t{32} << 10;
  static constexpr std::size_t kPopulateMinBytes = std::size_t{8} << 10;
  static constexpr std::size_t kPopulateMaxBytes = std::size_t{128} << 10;
  static constexpr std::int64_t kPopulateBudgetNs = 50'000;
  // The next pre-fault piece after `bytes` took `ns`: whole pages, within
  // the bounds above (a pure function, for tests).
  static std::size_t next_populate_bytes(std::size_t bytes, std::int64_t ns, std::size_t page) noexcept {
    const double fit = ns > 0 ? static_cast<double>(bytes) * kPopulateBudgetNs / static_cast<double>(ns)
                              : static_cast<double>(kPopulateMaxBytes);
    const double want = std::min({fit, 2.0 * static_cast<double>(bytes), static_cast<double>(kPopulateMaxBytes)});
    const std::size_t pages = static_cast<std::size_t>(std::max(want, static_cast<double>(kPopulateMinBytes))) / page;
    return std::max<std::size_t>(pages, 1) * page;  // at least a page: madvise takes whole pages
  }
  // Whether the kernel can be asked to fault pages in (Linux 5.14+ headers);
  // elsewhere the new table's pages fault as keys land.
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
  static constexpr bool kCanPopulate = true;
#else
  static constexpr bool kCanPopulate = false;
#endif

  static std::uintptr_t page_size() noexcept {
#if defined(__linux__)
    static const std::uintptr_t page = static_cast<std::uintptr_t>(sysconf(_SC_PAGESIZE));
    return page;
#else
    return 4096;
#endif
  }
  static std::uintptr_t page_up(std::uintptr_t a) noexcept { return (a + page_size() - 1) & ~(page_size() - 1); }
  static std::uintptr_t page_down(std::uintptr_t a) noexcept { return a & ~(page_size() - 1); }
};

// Where a migration has got to; all zero outside one.
struct MigrationProgress {
  std::size_t cursor = 0;            // next group of old_ to move
  std::size_t init_cursor = 0;       // next group of t_ whose control bytes the sweep writes
  std::size_t init_per_step = 0;     // groups the sweep writes per step
  std::uintptr_t released = 0;       // old_'s slot pages are given back up to here
  std::uintptr_t ctrl_released = 0;  // and its control-byte pages up to here
  std::uintptr_t populated = 0;      // t_'s pages are faulted in up to here
  std::uintptr_t populate_end = 0;   // and are to be up to here
  std::size_t populate_bytes = MigrationPacing::kPopulateStartBytes;  // the next pre-fault piece
  MigrationPacing::StepWork max_step_work;

  // Faults in the next populate_bytes of t_'s whole pages (writable,
  // contents kept: keys may already have landed there), timing the call to
  // size the next piece. Returns the bytes done.
  std::size_t populate_step() noexcept {
#if defined(__linux__) && defined(MADV_POPULATE_WRITE)
    const std::uintptr_t stop = std::min(populate_end, populated + populate_bytes);
    const std::size_t bytes = stop - populated;
    if (bytes != 0) {
      const auto t0 = std::chrono::steady_clock::now();
      // Best effort: on failure (an old kernel) the pages fault as keys land.
      madvise(reinterpret_cast<void*>(populated), bytes, MADV_POPULATE_WRITE);
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
      populate_bytes = MigrationPacing::next_populate_bytes(bytes, ns.count(), MigrationPacing::page_size());
    }
    populated = stop;
    return bytes;
#else
    return 0;  // not reached: populate_end == populated
#endif
  }
};

// The migration's steps over a TombstoneMap's tables: t_ the new table,
// old_ the one being emptied, progress_ where the move has got to. Out of
// line (noinline), as the map's rehashes are: insert and erase test for a
// migration and call these, so that outside one they inline whole.
template <class Map>
struct IncrementalMigration {
  using Table = typename Map::Table;
  using Slot = typename Map::Slot;
  using GroupT = typename Map::group_type;
  using K = typename Map::key_type;
  using V = typename Map::mapped_type;
  static constexpr std::size_t kW = Map::kW;
  static constexpr std::size_t kGroupsPerStep = Map::policy_type::kGroupsPerStep;

  // Returns whether a migration is now running (false: done at once, or the
  // sized table would not be smaller than a shrink wanted).
  [[gnu::noinline]] static bool start(Map& m, std::size_t wanted) {
    const std::size_t steps = (m.t_.capacity / kW + kGroupsPerStep - 1) / kGroupsPerStep;
    std::size_t cap = std::max(wanted, Map::kMinCapacity);
    while (Map::growth_budget(cap) < m.t_.size + steps + populate_steps(cap) + 1) cap *= 2;
    if (wanted < m.t_.capacity && cap >= m.t_.capacity) return false;
    CompactionTimer timer(m.compactions_);
    if (m.t_.size == 0) {  // nothing to carry over: start again small
      m.deallocate(m.t_);
      m.t_ = m.allocate(Map::kMinCapacity);
      m.refresh_thresholds();
      return false;
    }
    MigrationProgress& p = m.progress_;
    m.old_ = m.t_;
    m.t_ = m.allocate(cap, /*lazy=*/true);
    p.cursor = 0;
    p.init_cursor = 0;
    p.init_per_step = (m.t_.groups + steps - 1) / steps;
    p.released = MigrationPacing::page_up(reinterpret_cast<std::uintptr_t>(m.old_.slots));
    p.ctrl_released = MigrationPacing::page_up(reinterpret_cast<std::uintptr_t>(m.old_.ctrl));
    p.populated = MigrationPacing::page_up(reinterpret_cast<std::uintptr_t>(m.t_.ctrl));
    p.populate_end =
        MigrationPacing::kCanPopulate
            ? std::max(p.populated, MigrationPacing::page_down(reinterpret_cast<std::uintptr_t>(m.t_.ctrl) +
                                                               Map::units_for(cap) * 16))
            : p.populated;
    m.refresh_thresholds();
    return true;
  }

  // Steps that pre-fault a new table of `cap` slots (the whole pages inside
  // it: at most one more than its bytes / the smallest piece).
  static std::size_t populate_steps(std::size_t cap) noexcept {
    return MigrationPacing::kCanPopulate ? Map::units_for(cap) * 16 / MigrationPacing::kPopulateMinBytes + 1 : 0;
  }

  [[gnu::noinline]] static void step(Map& m) {
    CompactionTimer timer(m.compactions_, kContinues);  // counted at start
    MigrationProgress& p = m.progress_;
    MigrationPacing::StepWork work;
    for (const std::size_t end = std::min(m.t_.groups, p.init_cursor + p.init_per_step); p.init_cursor < end;
         ++p.init_cursor) {
      Map::make_ready(m.t_, p.init_cursor);
      ++work.swept_groups;
    }
    if (m.t_.ready != nullptr && p.init_cursor == m.t_.groups) m.drop_ready(m.t_);
    const std::size_t groups = m.old_.capacity / kW;
    if (p.populated < p.populate_end) {
      work.populated_bytes = p.populate_step();
    } else {
      for (const std::size_t end = std::min(groups, p.cursor + kGroupsPerStep); p.cursor < end && m.old_.size != 0;
           ++p.cursor) {
        move_group(m, p.cursor);
        ++work.moved_groups;
      }
    }
    if (m.old_.size == 0) p.cursor = groups;  // every slot of old_ is dead
    work.released_bytes = release_dead_pages(m);
    p.max_step_work.swept_groups = std::max(p.max_step_work.swept_groups, work.swept_groups);
    p.max_step_work.moved_groups = std::max(p.max_step_work.moved_groups, work.moved_groups);
    p.max_step_work.released_bytes = std::max(p.max_step_work.released_bytes, work.released_bytes);
    p.max_step_work.populated_bytes = std::max(p.max_step_work.populated_bytes, work.populated_bytes);
    if (m.old_.size == 0 && m.t_.ready == nullptr && work.released_bytes == 0) m.deallocate(m.old_);
  }

  static void move_group(Map& m, std::size_t g) {
    Table& old = m.old_;
    const GroupT group(old.ctrl + g * kW);
    old.tombstones() -= static_cast<std::size_t>(group.match(ctrl::kDeleted).count());
    std::size_t hashes[kW];
    for (std::uint32_t i : group.match_full()) {
      hashes[i] = typename Map::hasher{}(old.slots[g * kW + i].key);
      __builtin_prefetch(m.t_.ctrl + Map::probe(m.t_, hashes[i]).offset() * kW, 1);
    }
    for (std::uint32_t i : group.match_full()) {
      const std::size_t idx = g * kW + i;
      Slot& s = old.slots[idx];
      Map::place(m.t_, Map::find_first_non_full(m.t_, hashes[i]), hashes[i], std::move(s.key), std::move(s.value));
      std::destroy_at(&s);
      old.ctrl[idx] = ctrl::kDeleted;  // keeps later keys' probe paths intact
      --old.size;
    }
  }

  // Returns to the kernel up to kReleaseBytes of whole pages of old_ that
  // hold nothing live: slots behind the cursor while keys remain (lookups
  // still read every control byte), then, once old_ is empty, the rest of
  // its slots and its control bytes. The memory stays allocated (and
  // counted) until old_ is freed; the allocator gets it back with no pages
  // behind it. Returns the bytes released (0: nothing left to release).
  static std::size_t release_dead_pages(Map& m) noexcept {
#if defined(__linux__)
    const Table& old = m.old_;
    MigrationProgress& p = m.progress_;
    const auto slots_begin = reinterpret_cast<std::uintptr_t>(old.slots);
    const std::uintptr_t slots_dead =
        old.size != 0 ? reinterpret_cast<std::uintptr_t>(old.slots + p.cursor * kW)
                      : reinterpret_cast<std::uintptr_t>(old.ctrl) + Map::units_for(old.capacity) * 16;
    std::uintptr_t* from = &p.released;
    std::uintptr_t to = MigrationPacing::page_down(slots_dead);
    if (old.size == 0 && p.released >= to) {  // slots done: the control bytes
      from = &p.ctrl_released;
      to = std::min(MigrationPacing::page_down(slots_begin), to);
    }
    if (*from >= to) return 0;
    const std::uintptr_t stop = std::min(to, *from + MigrationPacing::kReleaseBytes);
    if (stop - *from < MigrationPacing::kReleaseBytes && old.size != 0) return 0;  // wait for a whole chunk
    madvise(reinterpret_cast<void*>(*from), stop - *from, MADV_DONTNEED);
    const std::size_t bytes = stop - *from;
    *from = stop;
    return bytes;
#else
    return 0;
#endif
  }

  static void finish(Map& m) {
    while (m.old_.capacity != 0) step(m);
  }

  [[gnu::noinline]] static bool insert(Map& m, const K& key, V&& value, std::size_t h) {
    __builtin_prefetch(m.t_.ctrl + Map::probe(m.t_, h).offset() * kW);
    if (m.old_.size != 0 && Map::find_index(m.old_, key, h) != Map::kNotFound) {
      step(m);
      return false;
    }
    std::size_t target = Map::find_or_prepare(m.t_, key, h);
    if (target == Map::kFound) {
      step(m);
      return false;
    }
    const bool takes_empty = !Map::is_ready(m.t_, target / kW) || m.t_.ctrl[target] == ctrl::kEmpty;
    if (takes_empty && m.t_.growth_left() == 0) [[unlikely]] {
      // Cannot happen with the sizing in start; stay correct anyway.
      finish(m);
      return m.insert(key, std::move(value));
    }
    Map::place(m.t_, target, h, key, std::move(value));
    step(m);
    return true;
  }

  [[gnu::noinline]] static bool erase(Map& m, const K& key, std::size_t h) {
    Table& old = m.old_;
    if (old.size != 0) __builtin_prefetch(old.ctrl + Map::probe(old, h).offset() * kW);
    std::size_t i = Map::find_index(m.t_, key, h);
    bool erased = false;
    if (i != Map::kNotFound) {
      Map::erase_at(m.t_, i);
      erased = true;
    } else if (old.size != 0 && (i = Map::find_index(old, key, h)) != Map::kNotFound) {
      std::destroy_at(&old.slots[i]);
      old.ctrl[i] = ctrl::kDeleted;
      --old.size;
      ++old.tombstones();
      erased = true;
    }
    step(m);
    return erased;
  }
};

}  // namespace dstudy
