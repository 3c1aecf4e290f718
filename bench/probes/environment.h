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

// The git revision of the source tree the binary was built from (commit
// hash, "+dirty" when tracked files differ), or "" when unknown.
std::string git_revision(const std::string& source_dir);

}  // namespace dstudy::probes
