#include "bench/workload/stream_cache.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iomanip>
#include <memory>
#include <nlohmann/json.hpp>
#include <sstream>
#include <vector>

#include "bench/workload/mapped_file.h"

#define XXH_INLINE_ALL
#include <xxhash.h>

#ifndef DSTUDY_GENERATOR_VERSION
#error "the build defines DSTUDY_GENERATOR_VERSION (a hash of the generator's sources; CMakeLists.txt)"
#endif

namespace dstudy {

// A phase's metadata in the cache file: one JSON object, keyed by the field
// names (in namespace dstudy, where argument-dependent lookup finds them).
NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE(Phase, name, role, headline, retention, op_counts, begin, end, live_after,
                                   idle_probes_s, purge_probe, compact_probe)

namespace {

using json = nlohmann::json;
namespace fs = std::filesystem;

constexpr char kMagic[8] = {'D', 'S', 'S', 'T', 'R', 'E', 'A', 'M'};

// A field added to Phase, ThreadStream or OperationStream must be stored in
// the metadata below (and kStreamFileFormat raised), or a cached stream
// would silently lack it; these fail to compile until someone looks.
#if defined(__GLIBCXX__) && defined(__x86_64__)
static_assert(sizeof(Phase) == 200, "Phase changed: store the new field in its NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE");
static_assert(sizeof(ThreadStream) == 184, "ThreadStream changed: store the new field in the stream cache");
static_assert(sizeof(OperationStream) == 216, "OperationStream changed: store the new field in the stream cache");
#endif

std::uint64_t hash_text(const std::string& s) { return XXH3_64bits(s.data(), s.size()); }

// Writes the file's bytes after the header, hashing them as they go.
class BodyWriter {
 public:
  BodyWriter(std::FILE* f, const fs::path& path) : f_(f), path_(path), state_(XXH3_createState()) {
    if (!state_) throw StreamFileError(path.string() + ": out of memory for the content hash");
    XXH3_64bits_reset(state_);
  }
  ~BodyWriter() { XXH3_freeState(state_); }
  BodyWriter(const BodyWriter&) = delete;
  BodyWriter& operator=(const BodyWriter&) = delete;

  void write(const void* data, std::size_t bytes) {
    if (bytes == 0) return;
    if (std::fwrite(data, 1, bytes, f_) != bytes)
      throw StreamFileError(path_.string() + ": write failed: " + std::strerror(errno));
    XXH3_64bits_update(state_, data, bytes);
    at_ += bytes;
  }
  std::uint64_t at() const { return at_; }
  std::uint64_t hash() const { return XXH3_64bits_digest(state_); }

 private:
  std::FILE* f_;
  const fs::path& path_;
  XXH3_state_t* state_;
  std::uint64_t at_ = kStreamHeaderBytes;
};

// Holds an exclusive flock on a file for its lifetime.
class FileLock {
 public:
  explicit FileLock(const fs::path& file) : fd_(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666)) {
    if (fd_ < 0) throw StreamFileError(file.string() + ": cannot open the lock file: " + std::strerror(errno));
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) {
        const int err = errno;
        ::close(fd_);
        throw StreamFileError(file.string() + ": cannot lock: " + std::strerror(err));
      }
    }
  }
  ~FileLock() { ::close(fd_); }  // closing releases the lock
  FileLock(const FileLock&) = delete;
  FileLock& operator=(const FileLock&) = delete;

 private:
  int fd_;
};

// The stream's body: each thread's ops, the key table, the metadata.
// Returns the metadata's offset and length.
std::pair<std::uint64_t, std::uint64_t> write_body(BodyWriter& w, const std::string& identity,
                                                   const OperationStream& s) {
  // Only generated streams are cached: a trace's recorded timestamps and
  // key sizes are already in its own mapped file.
  if (!s.key_sizes.empty()) throw StreamFileError("a stream with recorded key sizes (a trace) is not cached");
  json threads = json::array();
  for (const ThreadStream& t : s.threads) {
    if (t.recorded_ns.size) throw StreamFileError("a stream with recorded timestamps (a trace) is not cached");
    threads.push_back(
        {{"ops_offset", w.at()}, {"op_count", t.ops.size()}, {"expected", t.expected}, {"phases", t.phases}});
    for (const Operation& op : t.ops) {
      Operation rec{};  // zero padding bytes: the file's content is deterministic
      rec.key_seed = op.key_seed;
      rec.key_index = op.key_index;
      rec.type = op.type;
      w.write(&rec, sizeof rec);
    }
  }
  const std::uint64_t keys_offset = w.at();
  w.write(s.key_seeds.data(), s.key_seeds.size() * sizeof(std::uint64_t));
  const json meta = {{"identity", identity},
                     {"workload", s.workload},
                     {"kv", s.kv},
                     {"seed", s.seed},
                     {"initial_size", s.initial_size},
                     {"size_profile", s.size_profile},
                     {"peak_live", s.peak_live},
                     {"live_after_phase", s.live_after_phase},
                     {"keys_offset", keys_offset},
                     {"key_count", s.key_seeds.size()},
                     {"threads", threads}};
  const std::string text = meta.dump();
  const std::uint64_t meta_offset = w.at();
  w.write(text.data(), text.size());
  return {meta_offset, text.size()};
}

