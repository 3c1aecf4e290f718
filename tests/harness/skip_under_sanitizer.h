// AddressSanitizer and ThreadSanitizer replace malloc with their own
// allocator: no allocator under study is loaded (a preload cannot take over)
// and the allocator's statistics read 0. Tests about allocator detection and
// allocator-level memory skip themselves there; the release build runs them.
#pragma once

#include <gtest/gtest.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define DSTUDY_SKIP_UNDER_SANITIZED_MALLOC() \
  GTEST_SKIP() << "the sanitizer's allocator replaces malloc; run in the release build"
#else
#define DSTUDY_SKIP_UNDER_SANITIZED_MALLOC() \
  do {                                       \
  } while (0)
#endif
