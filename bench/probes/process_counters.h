// What the kernel and the hypervisor did to this process over an interval:
// page faults, context switches (voluntary: it waited; involuntary: it was
// preempted) and the machine's steal time. A measured interval on a shared
// or virtual machine can be slowed by any of them without the benchmark
// knowing; read before and after, the difference says whether it was.
#pragma once

#include <cstdint>

namespace dstudy::probes {

struct ProcessCounters {
  std::uint64_t minor_faults = 0;
  std::uint64_t major_faults = 0;
  std::uint64_t voluntary_switches = 0;
  std::uint64_t involuntary_switches = 0;
  double steal_seconds = 0;  // the whole machine's (/proc/stat), all CPUs
};

// The process's counters (all its threads) and the machine's steal now.
ProcessCounters read_process_counters() noexcept;

// Counters of the interval between two readings.
ProcessCounters operator-(const ProcessCounters& after, const ProcessCounters& before) noexcept;

}  // namespace dstudy::probes
