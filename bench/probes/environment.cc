#include "bench/probes/environment.h"

#include <gnu/libc-version.h>
#include <sys/utsname.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>
#include <utility>

#include "bench/probes/memory_probe.h"

#ifndef DSTUDY_CXX_FLAGS
#define DSTUDY_CXX_FLAGS ""
#endif
#ifndef DSTUDY_BUILD_TYPE
#define DSTUDY_BUILD_TYPE ""
#endif
#ifndef DSTUDY_SOURCE_DIR
#define DSTUDY_SOURCE_DIR ""
#endif

namespace dstudy::probes {

namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t\r\n");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string read_first_line(const std::string& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return trim(line);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("model name", 0) == 0) {
      const auto colon = line.find(':');
      if (colon != std::string::npos) return trim(line.substr(colon + 1));
    }
  }
  return "unknown";
}

// The machine's name: cells of one run measured on several machines (shards
// of a batch job) say where each ran.
std::string host_name() {
  char buf[256] = {};
  if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown";
  return buf;
}

std::string run_command(const std::string& cmd) {
  std::string out;
  if (FILE* p = ::popen(cmd.c_str(), "r")) {
    char buf[256];
    while (std::fgets(buf, sizeof buf, p)) out += buf;
    if (::pclose(p) != 0) return "";
  }
  return trim(out);
}

std::string compiler() {
#if defined(__clang__)
  return std::string("clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("gcc ") + __VERSION__;
#else
  return "unknown";
#endif
}

// Frequency boost: acpi-cpufreq's boost switch or intel_pstate's no_turbo;
// null when neither exists (as in most virtual machines).
nlohmann::json turbo() {
  const std::string boost = read_first_line("/sys/devices/system/cpu/cpufreq/boost");
  if (!boost.empty()) return boost == "1";
  const std::string no_turbo = read_first_line("/sys/devices/system/cpu/intel_pstate/no_turbo");
  if (!no_turbo.empty()) return no_turbo == "0";
  return nullptr;
}

}  // namespace

nlohmann::json cache_bytes_from_sysfs(const std::string& sys_root) {
  nlohmann::json out = nlohmann::json::object();
  for (int i = 0; i < 8; ++i) {
    const std::string dir = sys_root + "/devices/system/cpu/cpu0/cache/index" + std::to_string(i) + "/";
    const std::string level = read_first_line(dir + "level"), type = read_first_line(dir + "type"),
                      size = read_first_line(dir + "size");
    if (level.empty() || size.empty()) continue;
    std::size_t bytes = std::strtoull(size.c_str(), nullptr, 10);
    if (size.back() == 'K') bytes <<= 10;
    if (size.back() == 'M') bytes <<= 20;
    std::string name = "L" + level;
    if (type == "Data") name += "d";
    if (type == "Instruction") name += "i";
    out[name] = bytes;
  }
  return out;
}

nlohmann::json cache_bytes_from_sysconf() {
  nlohmann::json out = nlohmann::json::object();
  const std::pair<const char*, int> levels[] = {{"L1d", _SC_LEVEL1_DCACHE_SIZE},
                                                {"L1i", _SC_LEVEL1_ICACHE_SIZE},
                                                {"L2", _SC_LEVEL2_CACHE_SIZE},
                                                {"L3", _SC_LEVEL3_CACHE_SIZE}};
  for (const auto& [name, key] : levels) {
    const long bytes = ::sysconf(key);  // 0 or -1 when glibc does not know
    if (bytes > 0) out[name] = static_cast<std::size_t>(bytes);
  }
  return out;
}

nlohmann::json cache_bytes_from_cpuid() {
  nlohmann::json out = nlohmann::json::object();
#if defined(__x86_64__) || defined(__i386__)
  // Intel's leaf 4 and AMD's leaf 0x8000001D describe one cache per subleaf
  // in the same layout; AMD answers leaf 4 with zeros.
  for (const unsigned leaf : {4u, 0x8000001Du}) {
    if (__get_cpuid_max(leaf & 0x80000000u, nullptr) < leaf) continue;
    for (unsigned sub = 0; sub < 16; ++sub) {
      unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
      if (!__get_cpuid_count(leaf, sub, &eax, &ebx, &ecx, &edx)) break;
      const unsigned type = eax & 0x1f;  // 0: no more caches, 1: data, 2: instruction, 3: unified
      if (type == 0) break;
      const std::size_t ways = ((ebx >> 22) & 0x3ff) + 1, partitions = ((ebx >> 12) & 0x3ff) + 1,
                        line = (ebx & 0xfff) + 1, sets = std::size_t{ecx} + 1;
      std::string name = "L" + std::to_string((eax >> 5) & 0x7);
      if (type == 1) name += "d";
      if (type == 2) name += "i";
      out[name] = ways * partitions * line * sets;
    }
    if (!out.empty()) break;
  }
#endif
  return out;
}

