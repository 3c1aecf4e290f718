#include "bench/probes/process_counters.h"

#include <sys/resource.h>
#include <unistd.h>

#include <cstdio>

namespace dstudy::probes {

namespace {

// Steal ticks of all CPUs: the eighth value of /proc/stat's first line.
// Read with stdio into a stack buffer: no allocation, so the heap layer is
// untouched when this is read inside a memory pass.
double steal_seconds() noexcept {
  std::FILE* f = std::fopen("/proc/stat", "re");
  if (!f) return 0;
  char line[512];
  unsigned long long v[8] = {};
  const bool ok =
      std::fgets(line, sizeof line, f) && std::sscanf(line, "cpu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                                                      &v[2], &v[3], &v[4], &v[5], &v[6], &v[7]) == 8;
  std::fclose(f);
  const long hz = sysconf(_SC_CLK_TCK);
  return ok && hz > 0 ? static_cast<double>(v[7]) / static_cast<double>(hz) : 0;
}

}  // namespace

ProcessCounters read_process_counters() noexcept {
  ProcessCounters c;
  rusage u{};
  if (getrusage(RUSAGE_SELF, &u) == 0) {
    c.minor_faults = static_cast<std::uint64_t>(u.ru_minflt);
    c.major_faults = static_cast<std::uint64_t>(u.ru_majflt);
    c.voluntary_switches = static_cast<std::uint64_t>(u.ru_nvcsw);
    c.involuntary_switches = static_cast<std::uint64_t>(u.ru_nivcsw);
  }
  c.steal_seconds = steal_seconds();
  return c;
}

ProcessCounters operator-(const ProcessCounters& a, const ProcessCounters& b) noexcept {
  return {a.minor_faults - b.minor_faults, a.major_faults - b.major_faults, a.voluntary_switches - b.voluntary_switches,
          a.involuntary_switches - b.involuntary_switches, a.steal_seconds - b.steal_seconds};
}

}  // namespace dstudy::probes
