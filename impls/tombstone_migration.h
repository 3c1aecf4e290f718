// The incremental policy's migration (TombstoneIncremental, tombstone_map.h):
// how TombstoneMap moves to a new table a few keys at a time instead of
// rehashing the whole table inside one insert or erase.
//
// Why. A stop-the-world rehash of a 2M-slot table takes milliseconds, and it
// lands on whichever operation crosses a trigger: that one operation is the
// tail latency. The incremental policy spreads the same work over the next
// operations, each doing one bounded step, at the price of two tables held
// during a migration and a cleanup that cannot be done in place.
//
// Bounded is not enough. A caller that sends requests at a steady rate waits
// for the map whenever the map serves slower than they arrive, and a
// migration that moves a whole group (about 14 live keys, each a cache miss
// in the new table) per insert or erase makes every such operation several
// times slower for the whole migration: no single operation is slow, but
// the map is, and the backlog lasts as long as the migration. So a step
// moves few keys (kKeysPerStep, two by default), and only as many more as the
// new table's room requires (below), with the cost of each move taken out
// of the step's critical path by fetching ahead.
//
// How. Every rehash (growth, tombstone cleanup, shrink) starts a migration:
// the current table becomes old_, a new table becomes t_, and every key lives
// in exactly one of them; lookups consult t_ and then old_. Each insert/erase
// then does one step (StepWork records the largest):
//   - writes the control bytes of a few more groups of t_ (t_ starts with
//     none written: Table::ready), so t_ is complete when the move is;
//   - first, until t_'s pages are all faulted in, faults in the next piece
//     of them (sized by the last call's time, below) and moves nothing. t_ is
//     fresh memory (36 MB at 2M slots); moving keys into it at random would
//     fault a page on ~1 in 9 moves, +1.5 us each;
//   - then moves the next keys of old_, in slot order, into t_. The pace is
//     kKeysPerStep, raised only when t_'s room demands it: t_ must never
//     fill before old_ is empty, and every step may insert one more key, so
//     a step moves enough that kMaxKeysPerStep a step could still finish in
//     time were every later step an insert (pace() has the rule; under churn
//     the pace stays at kKeysPerStep). The new table is sized at the start
//     so that kMaxKeysPerStep a step suffices from the first move.
//     Moving a key costs a cache miss in t_ (its home group and slot), so
//     the step that reaches a group of old_ hashes that group's keys and
//     prefetches their home groups in t_, and the moves happen in later
//     steps, when those lines have arrived;
//   - gives the pages of old_ that hold no live slot back to the kernel
//     (madvise), at most kReleaseBytes a step, so freeing old_ at the end
//     unmaps almost nothing.
// No step does O(capacity) work.
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
// 128 KiB (~280 pre-fault steps at 2M slots); on a fresh guest 8-16 KiB a
// step, each near the budget. The new table is sized for the most steps the
// smallest piece would take. Those steps come one after another: ~12 ms of
// pre-fault at 2M slots, which a caller at a steady rate sees as one stall.
// (Spread out in time, they keep both tables, and every lookup in both, for
// that much longer; measured with one key a step, that variant gave no
// better response tail and much less throughput.)
// Giving back is cheap and steady: kReleaseBytes (64 pages, ~20 us) a step.
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
    std::size_t moved_keys = 0;       // keys moved from the old table
    std::size_t entered_groups = 0;   // groups of the old table reached (hashed and fetched ahead)
    std::size_t released_bytes = 0;   // bytes of the old table given back
    std::size_t populated_bytes = 0;  // bytes of the new table pre-faulted
    bool finished_at_once = false;    // the new table filled first: the rest moved in one step
  };
  // The most keys a step moves, and groups of old_ it reaches: the bound on
  // a step's work whatever the pace, and what the new table is sized for.
  static constexpr std::size_t kMaxKeysPerStep = 16;
  static constexpr std::size_t kMaxGroupsPerStep = 16;
  static constexpr std::size_t kReleaseBytes = std::size_t{256} << 10;
  static constexpr std::size_t kPopulateStartBytes = std::size_t{32} << 10;
  static constexpr std::size_t kPopulateMinBytes = std::size_t{8} << 10;
  static constexpr std::size_t kPopulateMaxBytes = std::size_t{128} << 10;
  static constexpr std::int64_t kPopulateBudgetNs = 50'000;
  static constexpr std::size_t kTimedStepEvery = 16;  // a power of two
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
  std::size_t cursor = 0;                      // the group of old_ being moved (those before it are empty)
  bool entered = false;                        // whether group `cursor` was reached: hashed, fetched ahead
  std::uint32_t pending = 0;                   // its slots still to move (a set bit per slot)
  std::size_t moved_in_group = 0;              // its slots moved so far (they read kDeleted now)
  std::size_t hashes[ctrl::kGroupWidth] = {};  // the hashes of its pending keys
  std::size_t init_cursor = 0;                 // next group of t_ whose control bytes the sweep writes
  std::size_t init_per_step = 0;               // groups the sweep writes per step
  std::uintptr_t released = 0;                 // old_'s slot pages are given back up to here
  std::uintptr_t ctrl_released = 0;            // and its control-byte pages up to here
  std::uintptr_t populated = 0;                // t_'s pages are faulted in up to here
  std::uintptr_t populate_end = 0;             // and are to be up to here
  std::size_t populate_bytes = MigrationPacing::kPopulateStartBytes;  // the next pre-fault piece
  std::size_t steps = 0;                                              // steps taken, for sampling their time
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
  static constexpr std::size_t kKeysPerStep = Map::policy_type::kKeysPerStep;
  static constexpr std::size_t kMaxKeysPerStep = MigrationPacing::kMaxKeysPerStep;
  static constexpr std::size_t kMaxGroupsPerStep = MigrationPacing::kMaxGroupsPerStep;
  static_assert(kKeysPerStep >= 1 && kKeysPerStep <= kMaxKeysPerStep);

  // Returns whether a migration is now running (false: done at once, or the
  // sized table would not be smaller than a shrink wanted).
  [[gnu::noinline]] static bool start(Map& m, std::size_t wanted) {
    // The most steps the move can take at the bounds: each may insert a key.
    const std::size_t steps = (m.t_.size + kMaxKeysPerStep - 1) / kMaxKeysPerStep +
                              (m.t_.capacity / kW + kMaxGroupsPerStep - 1) / kMaxGroupsPerStep;
    std::size_t cap = std::max(wanted, Map::kMinCapacity);
    while (Map::growth_budget(cap) < m.t_.size + steps + populate_steps(cap) + release_steps(m.t_) + 1) cap *= 2;
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
    p.entered = false;
    p.pending = 0;
    p.moved_in_group = 0;
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

  // Steps that give a table's pages back once it is empty (at most).
  static std::size_t release_steps(const Table& t) noexcept {
    return Map::units_for(t.capacity) * 16 / MigrationPacing::kReleaseBytes + 2;
  }

  // The keys t_ can still take beyond old_'s: its growth left less old_'s
  // keys and the steps that follow the move (the rest of the control-byte
  // sweep, giving old_'s pages back), each of which may insert one.
  static std::size_t room(const Map& m) noexcept {
    const MigrationProgress& p = m.progress_;
    const std::size_t sweep =
        m.t_.ready == nullptr ? 0 : (m.t_.groups - p.init_cursor + p.init_per_step - 1) / p.init_per_step;
    const std::size_t reserved = m.old_.size + sweep + release_steps(m.old_);
    const std::size_t growth = m.t_.growth_left();
    return growth > reserved ? growth - reserved : 0;
  }

  // One step, its time added to the compaction time (the migration was
  // counted at start). Two clock reads on every step would cost about a
  // fifth of a step's own work, so one step in kTimedStepEvery is timed and
  // stands for the others.
  [[gnu::noinline]] static void step(Map& m) {
    if ((++m.progress_.steps & (MigrationPacing::kTimedStepEvery - 1)) != 0) return step_untimed(m);
    const auto t0 = std::chrono::steady_clock::now();
    step_untimed(m);
    const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0);
    m.compactions_.add(kContinues, static_cast<std::uint64_t>(ns.count()) * MigrationPacing::kTimedStepEvery);
  }

  static void step_untimed(Map& m) {
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
      move_keys(m, pace(m), work);
    }
    if (m.old_.size == 0) p.cursor = groups;  // every slot of old_ is dead
    work.released_bytes = release_dead_pages(m);
    MigrationPacing::StepWork& most = p.max_step_work;
    most.swept_groups = std::max(most.swept_groups, work.swept_groups);
    most.moved_keys = std::max(most.moved_keys, work.moved_keys);
    most.entered_groups = std::max(most.entered_groups, work.entered_groups);
    most.released_bytes = std::max(most.released_bytes, work.released_bytes);
    most.populated_bytes = std::max(most.populated_bytes, work.populated_bytes);
    if (m.old_.size == 0 && m.t_.ready == nullptr && work.released_bytes == 0) m.deallocate(m.old_);
  }

  // Keys this step moves: kKeysPerStep, unless t_ is running short of room.
  // After old_'s `left` keys land, t_ has room() for more (the steps after
  // the move set aside). If every step from now on inserted a key, steps of
  // kMaxKeysPerStep would still empty old_ before t_ fills as long as
  // left <= kMaxKeysPerStep x room; the start sizes t_ so that it holds at
  // first, and a step keeps it by moving at least
  // left - kMaxKeysPerStep x (room - 1). Under churn,
  // erases give room back as fast as inserts take it, so the pace stays at
  // kKeysPerStep; only a run of inserts (growth) raises it, near the end.
  static std::size_t pace(const Map& m) noexcept {
    const std::size_t left = m.old_.size;
    const std::size_t r = room(m);
    if (r == 0) return kMaxKeysPerStep;
    const std::size_t keep = kMaxKeysPerStep * (r - 1);
    return std::clamp(left > keep ? left - keep : 0, kKeysPerStep, kMaxKeysPerStep);
  }

  // Moves up to `keys` keys of old_, in slot order, reaching at most
  // kMaxGroupsPerStep new groups (a sparse table's empty groups cost a look
  // each). A group's keys are hashed and their home groups in t_ prefetched
  // when the group is reached, and the group after the last one emptied is
  // reached before the step ends, so the next step's moves find their lines
  // in cache rather than wait for them.
  static void move_keys(Map& m, std::size_t keys, MigrationPacing::StepWork& work) {
    MigrationProgress& p = m.progress_;
    const std::size_t groups = m.old_.capacity / kW;
    while (m.old_.size != 0 && p.cursor < groups) {
      if (!p.entered) {
        if (work.entered_groups == kMaxGroupsPerStep) return;
        enter_group(m);
        ++work.entered_groups;
      }
      if (p.pending == 0) {
        leave_group(m);
        continue;
      }
      if (work.moved_keys == keys) return;
      const std::uint32_t i = static_cast<std::uint32_t>(std::countr_zero(p.pending));
      p.pending &= p.pending - 1;
      if (move_key(m, p.cursor * kW + i, p.hashes[i])) ++work.moved_keys;
    }
  }

  // Reaches group `cursor` of old_: notes its keys, hashes them and asks
  // for their home groups in t_.
  static void enter_group(Map& m) {
    MigrationProgress& p = m.progress_;
    const Table& old = m.old_;
    const GroupT group(old.ctrl + p.cursor * kW);
    p.pending = group.match_full().bits();
    for (std::uint32_t i : group.match_full()) {
      p.hashes[i] = typename Map::hasher{}(old.slots[p.cursor * kW + i].key);
      __builtin_prefetch(m.t_.ctrl + Map::probe(m.t_, p.hashes[i]).offset() * kW, 1);
    }
    p.moved_in_group = 0;
    p.entered = true;
  }

  // Group `cursor` holds nothing live any more: its tombstones (not the
  // slots moved out, which also read kDeleted) leave old_'s count.
  static void leave_group(Map& m) {
    MigrationProgress& p = m.progress_;
    const auto dead = static_cast<std::size_t>(GroupT(m.old_.ctrl + p.cursor * kW).match(ctrl::kDeleted).count());
    m.old_.tombstones() -= dead - p.moved_in_group;
    ++p.cursor;
    p.entered = false;
  }

  // Moves slot idx of old_ (hash h) into t_, unless an erase emptied it
  // since its group was reached. Returns whether it moved a key.
  static bool move_key(Map& m, std::size_t idx, std::size_t h) {
    Table& old = m.old_;
    if (old.ctrl[idx] < 0) return false;  // erased since: kDeleted
    Slot& s = old.slots[idx];
    Map::place(m.t_, Map::find_first_non_full(m.t_, h), h, std::move(s.key), std::move(s.value));
    std::destroy_at(&s);
    old.ctrl[idx] = ctrl::kDeleted;  // keeps later keys' probe paths intact
    --old.size;
    ++m.progress_.moved_in_group;
    return true;
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
    m.prefetch_both_tables(h);
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
      // Cannot happen with the sizing in start and the pace; stay correct anyway.
      m.progress_.max_step_work.finished_at_once = true;
      finish(m);
      return m.insert(key, std::move(value));
    }
    Map::place(m.t_, target, h, key, std::move(value));
    step(m);
    return true;
  }

  [[gnu::noinline]] static bool erase(Map& m, const K& key, std::size_t h) {
    Table& old = m.old_;
    if (old.size != 0) m.prefetch_both_tables(h);
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
