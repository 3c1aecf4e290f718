// libcds SplitListMap (libcds-dev 2.3.3) over a Michael lock-free ordered
// list, with hazard-pointer reclamation (cds::gc::HP): Shalev and Shavit's
// split-ordered list, where the buckets are shortcuts into one lock-free
// list sorted by bit-reversed hash, and the bucket table grows without ever
// moving a node.
//
// How it deletes: erase marks the node's next pointer, unlinks it with a CAS
// and retires it to the calling thread's hazard-pointer retired array. The
// node is freed when that thread's array fills up and a scan finds no hazard
// pointer on it (or when the thread detaches), so memory lags deletes by up
// to one retired array per thread. The dummy bucket nodes and the bucket
// table stay: erasing everything frees only the data nodes.
//
// libcds housekeeping is hidden here: cds::Initialize() and the HP GC
// singleton are created on first use (function-local statics), and every
// thread is attached to libcds on its first operation through a thread_local
// guard that detaches it when the thread exits.
//
// Bytes: libcds takes its allocator as a type and default-constructs it, so
// the counting allocator keeps one counter per <K, V> instantiation: exact
// when one map of a kind exists at a time (the harness runs one cell, one
// map, per process); nodes retired by an earlier map of the same kind are
// counted until their thread's next scan frees them. Pending reclamation is
// not observable per map, so reclaim_pending_bytes is not reported; quiesce()
// runs a hazard-pointer scan on the calling thread.
//
// reserve(n): not available. The split-ordered list's bucket table is sized
// at construction (from an expected item count, libcds's default here) and
// grows by itself; there is no call to presize an existing map, so reserve is
// deliberately absent.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <utility>

#include <cds/container/michael_list_hp.h>
#include <cds/container/split_list_map.h>
#include <cds/gc/hp.h>
#include <cds/init.h>

#include "impls/core/counting_allocator.h"
#include "impls/core/footprint.h"
#include "impls/core/hash.h"
#include "impls/core/register.h"

namespace dstudy {

namespace libcds_detail {

// Initialises libcds and its HP GC once per process, and attaches the calling
// thread once per thread.
inline void ensure_attached() {
  struct Runtime {
    Runtime() { cds::Initialize(); }
    cds::gc::HP gc;  // default sizes: 8 hazard pointers, up to 100 threads
  };
  static Runtime* runtime = new Runtime;  // never destroyed: threads may outlive main's statics
  (void)runtime;
  struct Attachment {
    Attachment() { cds::threading::Manager::attachThread(); }
    ~Attachment() { cds::threading::Manager::detachThread(); }
  };
  thread_local Attachment attachment;
  (void)attachment;
}

template <class Tag>
AtomicByteCounter& counter() {
  static AtomicByteCounter c;
  return c;
}

// Stateless counting allocator (libcds default-constructs its allocators).
template <class T, class Tag>
struct StaticCountingAllocator {
  using value_type = T;
  template <class U>
  struct rebind {
    using other = StaticCountingAllocator<U, Tag>;
  };
  StaticCountingAllocator() noexcept = default;
  template <class U>
  StaticCountingAllocator(const StaticCountingAllocator<U, Tag>&) noexcept {}
  T* allocate(std::size_t n) {
    T* p = std::allocator<T>{}.allocate(n);
    counter<Tag>().add(n * sizeof(T));
    return p;
  }
  void deallocate(T* p, std::size_t n) noexcept {
    counter<Tag>().sub(n * sizeof(T));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const StaticCountingAllocator<U, Tag>&) const noexcept {
    return true;
  }
};

template <class K, class V>
struct Tag {};

template <class K, class V>
struct MapTraits : public cds::container::split_list::traits {
  using Alloc = StaticCountingAllocator<int, Tag<K, V>>;
  typedef cds::container::michael_list_tag ordered_list;
  typedef Hash<K> hash;
  typedef Alloc allocator;
  typedef cds::atomicity::item_counter item_counter;
  struct ordered_list_traits : public cds::container::michael_list::traits {
    typedef std::less<K> less;
    typedef Alloc allocator;
  };
};

}  // namespace libcds_detail

template <class K, class V>
class LibcdsMap {
 public:
  using key_type = K;
  using mapped_type = V;
  using Map = cds::container::SplitListMap<cds::gc::HP, K, V, libcds_detail::MapTraits<K, V>>;

  static constexpr bool kThreadSafe = true;
  static constexpr bool kOrdered = false;
  static constexpr bool kReturnsMemory = false;  // bucket table and dummy nodes stay

  LibcdsMap() : map_((libcds_detail::ensure_attached(), std::make_unique<Map>())) {}
  LibcdsMap(const LibcdsMap&) = delete;
  LibcdsMap& operator=(const LibcdsMap&) = delete;
  ~LibcdsMap() {
    libcds_detail::ensure_attached();
    map_.reset();
  }

  bool insert(const K& key, V&& value) {
    libcds_detail::ensure_attached();
    return map_->emplace(key, std::move(value));
  }

  bool erase(const K& key) {
    libcds_detail::ensure_attached();
    return map_->erase(key);
  }

  template <class F>
  bool find(const K& key, F&& on_found) const {
    libcds_detail::ensure_attached();
    return map_->find(key, [&](typename Map::value_type& item) { on_found(static_cast<const V&>(item.second)); });
  }

  std::size_t size() const { return map_->size(); }

  Footprint footprint() const {
    Footprint f;
    f.bytes = libcds_detail::counter<libcds_detail::Tag<K, V>>().bytes();
    return f;
  }

  void quiesce() {
    libcds_detail::ensure_attached();
    cds::gc::HP::force_dispose();
  }

 private:
  std::unique_ptr<Map> map_;
};

}  // namespace dstudy

DSTUDY_REGISTER(libcds_map, dstudy::LibcdsMap, library)
