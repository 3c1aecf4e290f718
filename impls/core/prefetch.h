// A prefetch the compiler keeps.
//
// GCC 12 treats __builtin_prefetch as free of side effects, and its
// control-dependence dead-code pass removed a block that held nothing but
// prefetches together with the test guarding it (the tombstone map's "large
// and dense table" test: the binary was left with no prefetch in the lookup
// at all). An asm volatile statement is never removed, so on x86 the
// instruction is written out; elsewhere the builtin is the best there is.
#pragma once

namespace dstudy {

inline void prefetch_for_read(const void* p) noexcept {
#if defined(__x86_64__) || defined(__i386__)
  asm volatile("prefetcht0 %0" : : "m"(*static_cast<const char*>(p)));
#else
  __builtin_prefetch(p);
#endif
}

}  // namespace dstudy
