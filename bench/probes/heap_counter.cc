#include "bench/probes/heap_counter.h"

#include <dlfcn.h>
#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <new>

namespace dstudy::probes {

namespace {

constexpr int kSlots = 64;

struct alignas(64) Slot {
  std::atomic<std::int64_t> bytes{0};
  std::atomic<std::uint64_t> allocations{0};
  std::atomic<std::uint64_t> deallocations{0};
  std::atomic<std::uint64_t> requested{0};  // bytes asked for by allocations
};

Slot g_slots[kSlots];
std::atomic<bool> g_on{false};
std::atomic<unsigned> g_next_slot{0};
thread_local bool t_paused = false;

Slot& my_slot() noexcept {
  thread_local Slot* slot = &g_slots[g_next_slot.fetch_add(1, std::memory_order_relaxed) % kSlots];
  return *slot;
}

// sign +1 for an allocation of `requested` bytes, -1 for a deallocation.
inline void count(void* p, int sign, std::size_t requested = 0) noexcept {
  if (!p || !g_on.load(std::memory_order_relaxed) || t_paused) return;
  const auto n = static_cast<std::int64_t>(malloc_usable_size(p));
  Slot& slot = my_slot();
  slot.bytes.fetch_add(sign * n, std::memory_order_relaxed);
  if (sign > 0) {
    slot.allocations.fetch_add(1, std::memory_order_relaxed);
    slot.requested.fetch_add(requested, std::memory_order_relaxed);
  } else {
    slot.deallocations.fetch_add(1, std::memory_order_relaxed);
  }
}

// The allocation functions this file replaces, as the next object in the
// lookup order defines them: the preloaded allocator's own (jemalloc,
// tcmalloc and mimalloc each define operator new and a sized delete, which
// they serve faster than malloc/free) or libstdc++'s. Counting sits on top;
// the allocator under study still serves every C++ allocation its own way.
template <class F>
F next(const char* symbol) noexcept {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (!f) std::abort();  // a C++ runtime without operator new cannot run this binary
  return reinterpret_cast<F>(f);
}

using New = void* (*)(std::size_t);
using NewAligned = void* (*)(std::size_t, std::align_val_t);
using Delete = void (*)(void*) noexcept;
using DeleteSized = void (*)(void*, std::size_t) noexcept;
using DeleteAligned = void (*)(void*, std::align_val_t) noexcept;

void* counted(void* p, std::size_t n) noexcept {
  count(p, +1, n);
  return p;
}

// libstdc++'s operator new[] calls operator new, its sized delete calls the
// unsized one: those inner calls land in this file again. Only the outermost
// call counts.
struct Forwarding {
  bool was = t_paused;
  Forwarding() noexcept { t_paused = true; }
  ~Forwarding() { t_paused = was; }
};
template <class F, class... A>
auto forward(F f, A... a) {
  Forwarding guard;
  return f(a...);
}

}  // namespace

// ---- the C allocation functions ---------------------------------------------
// They forward to the next definitions after this executable's (the
// preloaded allocator's, else glibc's), looked up together on the first
// call of any of them. dlsym may itself allocate and free while it looks
// them up; those calls are served from a small static arena that is never
// reused, and a block freed then is left alone (dlsym's own error strings:
// a few dozen bytes, once).

namespace {

using Malloc = void* (*)(std::size_t);
using Calloc = void* (*)(std::size_t, std::size_t);
using Realloc = void* (*)(void*, std::size_t);
using ReallocArray = void* (*)(void*, std::size_t, std::size_t);
using Free = void (*)(void*);
using PosixMemalign = int (*)(void**, std::size_t, std::size_t);
using AlignedAlloc = void* (*)(std::size_t, std::size_t);

struct CFunctions {
  Malloc malloc;
  Calloc calloc;
  Realloc realloc;
  ReallocArray reallocarray;
  Free free;
  PosixMemalign posix_memalign;
  AlignedAlloc aligned_alloc, memalign;
  Malloc valloc, pvalloc;
};

CFunctions g_next;
std::atomic<bool> g_resolved{false};
thread_local bool t_resolving = false;

template <class F>
F look_up(const char* symbol) noexcept {
  void* f = dlsym(RTLD_NEXT, symbol);
  if (!f) std::abort();  // a C runtime without the allocation functions cannot run this binary
  return reinterpret_cast<F>(f);
}

// The next definitions, or null while they are being looked up on this
// thread. Two threads that both find them missing both look them up, with
// the same result.
const CFunctions* next_functions() noexcept {
  if (g_resolved.load(std::memory_order_acquire)) return &g_next;
  if (t_resolving) return nullptr;
  t_resolving = true;
  CFunctions f;
  f.malloc = look_up<Malloc>("malloc");
  f.calloc = look_up<Calloc>("calloc");
  f.realloc = look_up<Realloc>("realloc");
  f.reallocarray = look_up<ReallocArray>("reallocarray");
  f.free = look_up<Free>("free");
  f.posix_memalign = look_up<PosixMemalign>("posix_memalign");
  f.aligned_alloc = look_up<AlignedAlloc>("aligned_alloc");
  f.memalign = look_up<AlignedAlloc>("memalign");
  f.valloc = look_up<Malloc>("valloc");
  f.pvalloc = look_up<Malloc>("pvalloc");
  g_next = f;
  g_resolved.store(true, std::memory_order_release);
  t_resolving = false;
  return &g_next;
}

alignas(std::max_align_t) char g_arena[16384];
std::atomic<std::size_t> g_arena_used{0};

void* arena_allocate(std::size_t n) noexcept {
  const std::size_t size = (n + alignof(std::max_align_t) - 1) / alignof(std::max_align_t) * alignof(std::max_align_t);
  const std::size_t at = g_arena_used.fetch_add(size, std::memory_order_relaxed);
  if (at + size > sizeof g_arena) std::abort();  // dlsym asked for far more than it ever does
  return g_arena + at;
}

bool in_arena(const void* p) noexcept {
  return p >= static_cast<const void*>(g_arena) && p < static_cast<const void*>(g_arena + sizeof g_arena);
}

bool counting_now() noexcept { return g_on.load(std::memory_order_relaxed) && !t_paused; }

// A reallocation: the old block counted out and the new one in, as a
// deallocation and an allocation. `old_usable` is read before the call (the
// old block is gone after it); a failed reallocation leaves both as they were.
void count_realloc(void* old_p, std::size_t old_usable, void* new_p, std::size_t requested) noexcept {
  if (!counting_now()) return;
  if (!new_p && requested != 0) return;  // failed: the old block is still there
  if (old_p) {
    Slot& slot = my_slot();
    slot.bytes.fetch_sub(static_cast<std::int64_t>(old_usable), std::memory_order_relaxed);
    slot.deallocations.fetch_add(1, std::memory_order_relaxed);
  }
  count(new_p, +1, requested);
}

// libstdc++'s operator new is malloc in a loop that calls the new_handler
// and throws bad_alloc, its operator delete is free. Where it is the next
// definition (no allocator that defines its own is preloaded), the plain
// forms call the next malloc and free directly: forwarding through
// libstdc++ would pass every allocation through this file's malloc a
// second time, a cost the timed passes would pay. A failed malloc goes on
// to libstdc++'s operator new for its new_handler and bad_alloc.
bool next_new_is_libstdcxx() noexcept {
  Dl_info info;
  void* f = dlsym(RTLD_NEXT, "_Znwm");
  return f && dladdr(f, &info) && info.dli_fname && std::strstr(info.dli_fname, "libstdc++");
}
const CFunctions* direct() noexcept {
  static const bool libstdcxx = next_new_is_libstdcxx();
  return libstdcxx ? next_functions() : nullptr;
}

}  // namespace

void* allocate(std::size_t n, bool array) {
  if (const CFunctions* f = direct())
    if (void* p = f->malloc(n != 0 ? n : 1)) return counted(p, n);
  static const New scalar = next<New>("_Znwm"), vector = next<New>("_Znam");
  return counted(forward(array ? vector : scalar, n), n);
}
void* allocate(std::size_t n, std::align_val_t a, bool array) {
  static const NewAligned scalar = next<NewAligned>("_ZnwmSt11align_val_t"),
                          vector = next<NewAligned>("_ZnamSt11align_val_t");
  return counted(forward(array ? vector : scalar, n, a), n);
}
void release(void* p, bool array) noexcept {
  if (const CFunctions* f = direct()) {
    count(p, -1);
    return f->free(p);
  }
  static const Delete scalar = next<Delete>("_ZdlPv"), vector = next<Delete>("_ZdaPv");
  count(p, -1);
  forward(array ? vector : scalar, p);
}
void release(void* p, std::size_t n, bool array) noexcept {
  if (const CFunctions* f = direct()) {
    count(p, -1);
    return f->free(p);
  }
  static const DeleteSized scalar = next<DeleteSized>("_ZdlPvm"), vector = next<DeleteSized>("_ZdaPvm");
  count(p, -1);
  forward(array ? vector : scalar, p, n);
}
void release(void* p, std::align_val_t a, bool array) noexcept {
  static const DeleteAligned scalar = next<DeleteAligned>("_ZdlPvSt11align_val_t"),
                             vector = next<DeleteAligned>("_ZdaPvSt11align_val_t");
  count(p, -1);
  forward(array ? vector : scalar, p, a);
}

void* c_malloc(std::size_t n) noexcept {
  const CFunctions* f = next_functions();
  return f ? counted(f->malloc(n), n) : arena_allocate(n);
}

void* c_calloc(std::size_t n, std::size_t size) noexcept {
  const CFunctions* f = next_functions();
  if (!f) return arena_allocate(n * size);  // zeroed: the arena is static and never reused
  return counted(f->calloc(n, size), n * size);
}

void c_free(void* p) noexcept {
  if (!p || in_arena(p)) return;
  const CFunctions* f = next_functions();
  if (!f) return;  // freed while the functions are looked up: left alone
  count(p, -1);
  f->free(p);
}

void* c_realloc(void* p, std::size_t n) noexcept {
  const CFunctions* f = next_functions();
  if (!f || in_arena(p)) {  // dlsym never reallocates; served all the same, never counted
    void* q = f ? f->malloc(n) : arena_allocate(n);
    if (q && p) {
      const std::size_t old = in_arena(p) ? static_cast<std::size_t>(g_arena + sizeof g_arena - static_cast<char*>(p))
                                          : malloc_usable_size(p);
      __builtin_memcpy(q, p, n < old ? n : old);
    }
    return q;
  }
  const std::size_t old = p && counting_now() ? malloc_usable_size(p) : 0;
  void* q = f->realloc(p, n);
  count_realloc(p, old, q, n);
  return q;
}

void* c_reallocarray(void* p, std::size_t n, std::size_t size) noexcept {
  const CFunctions* f = next_functions();
  if (!f || in_arena(p)) return c_realloc(p, n * size);
  const std::size_t old = p && counting_now() ? malloc_usable_size(p) : 0;
  void* q = f->reallocarray(p, n, size);
  count_realloc(p, old, q, n * size);
  return q;
}

namespace {
// dlsym never calls the aligned forms: they are always called with the
// next definitions known.
const CFunctions& known() noexcept {
  const CFunctions* f = next_functions();
  if (!f) std::abort();
  return *f;
}
}  // namespace

int c_posix_memalign(void** out, std::size_t alignment, std::size_t n) noexcept {
  const int rc = known().posix_memalign(out, alignment, n);
  if (rc == 0) count(*out, +1, n);
  return rc;
}

void* c_aligned_alloc(std::size_t alignment, std::size_t n) noexcept {
  return counted(known().aligned_alloc(alignment, n), n);
}
void* c_memalign(std::size_t alignment, std::size_t n) noexcept { return counted(known().memalign(alignment, n), n); }
void* c_valloc(std::size_t n) noexcept { return counted(known().valloc(n), n); }
void* c_pvalloc(std::size_t n) noexcept { return counted(known().pvalloc(n), n); }

void set_heap_counting(bool on) noexcept { g_on.store(on, std::memory_order_relaxed); }
bool heap_counting() noexcept { return g_on.load(std::memory_order_relaxed); }

std::int64_t heap_bytes() noexcept {
  std::int64_t sum = 0;
  for (const Slot& s : g_slots) sum += s.bytes.load(std::memory_order_relaxed);
  return sum;
}

HeapActivity heap_activity() noexcept {
  HeapActivity a;
  for (const Slot& s : g_slots) {
    a.allocations += s.allocations.load(std::memory_order_relaxed);
    a.deallocations += s.deallocations.load(std::memory_order_relaxed);
    a.bytes_requested += s.requested.load(std::memory_order_relaxed);
  }
  return a;
}

HeapCountingPause::HeapCountingPause() noexcept : was_paused_(t_paused) { t_paused = true; }
HeapCountingPause::~HeapCountingPause() { t_paused = was_paused_; }

}  // namespace dstudy::probes