// The header, after checking it against the file and the identity.
StreamFileHeader check_header(const fs::path& file, const MappedFile& m, const std::string& identity) {
  auto fail = [&](const std::string& what) -> StreamFileError { return StreamFileError(file.string() + ": " + what); };
  if (m.bytes < kStreamHeaderBytes)
    throw fail("truncated: " + std::to_string(m.bytes) + " bytes, less than a header (" +
               std::to_string(kStreamHeaderBytes) + ")");
  StreamFileHeader h;
  std::memcpy(&h, m.base, sizeof h);
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) throw fail("not a stream cache file (no DSSTREAM magic)");
  if (h.format != kStreamFileFormat)
    throw fail("stale: file format " + std::to_string(h.format) + ", this build writes " +
               std::to_string(kStreamFileFormat));
  if (h.file_bytes != m.bytes)
    throw fail("truncated or extended: the header says " + std::to_string(h.file_bytes) + " bytes, the file has " +
               std::to_string(m.bytes));
  if (h.identity_hash != hash_text(identity))
    throw fail("holds another stream (its identity hash differs: another spec, seed, size or generator version)");
  const auto* base = static_cast<const unsigned char*>(m.base);
  if (XXH3_64bits(base + kStreamHeaderBytes, m.bytes - kStreamHeaderBytes) != h.content_hash)
    throw fail("damaged: the content hash does not match the header's");
  if (h.meta_offset < kStreamHeaderBytes || h.meta_offset > m.bytes || m.bytes - h.meta_offset < h.meta_bytes)
    throw fail("damaged: the metadata lies outside the file");
  return h;
}

// An array of `n` items of `size` bytes at `offset` lies inside the file, aligned.
void check_section(const fs::path& file, const char* what, std::uint64_t offset, std::uint64_t n, std::uint64_t size,
                   std::uint64_t bytes) {
  if (offset % 8 || offset < kStreamHeaderBytes || offset > bytes || (bytes - offset) / size < n)
    throw StreamFileError(file.string() + ": damaged: " + what + " at byte offset " + std::to_string(offset) +
                          " lies outside the file");
}

OperationStream stream_from(const fs::path& file, const std::shared_ptr<MappedFile>& m, const json& meta) {
  auto* base = static_cast<unsigned char*>(m->base);
  OperationStream s;
  s.workload = meta.at("workload").get<std::string>();
  s.kv = meta.at("kv").get<std::string>();
  s.seed = meta.at("seed").get<std::uint64_t>();
  s.initial_size = meta.at("initial_size").get<std::size_t>();
  s.size_profile = meta.at("size_profile").get<std::string>();
  s.peak_live = meta.at("peak_live").get<std::size_t>();
  s.live_after_phase = meta.at("live_after_phase").get<std::vector<std::size_t>>();
  const auto keys_offset = meta.at("keys_offset").get<std::uint64_t>();
  const auto key_count = meta.at("key_count").get<std::uint64_t>();
  check_section(file, "the key table", keys_offset, key_count, sizeof(std::uint64_t), m->bytes);
  const auto* seeds = reinterpret_cast<const std::uint64_t*>(base + keys_offset);
  s.key_seeds.assign(seeds, seeds + key_count);
  for (const json& tj : meta.at("threads")) {
    ThreadStream& t = s.threads.emplace_back();
    const auto offset = tj.at("ops_offset").get<std::uint64_t>();
    const auto n = tj.at("op_count").get<std::uint64_t>();
    check_section(file, "a thread's ops", offset, n, sizeof(Operation), m->bytes);
    t.ops.view(reinterpret_cast<Operation*>(base + offset), n, m);
    const auto expected = tj.at("expected").get<std::vector<std::uint64_t>>();
    if (expected.size() != kOpTypeCount) throw std::invalid_argument("expected has the wrong length");
    std::copy(expected.begin(), expected.end(), t.expected);
    t.phases = tj.at("phases").get<std::vector<Phase>>();
  }
  return s;
}

}  // namespace

std::string_view stream_generator_version() { return DSTUDY_GENERATOR_VERSION; }

StreamIdentity stream_identity(const WorkloadSpec& spec, std::string_view size_profile, std::string_view kv,
                               std::optional<std::size_t> live_size_override) {
  std::ifstream in(spec.source);
  json file;
  try {
    if (!in) throw std::runtime_error("cannot read it");
    file = json::parse(in);
  } catch (const std::exception& e) {
    throw SpecError(spec.source.string() + ": the stream cache needs the spec file's content: " + e.what());
  }
  const json id = {{"format", kStreamFileFormat},
                   {"generator", stream_generator_version()},
                   {"spec", file},
                   {"workload", spec.name},
                   {"size", size_profile},
                   {"kv", kv},
                   {"seed", spec.seed},
                   {"live", live_size_override ? json(*live_size_override) : json(nullptr)},
                   {"threads", spec.threads_for(size_profile)}};
  std::string label = spec.name + "." + std::string(size_profile) + "." + std::string(kv);
  if (live_size_override) label += ".live" + std::to_string(*live_size_override);
  return {id.dump(), label};
}

