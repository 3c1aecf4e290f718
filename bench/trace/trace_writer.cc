#include "bench/trace/trace_writer.h"

#include <cerrno>
#include <cstring>
#include <vector>

#include "bench/trace/trace_error.h"
#include "bench/workload/stream_generator.h"

namespace dstudy::trace {
namespace {

constexpr std::size_t kBufferBytes = 1 << 20;

// Read back too: the side files are appended to the trace at the end.
std::FILE* open_for_write(const std::filesystem::path& p) {
  std::FILE* f = std::fopen(p.c_str(), "w+b");
  if (!f) throw TraceError(p.string() + ": cannot write: " + std::strerror(errno));
  std::setvbuf(f, nullptr, _IOFBF, kBufferBytes);
  return f;
}

void write_or_throw(std::FILE* f, const void* data, std::size_t bytes, const std::filesystem::path& p) {
  if (bytes && std::fwrite(data, 1, bytes, f) != bytes)
    throw TraceError(p.string() + ": write failed: " + std::strerror(errno));
}

// Appends the whole of `from` (a side file) to `to`.
void append_file(std::FILE* to, const std::filesystem::path& to_path, std::FILE* from) {
  if (std::fflush(from) != 0) throw TraceError(to_path.string() + ": write failed: " + std::strerror(errno));
  std::rewind(from);
  std::vector<char> buf(kBufferBytes);
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), from)) > 0) write_or_throw(to, buf.data(), n, to_path);
}

void pad_to_8(std::FILE* f, const std::filesystem::path& p) {
  static constexpr char zeros[8] = {};
  const long at = std::ftell(f);
  write_or_throw(f, zeros,
                 static_cast<std::size_t>(align8(static_cast<std::uint64_t>(at)) - static_cast<std::uint64_t>(at)), p);
}

}  // namespace

TraceWriter::TraceWriter(std::filesystem::path out, std::string source_format)
    : out_(std::move(out)),
      partial_(out_.string() + ".partial"),
      sizes_path_(out_.string() + ".partial.sizes"),
      times_path_(out_.string() + ".partial.times") {
  std::memcpy(header_.magic, kMagic, sizeof kMagic);
  header_.version = kVersion;
  std::strncpy(header_.source_format, source_format.c_str(), sizeof header_.source_format - 1);
  header_.ops_offset = kHeaderBytes;
  try {
    main_ = open_for_write(partial_);
    sizes_ = open_for_write(sizes_path_);
    times_ = open_for_write(times_path_);
    static constexpr char zeros[kHeaderBytes] = {};
    write_or_throw(main_, zeros, kHeaderBytes, partial_);  // the header goes here at the end
  } catch (...) {
    close_all();
    throw;
  }
}

TraceWriter::~TraceWriter() { close_all(); }

void TraceWriter::close_all() {
  for (std::FILE** f : {&main_, &sizes_, &times_})
    if (*f) std::fclose(*f), *f = nullptr;
  std::error_code ec;
  std::filesystem::remove(sizes_path_, ec);
  std::filesystem::remove(times_path_, ec);
  if (!finished_) std::filesystem::remove(partial_, ec);
}

void TraceWriter::add(const Operation& op, std::uint32_t value_size, std::optional<std::uint64_t> t_ns) {
  if (!timestamps_) timestamps_ = t_ns.has_value();
  if (*timestamps_ != t_ns.has_value())
    throw TraceError(
        out_.string() + ": op " + std::to_string(header_.op_count) +
        (t_ns ? " has a timestamp and earlier ops have none" : " has no timestamp and earlier ops have one"));
  Operation rec{};  // zero padding bytes: the file's content is deterministic
  rec.key_seed = op.key_seed;
  rec.key_index = op.key_index;
  rec.type = op.type;
  write_or_throw(main_, &rec, sizeof rec, partial_);
  write_or_throw(sizes_, &value_size, sizeof value_size, sizes_path_);
  if (t_ns) write_or_throw(times_, &*t_ns, sizeof *t_ns, times_path_);
  ++header_.op_counts[static_cast<int>(op.type)];
  ++header_.op_count;
}

void TraceWriter::finish(std::uint64_t key_count, std::uint64_t peak_live, std::uint64_t live_at_end,
                         std::span<const std::uint32_t> key_sizes) {
  if (!key_sizes.empty() && key_sizes.size() != key_count)
    throw TraceError(out_.string() + ": " + std::to_string(key_sizes.size()) + " key sizes for " +
                     std::to_string(key_count) + " keys");
  header_.key_count = key_count;
  header_.peak_live = peak_live;
  header_.live_at_end = live_at_end;
  header_.value_sizes_offset = static_cast<std::uint64_t>(std::ftell(main_));
  append_file(main_, partial_, sizes_);
  pad_to_8(main_, partial_);
  if (timestamps_.value_or(false)) {
    header_.flags |= kHasTimestamps;
    header_.timestamps_offset = static_cast<std::uint64_t>(std::ftell(main_));
    append_file(main_, partial_, times_);
  }
  header_.keys_offset = static_cast<std::uint64_t>(std::ftell(main_));
  for (std::uint64_t i = 0; i < key_count; ++i) {
    const std::uint64_t seed = workload_detail::key_seed_of(i, KeyEncoding::kHashed);
    write_or_throw(main_, &seed, sizeof seed, partial_);
  }
  if (!key_sizes.empty()) {
    header_.flags |= kHasKeySizes;
    header_.key_sizes_offset = static_cast<std::uint64_t>(std::ftell(main_));
    write_or_throw(main_, key_sizes.data(), key_sizes.size_bytes(), partial_);
    pad_to_8(main_, partial_);
  }
  std::rewind(main_);
  write_or_throw(main_, &header_, sizeof header_, partial_);
  if (std::fflush(main_) != 0) throw TraceError(partial_.string() + ": write failed: " + std::strerror(errno));
  std::fclose(main_);
  main_ = nullptr;
  std::error_code ec;
  std::filesystem::rename(partial_, out_, ec);
  if (ec) throw TraceError(out_.string() + ": cannot rename " + partial_.string() + " into place: " + ec.message());
  finished_ = true;
  close_all();
}

}  // namespace dstudy::trace
