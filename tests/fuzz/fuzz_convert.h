// One converter under the fuzzer: the bytes as an input trace of `format`,
// converted with the unbounded reference map and with a small simulated
// cache; a TraceError (a refused input) is the expected way to fail, any
// other exception, crash or sanitizer report a finding. A converted trace
// must then load with every outcome checked, as the harness loads it.
#pragma once

#include <string_view>

#include "bench/trace/trace_convert.h"
#include "bench/trace/trace_error.h"
#include "bench/trace/trace_file.h"
#include "bench/trace/trace_input.h"
#include "tests/fuzz/fuzz_input.h"

namespace dstudy::fuzz {

inline int fuzz_convert(trace::Format format, const std::uint8_t* data, std::size_t size) {
  using namespace dstudy::trace;
  // Compressed inputs would start a decompressing program per input: the
  // decompressor is not what is fuzzed here.
  if (detect_compression(std::string_view(reinterpret_cast<const char*>(data), size < 10 ? size : 10)) !=
      Compression::kNone)
    return 0;
  const auto in = scratch().write("in", data, size);
  const auto out = scratch().path("out.dstrace");
  for (const char* cache : {"", "3", "50%", "64B"}) {
    ConvertOptions o;
    if (*cache) o.cache_size = parse_cache_size(cache);
    o.eviction = size % 2 ? Eviction::kLru : Eviction::kFifo;
    try {
      convert_trace(format, in, out, o);
    } catch (const TraceError&) {
      continue;
    }
    load_trace_stream(out, "fuzz", "u64");  // a converted trace always loads: no TraceError expected
  }
  return 0;
}

}  // namespace dstudy::fuzz
