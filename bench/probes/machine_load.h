// Whether another process competed for the machine while a cell ran.
//
// A benchmark on a shared machine can be slowed by anything else running:
// another benchmark (two runners on one folder did exactly that), a build, a
// noisy neighbour's steal time on a VM. The probe reads /proc/stat (CPU time
// of the whole machine), the process's own CPU time and that of its reaped
// children (the repetition processes) at the start and end of the measured
// passes: what the machine spent beyond this cell's own CPU time was spent by
// someone else. The verdict is recorded with the cell and shown in the report.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace dstudy::probes {

struct MachineLoad {
  double wall_s = 0;
  int cores = 1;
  int cell_threads = 1;
  double other_busy_cores = 0;  // CPU time of every other process / wall time
  double steal_pct = 0;         // hypervisor steal, % of all CPU time
  std::optional<double> loadavg_1m;
  bool competing = false;
  std::string reason;  // empty unless competing
};

class MachineLoadProbe {
 public:
  // Starts measuring now.
  explicit MachineLoadProbe(int cell_threads);
  // The load since construction. Call after the children it should credit
  // to this cell have been reaped (waitpid).
  MachineLoad finish() const;

 private:
  struct Reading {
    double wall_s = 0;
    std::uint64_t busy_ticks = 0;  // user + nice + system + irq + softirq, all CPUs
    std::uint64_t steal_ticks = 0;
    std::uint64_t total_ticks = 0;
    double own_cpu_s = 0;  // this process + reaped children
  };
  static Reading read();

  int cell_threads_;
  Reading start_;
};

}  // namespace dstudy::probes
