#include "bench/cell/repetition_process.h"

#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace dstudy::bench {

namespace {

void write_all(int fd, const std::string& s) {
  std::size_t done = 0;
  while (done < s.size()) {
    const ssize_t n = write(fd, s.data() + done, s.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

std::string read_all(int fd) {
  std::string s;
  char buf[1 << 16];
  for (;;) {
    const ssize_t n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return s;
    s.append(buf, static_cast<std::size_t>(n));
  }
}

[[noreturn]] void child(int fd, const std::function<nlohmann::json()>& work) {
  int code = 0;
  std::string out;
  try {
    out = work().dump();
  } catch (const std::exception& e) {
    out = nlohmann::json{{"error", e.what()}}.dump();
    code = 1;
  }
  write_all(fd, out);
  close(fd);
  // No exit handlers, no stdio flush: the parent owns those.
  _exit(code);
}

}  // namespace

nlohmann::json run_in_child_process(const std::string& what, const std::function<nlohmann::json()>& work) {
  int fds[2];
  if (pipe(fds) != 0) throw std::runtime_error(what + ": pipe: " + std::strerror(errno));
  std::fflush(nullptr);  // buffered output must not be written twice
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error(what + ": fork: " + std::strerror(errno));
  if (pid == 0) {
    close(fds[0]);
    child(fds[1], work);
  }
  close(fds[1]);
  const std::string text = read_all(fds[0]);
  close(fds[0]);
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFSIGNALED(status)) {
    const int sig = WTERMSIG(status);
    std::fprintf(stderr, "dstudy_bench: %s: process %d killed by signal %d (%s)\n", what.c_str(), static_cast<int>(pid),
                 sig, strsignal(sig));
    std::fflush(stderr);
    std::signal(sig, SIG_DFL);
    std::raise(sig);
    _exit(128 + sig);  // a signal that could not be raised
  }
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(text);
  } catch (const nlohmann::json::exception&) {
    throw std::runtime_error(what + ": process " + std::to_string(pid) + " exited " +
                             std::to_string(WEXITSTATUS(status)) + " without a result");
  }
  if (j.is_object() && j.contains("error")) throw std::runtime_error(what + ": " + j["error"].get<std::string>());
  return j;
}

}  // namespace dstudy::bench
