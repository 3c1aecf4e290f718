// What a container says it holds. The harness samples it between operations
// (never inside a timed region) and writes it beside the allocator's and the
// kernel's view of memory, so a reader can tell container overhead from
// allocator retention.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace dstudy {

struct Footprint {
  // Heap bytes the container holds for its own structure: slot arrays,
  // control bytes, nodes, buckets, indexes. Bytes that stored keys/values own
  // on the heap (long strings, blobs) are not counted here: the harness knows
  // them from the operation stream.
  std::size_t bytes = 0;
  // Slots (hash tables, rings) or reserved elements (vectors). Unknown when
  // the container does not say.
  std::optional<std::size_t> capacity;
  // Load factor at which the container grows: capacity * max_load is its
  // growth point. Lets the harness size a workload relative to it.
  std::optional<double> max_load;
  // Erased entries still occupying space: tombstones, dead ring slots,
  // lazily erased vector entries.
  std::optional<std::size_t> tombstones;
  // Rehashes, in-place cleanups, shrinks and compactions so far, and the time
  // they took (nanoseconds).
  std::optional<std::size_t> compactions;
  std::optional<std::uint64_t> compaction_ns;
  // Bytes erased but not yet freed (deferred reclamation in concurrent maps).
  std::optional<std::size_t> reclaim_pending_bytes;
  // The most bytes that were ever erased but not yet freed at once, or an
  // upper bound of it (the concurrent map sums its retire lists' peaks).
  std::optional<std::size_t> reclaim_pending_peak_bytes;
};

}  // namespace dstudy
