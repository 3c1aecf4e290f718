// libFuzzer target: the .dstrace loader (trace_file.h), which checks every
// record of a file it maps; a TraceError is a refused file, anything else a
// finding. Loaded again as a paced replay, which checks the timestamps too.
#include "bench/trace/trace_error.h"
#include "bench/trace/trace_file.h"
#include "tests/fuzz/fuzz_input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto file = dstudy::fuzz::scratch().write("in.dstrace", data, size);
  for (const bool paced : {false, true}) {
    try {
      dstudy::trace::load_trace_stream(file, "fuzz", "string", {.paced = paced, .in_memory = false});
    } catch (const dstudy::trace::TraceError&) {
    }
  }
  return 0;
}
