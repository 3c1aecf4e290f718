// What a trace's recorded key sizes are, in brief, for the converter's and
// the checker's reports (and from them the workload's description): string
// keys are built at these sizes (KvString::make_key(seed, bytes)), except
// that a key recorded shorter than detail::kSizedStringMin bytes is built at
// that length, the least that keeps every key distinct.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <span>

#include "impls/core/value_types.h"

namespace dstudy::trace {

struct KeySizeSummary {
  std::uint32_t min = 0, max = 0;
  double mean = 0;
  std::uint64_t lengthened = 0;  // keys recorded shorter than kSizedStringMin
};

// nullopt when the trace recorded no key sizes.
inline std::optional<KeySizeSummary> summarise_key_sizes(std::span<const std::uint32_t> sizes) {
  if (sizes.empty()) return std::nullopt;
  KeySizeSummary s;
  s.min = *std::min_element(sizes.begin(), sizes.end());
  s.max = *std::max_element(sizes.begin(), sizes.end());
  double sum = 0;
  for (std::uint32_t b : sizes) {
    sum += b;
    s.lengthened += b < detail::kSizedStringMin;
  }
  s.mean = sum / static_cast<double>(sizes.size());
  return s;
}

}  // namespace dstudy::trace
