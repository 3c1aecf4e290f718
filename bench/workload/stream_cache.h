// The stream cache: a generated operation stream written once to a file and
// read by every later cell that runs the same stream, so generation (11 s of
// CPU for zipf_churn at full size) is paid once per stream, not per cell.
//
// A stream's identity is everything it is made from (stream_identity): the
// spec file's content, the workload's name, size profile, kv kind, seed,
// live size and threads, the generator's version (a hash of its source
// files, computed by the build) and this file format's version. Each
// identity has its own file, <workload>.<size>.<kv>.<hash of identity>.dstream,
// laid out so the harness runs its op loop directly over the mapped records
// (as it does over a trace, bench/trace/):
//
//   offset 0        StreamFileHeader (kStreamHeaderBytes)
//   ...             each thread's ops: Operation records (16 bytes, 8-aligned)
//   keys_offset     the key seeds by key index (u64)
//   meta_offset     JSON: the identity and the rest of the stream (phases,
//                   expected outcomes, live sizes, the offsets above)
//
// The header carries the file's length and an XXH3 hash of everything after
// it, and the metadata the full identity text: a truncated, damaged, stale
// (another generator or format) or foreign (another identity) file is never
// used; it is regenerated in its place. A file is written as
// <file>.partial.<pid> and renamed into place when complete, under an
// exclusive lock on <file>.lock, so cells starting at once (shards) neither
// read a half-written file nor generate the same stream twice.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "bench/workload/operation_stream.h"
#include "bench/workload/workload_spec.h"

namespace dstudy {

inline constexpr std::uint32_t kStreamFileFormat = 1;
inline constexpr std::size_t kStreamHeaderBytes = 64;

struct StreamFileHeader {
  char magic[8];  // "DSSTREAM"
  std::uint32_t format;
  std::uint32_t reserved;
  std::uint64_t file_bytes;     // the whole file
  std::uint64_t content_hash;   // XXH3-64 of bytes [kStreamHeaderBytes, file_bytes)
  std::uint64_t identity_hash;  // XXH3-64 of the identity text
  std::uint64_t meta_offset;
  std::uint64_t meta_bytes;
  std::uint64_t padding;
};
static_assert(sizeof(StreamFileHeader) == kStreamHeaderBytes);

// Why a cache file cannot be used: it is missing, truncated, damaged, stale
// or holds another stream. The message names the file.
class StreamFileError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct StreamIdentity {
  std::string text;   // canonical JSON of everything the stream is made from
  std::string label;  // <workload>.<size>.<kv>[.live<N>]: the readable start of its file name
};

// The identity of the stream generate_stream(spec, size_profile, kv,
// live_size_override) makes (spec as the harness runs it: seed overridden,
// sweep size added). Reads spec.source; throws SpecError if it cannot.
StreamIdentity stream_identity(const WorkloadSpec& spec, std::string_view size_profile, std::string_view kv,
                               std::optional<std::size_t> live_size_override);

// The generator's version: a hash of its source files (the build computes it).
std::string_view stream_generator_version();

// Writes `stream` to `file` under `identity`: to file.partial.<pid>, then
// renamed into place. Throws StreamFileError; leaves no partial file.
void write_stream_file(const std::filesystem::path& file, const std::string& identity, const OperationStream& stream);

// The stream in `file`, its ops a view over the mapped records (OpSequence),
// after checking the header, the length, the content hash and the identity.
// Throws StreamFileError saying what is wrong.
OperationStream read_stream_file(const std::filesystem::path& file, const std::string& identity);

class StreamCache {
 public:
  // Creates `dir` if needed. Throws std::runtime_error naming it.
  explicit StreamCache(std::filesystem::path dir);

  std::filesystem::path file_for(const StreamIdentity& identity) const;

  // What the last get() did.
  enum class Outcome { kRead, kGenerated, kUncached };
  struct Report {
    Outcome outcome = Outcome::kUncached;
    std::filesystem::path file;
    std::string replaced;     // why a file that was there was not used (empty: none was, or it was used)
    std::string write_error;  // kUncached: why the generated stream could not be stored
  };

  // The stream of `identity`: read from its file when that holds it, else
  // made by `generate`, written, and read back from the file (so every cell
  // runs over the same kind of memory). A stream that cannot be stored
  // (disk full) is returned as generated, and the report says why.
  OperationStream get(const StreamIdentity& identity, const std::function<OperationStream()>& generate);
  const Report& last() const { return last_; }

 private:
  std::filesystem::path dir_;
  Report last_;
};

}  // namespace dstudy