void write_stream_file(const fs::path& file, const std::string& identity, const OperationStream& stream) {
  const fs::path partial = file.string() + ".partial." + std::to_string(::getpid());
  std::FILE* f = std::fopen(partial.c_str(), "wb");
  if (!f) throw StreamFileError(partial.string() + ": cannot write: " + std::strerror(errno));
  try {
    std::setvbuf(f, nullptr, _IOFBF, 1 << 20);
    StreamFileHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.format = kStreamFileFormat;
    h.identity_hash = hash_text(identity);
    if (std::fwrite(&h, sizeof h, 1, f) != 1) throw StreamFileError(partial.string() + ": write failed");
    BodyWriter w(f, partial);
    std::tie(h.meta_offset, h.meta_bytes) = write_body(w, identity, stream);
    h.file_bytes = w.at();
    h.content_hash = w.hash();
    if (std::fseek(f, 0, SEEK_SET) != 0 || std::fwrite(&h, sizeof h, 1, f) != 1 || std::fflush(f) != 0)
      throw StreamFileError(partial.string() + ": write failed: " + std::strerror(errno));
    if (std::fclose(f) != 0) {
      f = nullptr;
      throw StreamFileError(partial.string() + ": write failed: " + std::strerror(errno));
    }
    f = nullptr;
    std::error_code ec;
    fs::rename(partial, file, ec);
    if (ec)
      throw StreamFileError(file.string() + ": cannot rename " + partial.string() + " into place: " + ec.message());
  } catch (...) {
    if (f) std::fclose(f);
    std::error_code ec;
    fs::remove(partial, ec);
    throw;
  }
}

OperationStream read_stream_file(const fs::path& file, const std::string& identity) {
  std::shared_ptr<MappedFile> m;
  try {
    m = map_file(file);
  } catch (const std::runtime_error& e) {
    throw StreamFileError(e.what());
  }
  const StreamFileHeader h = check_header(file, *m, identity);
  try {
    const json meta = json::parse(static_cast<const char*>(m->base) + h.meta_offset,
                                  static_cast<const char*>(m->base) + h.meta_offset + h.meta_bytes);
    if (meta.at("identity").get<std::string>() != identity)
      throw StreamFileError(file.string() + ": holds another stream (its identity differs)");
    return stream_from(file, m, meta);
  } catch (const StreamFileError&) {
    throw;
  } catch (const std::exception& e) {
    throw StreamFileError(file.string() + ": damaged metadata: " + e.what());
  }
}

StreamCache::StreamCache(fs::path dir) : dir_(std::move(dir)) {
  std::error_code ec;
  fs::create_directories(dir_, ec);
  if (ec || !fs::is_directory(dir_))
    throw std::runtime_error("cannot create the stream cache folder " + dir_.string() + ": " +
                             (ec ? ec.message() : "not a folder"));
}

fs::path StreamCache::file_for(const StreamIdentity& identity) const {
  std::ostringstream name;
  name << identity.label << '.' << std::hex << std::setw(16) << std::setfill('0') << hash_text(identity.text)
       << ".dstream";
  return dir_ / name.str();
}

OperationStream StreamCache::get(const StreamIdentity& identity, const std::function<OperationStream()>& generate) {
  last_ = Report{};
  last_.file = file_for(identity);
  auto try_read = [&]() -> std::optional<OperationStream> {
    if (!fs::exists(last_.file)) return std::nullopt;
    try {
      last_.outcome = Outcome::kRead;
      return read_stream_file(last_.file, identity.text);
    } catch (const StreamFileError& e) {
      last_.replaced = e.what();
      return std::nullopt;
    }
  };
  if (auto s = try_read()) return std::move(*s);
  {
    // One process generates a stream; any other that wants it waits here and
    // then reads what the first one wrote.
    std::optional<FileLock> lock;
    try {
      lock.emplace(last_.file.string() + ".lock");
    } catch (const StreamFileError& e) {
      last_.outcome = Outcome::kUncached;
      last_.write_error = e.what();
      return generate();
    }
    if (auto s = try_read()) return std::move(*s);
    OperationStream generated = generate();
    try {
      write_stream_file(last_.file, identity.text, generated);
    } catch (const StreamFileError& e) {
      last_.outcome = Outcome::kUncached;
      last_.write_error = e.what();
      return generated;
    }
  }
  last_.outcome = Outcome::kGenerated;
  return read_stream_file(last_.file, identity.text);
}

}  // namespace dstudy
