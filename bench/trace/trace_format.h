// The study's own binary trace file (".dstrace"): a recorded operation
// sequence with every op's expected outcome already computed, laid out so the
// harness runs its op loop directly over the mapped records. docs/traces.md
// describes the layout for people who write one by other means.
//
//   offset 0                TraceHeader (kHeaderBytes, zero-padded)
//   ops_offset              op_count records, each an Operation (16 bytes:
//                           key_seed u64, key_index u32, type u8, 3 zero bytes)
//   value_sizes_offset      op_count u32: the value size the trace recorded
//                           (bytes; 0 where it has none), padded to 8 bytes
//   timestamps_offset       op_count u64: ns since the first record (only
//                           when flags has kHasTimestamps; offset 0 otherwise)
//   keys_offset             key_count u64: key seed by key index
//   key_sizes_offset        key_count u32: the key size the trace recorded
//                           (bytes) by key index, padded to 8 bytes (only
//                           when flags has kHasKeySizes; offset 0 otherwise)
//
// Little-endian, every section 8-byte aligned. The op type is the outcome
// (operation_stream.h): insert (absent key), update (present key), erase
// (present), erase_miss (absent), find_hit, find_miss.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>

#include "bench/workload/operation_stream.h"

namespace dstudy::trace {

static_assert(std::endian::native == std::endian::little, "the trace format is little-endian");

inline constexpr char kMagic[8] = {'D', 'S', 'T', 'R', 'A', 'C', 'E', '1'};
// 2: op_counts has 16 slots (the iteration op types made 9); 3: the key-size
// table (a version 2 file is version 3 without one, and still reads).
inline constexpr std::uint32_t kVersion = 3;
inline constexpr std::uint32_t kOldestReadableVersion = 2;
inline constexpr std::uint32_t kHasTimestamps = 1u;
inline constexpr std::uint32_t kHasKeySizes = 2u;
inline constexpr std::size_t kHeaderBytes = 256;
inline constexpr std::size_t kMaxOpTypes = 16;  // op_counts slots (kOpTypeCount used)

struct TraceHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t flags;
  std::uint64_t op_count;
  std::uint64_t key_count;  // distinct keys
  std::uint64_t ops_offset;
  std::uint64_t value_sizes_offset;
  std::uint64_t timestamps_offset;
  std::uint64_t keys_offset;
  std::uint64_t op_counts[kMaxOpTypes];  // ops of each OpType
  std::uint64_t peak_live;               // most keys live at once
  std::uint64_t live_at_end;
  char source_format[16];          // "csv", "twitter", "oraclegeneral" (NUL-padded)
  std::uint64_t key_sizes_offset;  // version 3
};
static_assert(sizeof(TraceHeader) <= kHeaderBytes);
static_assert(kOpTypeCount <= static_cast<int>(kMaxOpTypes));
static_assert(sizeof(Operation) == 16 && offsetof(Operation, key_index) == 8 && offsetof(Operation, type) == 12);

inline constexpr std::uint64_t align8(std::uint64_t n) { return (n + 7) & ~std::uint64_t{7}; }

}  // namespace dstudy::trace
