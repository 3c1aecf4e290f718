// The environment every result file carries, so a figure can be traced to the
// machine and build that made it: CPU,
// cores, governor, kernel, compiler and flags, allocator, library versions,
// git revision and the exact command line. Collected once at start-up.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace dstudy::probes {

// extra_libraries: versions known only to the caller (CLI11 in main).
nlohmann::json collect_environment(const std::vector<std::string>& argv,
                                   const nlohmann::json& extra_libraries = nlohmann::json::object());

// Cache sizes of CPU 0 in bytes by level ("L1d", "L1i", "L2", "L3"); empty
// when nothing says. The report states the sizes a run covered against them
// (an in-cache ranking is not a large-table one). From sysfs under sys_root
// ("/sys" on a machine); where that is not mounted (a chroot, some
// containers), from glibc's sysconf(_SC_LEVEL*_CACHE_SIZE), and where that
// says nothing either, from the CPUID cache leaves.
nlohmann::json cache_bytes(const std::string& sys_root);
nlohmann::json cache_bytes_from_sysfs(const std::string& sys_root);
nlohmann::json cache_bytes_from_sysconf();
nlohmann::json cache_bytes_from_cpuid();

// The git revision of the source tree the binary was built from (commit
// hash, "+dirty" when tracked files differ), or "" when unknown.
std::string git_revision(const std::string& source_dir);

}  // namespace dstudy::probes