#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
// ---- the replaced global allocation functions --------------------------------
// Every replaceable form, so that no allocation escapes the count. The
// nothrow forms call the throwing ones, as the standard's defaults do.
namespace hc = dstudy::probes;

void* operator new(std::size_t n) { return hc::allocate(n, false); }
void* operator new[](std::size_t n) { return hc::allocate(n, true); }
void* operator new(std::size_t n, std::align_val_t a) { return hc::allocate(n, a, false); }
void* operator new[](std::size_t n, std::align_val_t a) { return hc::allocate(n, a, true); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return hc::allocate(n, false);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept {
  try {
    return hc::allocate(n, true);
  } catch (...) {
    return nullptr;
  }
}
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return hc::allocate(n, a, false);
  } catch (...) {
    return nullptr;
  }
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  try {
    return hc::allocate(n, a, true);
  } catch (...) {
    return nullptr;
  }
}
void operator delete(void* p) noexcept { hc::release(p, false); }
void operator delete[](void* p) noexcept { hc::release(p, true); }
void operator delete(void* p, std::size_t n) noexcept { hc::release(p, n, false); }
void operator delete[](void* p, std::size_t n) noexcept { hc::release(p, n, true); }
void operator delete(void* p, const std::nothrow_t&) noexcept { hc::release(p, false); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { hc::release(p, true); }
void operator delete(void* p, std::align_val_t a) noexcept { hc::release(p, a, false); }
void operator delete[](void* p, std::align_val_t a) noexcept { hc::release(p, a, true); }
void operator delete(void* p, std::size_t, std::align_val_t a) noexcept { hc::release(p, a, false); }
void operator delete[](void* p, std::size_t, std::align_val_t a) noexcept { hc::release(p, a, true); }
void operator delete(void* p, std::align_val_t a, const std::nothrow_t&) noexcept { hc::release(p, a, false); }
void operator delete[](void* p, std::align_val_t a, const std::nothrow_t&) noexcept { hc::release(p, a, true); }

// The C allocation functions: this executable's definitions come first in
// the lookup order, so glibc's own callers (strdup, fopen) and every library
// reach them too.
extern "C" {
void* malloc(std::size_t n) { return hc::c_malloc(n); }
void* calloc(std::size_t n, std::size_t size) { return hc::c_calloc(n, size); }
void* realloc(void* p, std::size_t n) { return hc::c_realloc(p, n); }
void* reallocarray(void* p, std::size_t n, std::size_t size) { return hc::c_reallocarray(p, n, size); }
void free(void* p) { hc::c_free(p); }
int posix_memalign(void** out, std::size_t alignment, std::size_t n) { return hc::c_posix_memalign(out, alignment, n); }
void* aligned_alloc(std::size_t alignment, std::size_t n) { return hc::c_aligned_alloc(alignment, n); }
void* memalign(std::size_t alignment, std::size_t n) { return hc::c_memalign(alignment, n); }
void* valloc(std::size_t n) { return hc::c_valloc(n); }
void* pvalloc(std::size_t n) { return hc::c_pvalloc(n); }
}
#endif  // no sanitizer
