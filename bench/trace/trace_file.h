// Loads a .dstrace file (trace_format.h) as an operation stream: the file is
// memory-mapped (copy-on-write) and the stream's ops are a view over its
// records, so replaying a trace costs memory for its distinct keys, not for
// its length. Before anything runs, every record is checked — its type, its
// key, and that its outcome agrees with the live set so far — so a damaged or
// hand-made file fails with a message naming the file, the record and its
// byte offset instead of a wrong measurement.
#pragma once

#include <filesystem>
#include <string>

#include "bench/workload/operation_stream.h"

namespace dstudy::trace {

struct LoadOptions {
  // Paced replay: the trace must have timestamps and they must not decrease.
  bool paced = false;
  // Copy the records into memory instead of viewing the mapping (what a
  // generated stream is): for comparing the two.
  bool in_memory = false;
};

// One thread, one phase ("replay", role steady, the headline). Throws
// TraceError.
OperationStream load_trace_stream(const std::filesystem::path& file, const std::string& workload, const std::string& kv,
                                  const LoadOptions& options = {});

}  // namespace dstudy::trace
