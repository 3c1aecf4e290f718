// Probe sequences reach every position: a table whose probe skipped a group
// could loop forever looking for a free slot.
#include <gtest/gtest.h>

#include <bit>
#include <cstddef>
#include <vector>

#include "impls/core/probe_sequence.h"

namespace dstudy {
namespace {

TEST(ProbeSequence, FoldedTriangularVisitsEveryPositionWithinOnePowerOfTwoOfSteps) {
  for (std::size_t n = 1; n <= 300; ++n) {
    const std::size_t pow2 = std::bit_ceil(n);
    for (std::size_t home = 0; home < n; ++home) {
      std::vector<bool> seen(n, false);
      FoldedTriangularProbe seq(home, pow2 - 1, n);
      ASSERT_EQ(seq.offset(), home);
      for (std::size_t step = 0; step < pow2; ++step, seq.next()) {
        ASSERT_LT(seq.offset(), n) << "n " << n << " home " << home << " step " << step;
        seen[seq.offset()] = true;
      }
      for (std::size_t g = 0; g < n; ++g) ASSERT_TRUE(seen[g]) << "n " << n << " home " << home << " misses " << g;
    }
  }
}

TEST(ProbeSequence, FoldedTriangularOnAPowerOfTwoIsTriangular) {
  FoldedTriangularProbe folded(5, 63, 64);
  TriangularProbe plain(5, 63);
  for (int step = 0; step < 200; ++step, folded.next(), plain.next()) ASSERT_EQ(folded.offset(), plain.offset());
}

}  // namespace
}  // namespace dstudy
