#include "bench/probes/machine_load.h"

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <sstream>

namespace dstudy::probes {

namespace {

double seconds(const timeval& t) { return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_usec) * 1e-6; }

double cpu_seconds(int who) {
  rusage u{};
  getrusage(who, &u);
  return seconds(u.ru_utime) + seconds(u.ru_stime);
}

std::optional<double> loadavg_1m() {
  std::ifstream in("/proc/loadavg");
  double x = 0;
  if (in >> x) return x;
  return std::nullopt;
}

}  // namespace

MachineLoadProbe::MachineLoadProbe(int cell_threads) : cell_threads_(std::max(1, cell_threads)), start_(read()) {}

MachineLoadProbe::Reading MachineLoadProbe::read() {
  Reading r;
  r.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  std::ifstream in("/proc/stat");
  std::string line;
  if (std::getline(in, line) && line.rfind("cpu ", 0) == 0) {
    std::istringstream f(line.substr(4));
    std::uint64_t user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0;
    f >> user >> nice >> system >> idle >> iowait >> irq >> softirq >> steal;
    r.busy_ticks = user + nice + system + irq + softirq;
    r.steal_ticks = steal;
    r.total_ticks = r.busy_ticks + idle + iowait + steal;
  }
  r.own_cpu_s = cpu_seconds(RUSAGE_SELF) + cpu_seconds(RUSAGE_CHILDREN);
  return r;
}

MachineLoad MachineLoadProbe::finish() const {
  const Reading end = read();
  MachineLoad m;
  m.cell_threads = cell_threads_;
  m.cores = static_cast<int>(std::max(1L, sysconf(_SC_NPROCESSORS_ONLN)));
  m.wall_s = end.wall_s - start_.wall_s;
  m.loadavg_1m = loadavg_1m();
  const double hz = static_cast<double>(sysconf(_SC_CLK_TCK));
  if (m.wall_s <= 0 || hz <= 0) return m;
  const double busy_s = static_cast<double>(end.busy_ticks - start_.busy_ticks) / hz;
  const double own_s = end.own_cpu_s - start_.own_cpu_s;
  m.other_busy_cores = std::max(0.0, (busy_s - own_s) / m.wall_s);
  const auto total = end.total_ticks - start_.total_ticks;
  if (total > 0)
    m.steal_pct = 100.0 * static_cast<double>(end.steal_ticks - start_.steal_ticks) / static_cast<double>(total);
  // Competing: others used more than the cores this cell leaves free (at
  // least half a core, so on a 2-core machine a second benchmark shows), or
  // the hypervisor took more than 5% of the machine.
  const double free_cores = std::max(0.5, static_cast<double>(m.cores - m.cell_threads) - 0.5);
  char buf[160];
  if (m.other_busy_cores > free_cores) {
    std::snprintf(buf, sizeof buf, "other processes kept %.2f cores busy (more than the %.1f this cell leaves free)",
                  m.other_busy_cores, free_cores);
    m.competing = true;
    m.reason = buf;
  } else if (m.steal_pct > 5.0) {
    std::snprintf(buf, sizeof buf, "the hypervisor stole %.1f%% of CPU time", m.steal_pct);
    m.competing = true;
    m.reason = buf;
  }
  return m;
}

}  // namespace dstudy::probes
