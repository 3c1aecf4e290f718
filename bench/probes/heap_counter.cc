#include "bench/probes/heap_counter.h"

#include <dlfcn.h>
#include <malloc.h>

#include <atomic>
#include <cstddef>
#include <cstdlib>
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

void* allocate(std::size_t n, bool array) {
  static const New scalar = next<New>("_Znwm"), vector = next<New>("_Znam");
  return counted(forward(array ? vector : scalar, n), n);
}
void* allocate(std::size_t n, std::align_val_t a, bool array) {
  static const NewAligned scalar = next<NewAligned>("_ZnwmSt11align_val_t"),
                          vector = next<NewAligned>("_ZnamSt11align_val_t");
  return counted(forward(array ? vector : scalar, n, a), n);
}
void release(void* p, bool array) noexcept {
  static const Delete scalar = next<Delete>("_ZdlPv"), vector = next<Delete>("_ZdaPv");
  count(p, -1);
  forward(array ? vector : scalar, p);
}
void release(void* p, std::size_t n, bool array) noexcept {
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
#endif  // no sanitizer
