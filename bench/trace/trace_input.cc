#include "bench/trace/trace_input.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>

#include "bench/trace/trace_error.h"

extern char** environ;

namespace dstudy::trace {
namespace {

// The Debian package that installs each program (for the message).
const char* package_of(Compression c) {
  switch (c) {
    case Compression::kXz: return "xz-utils";
    default: return compression_name(c);
  }
}

bool starts_with(std::string_view head, std::string_view magic) { return head.substr(0, magic.size()) == magic; }

}  // namespace

Compression detect_compression(std::string_view head) {
  using namespace std::string_view_literals;
  if (starts_with(head, "\x28\xb5\x2f\xfd"sv)) return Compression::kZstd;
  if (starts_with(head, "\x1f\x8b"sv)) return Compression::kGzip;
  if (starts_with(head, "\xfd\x37\x7a\x58\x5a\x00"sv)) return Compression::kXz;
  // "BZh", a block size digit, then a block's magic (pi) or the end-of-stream one (sqrt(pi)).
  if (head.size() >= 10 && starts_with(head, "BZh"sv) && head[3] >= '1' && head[3] <= '9' &&
      (head.substr(4, 6) == "\x31\x41\x59\x26\x53\x59"sv || head.substr(4, 6) == "\x17\x72\x45\x38\x50\x90"sv))
    return Compression::kBzip2;
  return Compression::kNone;
}

const char* compression_name(Compression c) {
  static constexpr const char* kNames[] = {"", "zstd", "gzip", "xz", "bzip2"};
  return kNames[static_cast<int>(c)];
}

TraceInput::TraceInput(const std::filesystem::path& path) : path_(path) {
  file_ = std::fopen(path.c_str(), "rb");
  if (!file_) throw TraceError(path.string() + ": cannot read: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(::fileno(file_), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::fclose(file_);
    throw TraceError(path.string() + ": is a folder, not a trace file");
  }
  char head[10];
  const std::size_t got = std::fread(head, 1, sizeof head, file_);
  if (got == 0) {
    const bool failed = std::ferror(file_);
    std::fclose(file_);
    throw TraceError(path.string() + (failed ? ": cannot read: " + std::string(std::strerror(errno)) : ": empty file"));
  }
  compression_ = detect_compression(std::string_view(head, got));
  if (compression_ == Compression::kNone) {
    std::rewind(file_);
    std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
    return;
  }
  std::fclose(file_);
  file_ = nullptr;
  // The program reads the file itself (its path after "--", so no name is
  // taken for an option) and writes the data to a pipe this process reads.
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw TraceError(path.string() + ": pipe: " + std::strerror(errno));
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], STDOUT_FILENO);
  std::string program = compression_name(compression_), dc = "-dc", dashes = "--", file = path.string();
  char* argv[] = {program.data(), dc.data(), dashes.data(), file.data(), nullptr};
  const int rc = ::posix_spawnp(&child_, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  ::close(fds[1]);
  if (rc != 0) {
    ::close(fds[0]);
    child_ = -1;
    throw TraceError(
        path.string() + ": is " + program + "-compressed, and reading it needs the '" + program + "' program" +
        (rc == ENOENT
             ? ", which is not installed (Debian: apt-get install " + std::string(package_of(compression_)) + ")"
             : ": " + std::string(std::strerror(rc))) +
        "; or decompress it first");
  }
  file_ = ::fdopen(fds[0], "rb");
  if (!file_) {
    ::close(fds[0]);
    throw TraceError(path.string() + ": fdopen: " + std::strerror(errno));
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

std::string TraceInput::describe() const {
  if (compression_ == Compression::kNone) return path_.string();
  return path_.string() + " (" + compression_name(compression_) + "-decompressed)";
}

void TraceInput::finish() {
  const bool read_failed = std::ferror(file_);
  std::fclose(file_);
  file_ = nullptr;
  if (read_failed) throw TraceError(describe() + ": read failed: " + std::strerror(errno));
  if (child_ < 0) return;
  int status = 0;
  const pid_t pid = child_;
  child_ = -1;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    throw TraceError(path_.string() + ": '" + compression_name(compression_) + " -dc' failed (" +
                     (WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                                        : "signal " + std::to_string(WTERMSIG(status))) +
                     "): the compressed data is damaged or truncated");
}

void TraceInput::finish_after_bad_record() {
  if (child_ < 0) return;
  char buf[1 << 16];
  for (std::size_t drained = 0; drained < (std::size_t{64} << 20);) {
    const std::size_t n = std::fread(buf, 1, sizeof buf, file_);
    if (n == 0) {
      finish();  // at the end of the data: throws if the program failed
      return;
    }
    drained += n;
  }
}

TraceInput::~TraceInput() {
  if (file_) std::fclose(file_);
  if (child_ >= 0) {  // stopped early (a bad record): the rest is not needed
    ::kill(child_, SIGTERM);
    int status;
    while (::waitpid(child_, &status, 0) < 0 && errno == EINTR) {
    }
  }
}

}  // namespace dstudy::trace
