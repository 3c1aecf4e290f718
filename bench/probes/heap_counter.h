// The heap layer: bytes of the process's live heap allocations, each counted
// at its usable size (malloc_usable_size), as the harness sees them: every
// `operator new` and every call of the C allocation functions (malloc,
// calloc, realloc, free, posix_memalign, aligned_alloc, memalign, valloc,
// pvalloc, reallocarray), whoever makes it (the container, a C library under
// it, a std::pmr resource over malloc). The four allocators under study
// differ in what their own statistics mean (mimalloc's Debian build keeps no
// allocated-bytes counter at all), so this is the one memory layer that
// means the same under every allocator.
//
// heap_counter.cc replaces the global operator new/delete and defines the C
// allocation functions in any executable that links it; each forwards to the
// next definition in the lookup order (the preloaded allocator's, else
// libstdc++'s and glibc's), so the allocator under study still serves every
// allocation. What this cannot see: memory an allocator or a library maps
// for itself with mmap (docs/harness.md, "The heap layer").
//
// Counting is off by default and costs one predictable branch per
// allocation; the harness switches it on only around the memory pass, so the
// timed passes never pay for it. Each thread adds to its own cache line, so
// concurrent cells do not contend on a shared counter.
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>

namespace dstudy::probes {

// Under AddressSanitizer or ThreadSanitizer the sanitizer owns operator
// new/delete and malloc (it checks every allocation against its release), so
// the replacement is not compiled and the heap layer is not read (null).
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
inline constexpr bool kHeapCounterAvailable = false;
#else
inline constexpr bool kHeapCounterAvailable = true;
#endif

// Starts (true) or stops (false) counting. Allocations made while counting
// is off are never subtracted when freed, so switch it on before a
// container exists and off after it is destroyed.
void set_heap_counting(bool on) noexcept;
bool heap_counting() noexcept;

// Bytes counted in but not yet counted out since the process started
// (usable sizes). Reads every thread's counter: not for timed regions.
std::int64_t heap_bytes() noexcept;

// How many allocations and deallocations were counted, and the bytes the
// allocations asked for, since the process started: differences of two
// readings say how a container allocates ("node maps allocate per insert,
// flat maps per growth").
struct HeapActivity {
  std::uint64_t allocations = 0;
  std::uint64_t deallocations = 0;
  std::uint64_t bytes_requested = 0;
};
HeapActivity heap_activity() noexcept;

// Stops counting on the calling thread while the harness records its own
// results (vectors of samples): the layer is the container's, not the
// harness's bookkeeping.
class HeapCountingPause {
 public:
  HeapCountingPause() noexcept;
  ~HeapCountingPause();
  HeapCountingPause(const HeapCountingPause&) = delete;
  HeapCountingPause& operator=(const HeapCountingPause&) = delete;

 private:
  bool was_paused_;
};

// The counted allocation functions behind the replaced operator new/delete
// (heap_counter.cc); `array` picks the new[]/delete[] form.
void* allocate(std::size_t n, bool array);
void* allocate(std::size_t n, std::align_val_t a, bool array);
void release(void* p, bool array) noexcept;
void release(void* p, std::size_t n, bool array) noexcept;
void release(void* p, std::align_val_t a, bool array) noexcept;

// The counted C allocation functions behind the replaced malloc & co.
void* c_malloc(std::size_t n) noexcept;
void* c_calloc(std::size_t n, std::size_t size) noexcept;
void* c_realloc(void* p, std::size_t n) noexcept;
void* c_reallocarray(void* p, std::size_t n, std::size_t size) noexcept;
void c_free(void* p) noexcept;
int c_posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept;
void* c_aligned_alloc(std::size_t alignment, std::size_t n) noexcept;
void* c_memalign(std::size_t alignment, std::size_t n) noexcept;
void* c_valloc(std::size_t n) noexcept;
void* c_pvalloc(std::size_t n) noexcept;

}  // namespace dstudy::probes