nlohmann::json cache_bytes(const std::string& sys_root) {
  nlohmann::json out = cache_bytes_from_sysfs(sys_root);
  if (out.empty()) out = cache_bytes_from_sysconf();
  if (out.empty()) out = cache_bytes_from_cpuid();
  return out;
}

std::string git_revision(const std::string& source_dir) {
  if (source_dir.empty()) return "";
  // git itself knows about worktrees, packed refs and local changes.
  std::string rev = run_command("git -C '" + source_dir + "' rev-parse HEAD 2>/dev/null");
  if (!rev.empty()) {
    const std::string dirty =
        run_command("git -C '" + source_dir + "' status --porcelain --untracked-files=no 2>/dev/null");
    return dirty.empty() ? rev : rev + "+dirty";
  }
  // No git binary: read .git/HEAD and the ref it names.
  const std::string head = read_first_line(source_dir + "/.git/HEAD");
  if (head.rfind("ref: ", 0) != 0) return head;
  const std::string ref = head.substr(5);
  std::string hash = read_first_line(source_dir + "/.git/" + ref);
  if (!hash.empty()) return hash;
  std::ifstream packed(source_dir + "/.git/packed-refs");
  std::string line;
  while (std::getline(packed, line)) {
    if (line.size() > 41 && line.compare(41, std::string::npos, ref) == 0) return line.substr(0, 40);
  }
  return "";
}

nlohmann::json collect_environment(const std::vector<std::string>& argv, const nlohmann::json& extra_libraries) {
  nlohmann::json env;
  env["host"] = host_name();
  env["cpu_model"] = cpu_model();
  env["cores"] = std::thread::hardware_concurrency();
  const std::string governor = read_first_line("/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor");
  env["governor"] = governor.empty() ? nlohmann::json(nullptr) : nlohmann::json(governor);
  env["cache_bytes"] = cache_bytes("/sys");
  env["turbo"] = turbo();
  struct utsname u {};
  if (::uname(&u) == 0) {
    env["kernel"] = std::string(u.sysname) + " " + u.release + " " + u.version + " " + u.machine;
  } else {
    env["kernel"] = nullptr;
  }
  env["compiler"] = compiler();
  env["cxx_flags"] = trim(DSTUDY_CXX_FLAGS);
  env["build_type"] = DSTUDY_BUILD_TYPE;
  const MemoryProbe& probe = MemoryProbe::instance();
  env["allocator"] = {{"name", probe.allocator_name()},
                      {"version", probe.allocator_version().empty() ? nlohmann::json(nullptr)
                                                                    : nlohmann::json(probe.allocator_version())}};
  nlohmann::json libs = {
      {"benchmark", "1.7.1"},  // the Debian package the build requires; the header carries no version macro
      {"nlohmann_json", std::to_string(NLOHMANN_JSON_VERSION_MAJOR) + "." +
                            std::to_string(NLOHMANN_JSON_VERSION_MINOR) + "." +
                            std::to_string(NLOHMANN_JSON_VERSION_PATCH)},
      {"glibc", gnu_get_libc_version()},
#ifdef __GLIBCXX__
      {"libstdcxx", std::to_string(__GLIBCXX__)},
#endif
  };
  for (auto it = extra_libraries.begin(); it != extra_libraries.end(); ++it) libs[it.key()] = it.value();
  env["libraries"] = libs;
  // Settings that change the allocator's behaviour (preload, eager-return
  // variants): part of what the cell measured.
  nlohmann::json alloc_env = nlohmann::json::object();
  for (char** e = environ; e && *e; ++e) {
    const std::string kv = *e;
    const auto eq = kv.find('=');
    const std::string key = kv.substr(0, eq);
    if (key == "LD_PRELOAD" || key == "MALLOC_CONF" || key == "GLIBC_TUNABLES" || key.rfind("MALLOC_", 0) == 0 ||
        key.rfind("MIMALLOC_", 0) == 0 || key.rfind("TCMALLOC_", 0) == 0 || key.rfind("JE_MALLOC_", 0) == 0)
      alloc_env[key] = eq == std::string::npos ? "" : kv.substr(eq + 1);
  }
  env["allocator_env"] = alloc_env;
  const std::string rev = git_revision(DSTUDY_SOURCE_DIR);
  env["git_revision"] = rev.empty() ? nlohmann::json(nullptr) : nlohmann::json(rev);
  std::ostringstream cmd;
  for (std::size_t i = 0; i < argv.size(); ++i) {
    if (i) cmd << ' ';
    const std::string& a = argv[i];
    const bool plain = !a.empty() && a.find_first_of(" \t\"'\\$`") == std::string::npos;
    if (plain) {
      cmd << a;
    } else {
      cmd << '\'';
      for (char c : a) {
        if (c == '\'') cmd << "'\\''";
        else cmd << c;
      }
      cmd << '\'';
    }
  }
  env["command_line"] = cmd.str();
  return env;
}

}  // namespace dstudy::probes
