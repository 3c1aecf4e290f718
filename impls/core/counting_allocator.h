// An allocator that forwards to std::allocator (so the allocator under study,
// chosen by LD_PRELOAD, serves every byte) and counts what the container
// holds. Peers take it as their allocator parameter, which makes
// Footprint::bytes exact for node-based and flat maps alike.
//
// The counter lives outside the allocator: containers copy and rebind their
// allocator freely, and every copy must add to the same total.
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>

namespace dstudy {

// For containers used from one thread at a time.
class ByteCounter {
 public:
  void add(std::size_t n) noexcept { bytes_ += n; }
  void sub(std::size_t n) noexcept { bytes_ -= n; }
  std::size_t bytes() const noexcept { return bytes_; }

 private:
  std::size_t bytes_ = 0;
};

// For thread-safe containers: allocations come from many threads.
class AtomicByteCounter {
 public:
  void add(std::size_t n) noexcept { bytes_.fetch_add(n, std::memory_order_relaxed); }
  void sub(std::size_t n) noexcept { bytes_.fetch_sub(n, std::memory_order_relaxed); }
  std::size_t bytes() const noexcept { return bytes_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::size_t> bytes_{0};
};

template <class T, class Counter = ByteCounter>
class CountingAllocator {
 public:
  using value_type = T;
  using propagate_on_container_copy_assignment = std::true_type;
  using propagate_on_container_move_assignment = std::true_type;
  using propagate_on_container_swap = std::true_type;
  template <class U>
  struct rebind {
    using other = CountingAllocator<U, Counter>;
  };

  explicit CountingAllocator(Counter* counter) noexcept : counter_(counter) {}
  template <class U>
  CountingAllocator(const CountingAllocator<U, Counter>& other) noexcept : counter_(other.counter()) {}

  T* allocate(std::size_t n) {
    T* p = std::allocator<T>{}.allocate(n);
    counter_->add(n * sizeof(T));
    return p;
  }
  void deallocate(T* p, std::size_t n) noexcept {
    counter_->sub(n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }

  Counter* counter() const noexcept { return counter_; }

  template <class U>
  bool operator==(const CountingAllocator<U, Counter>& other) const noexcept {
    return counter_ == other.counter();
  }

 private:
  Counter* counter_;
};

}  // namespace dstudy
