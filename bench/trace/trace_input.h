// A trace file opened for reading, decompressed on the way when its first
// bytes are a compressor's magic (zstd, gzip, xz, bzip2): the file is read
// through the compressor's own program (`zstd -dc`, `gzip -dc`, `xz -dc`,
// `bzip2 -dc`), started without a shell, so a trace is converted as
// published, without a decompressed copy on disk. A compressed file whose
// program is not installed is refused, naming the compression and the
// program; a program that fails (damaged data) fails the conversion.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace dstudy::trace {

enum class Compression : std::uint8_t { kNone, kZstd, kGzip, kXz, kBzip2 };

// The compression `head` (a file's first bytes, 8 are enough) starts with.
Compression detect_compression(std::string_view head);
// "zstd", "gzip", "xz", "bzip2" (also the program's name); "" for kNone.
const char* compression_name(Compression c);

class TraceInput {
 public:
  // Throws TraceError naming the file: unreadable, empty, or compressed with
  // no program to read it.
  explicit TraceInput(const std::filesystem::path& path);
  ~TraceInput();
  TraceInput(const TraceInput&) = delete;
  TraceInput& operator=(const TraceInput&) = delete;

  std::FILE* file() const { return file_; }
  Compression compression() const { return compression_; }
  // For messages: the path, and "(zstd-decompressed)" when it was.
  std::string describe() const;
  // Call once the data is read: throws TraceError when the read failed or
  // the decompressing program reported an error.
  void finish();
  // Call when a record was bad: throws the decompressing program's error
  // instead when it failed (truncated or damaged data makes bad records).
  // The rest of the data is read first (up to 64 MiB) to learn how the
  // program ends; past that it is stopped and the record's error stands.
  void finish_after_bad_record();

 private:
  std::filesystem::path path_;
  Compression compression_ = Compression::kNone;
  std::FILE* file_ = nullptr;
  pid_t child_ = -1;
};

}  // namespace dstudy::trace
