// libFuzzer target: the twitter trace converter (docs/traces.md).
#include "tests/fuzz/fuzz_convert.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return dstudy::fuzz::fuzz_convert(dstudy::trace::Format::kTwitter, data, size);
}
