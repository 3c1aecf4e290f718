// The interface every container in the study meets: its own four and every
// peer adapter. The harness, the conformance suite and the reports know this
// concept and nothing else about a container.
//
//   bool insert(const key_type&, mapped_type&&)  true if the key was new; an
//                                                existing key keeps its value
//   bool erase(const key_type&)                  true if the key was there
//   bool find(const key_type&, F&& f) const      calls f(const mapped_type&)
//                                                if found (under whatever
//                                                protection a concurrent map
//                                                needs), returns whether found
//   std::size_t size() const
//   Footprint footprint() const                  see footprint.h
//   static constexpr bool kThreadSafe            all of the above may be
//                                                called from many threads
//   static constexpr bool kOrdered               keeps keys sorted
//   static constexpr bool kReturnsMemory         erasing everything gives the
//                                                structure's memory back (at
//                                                the latest by the next
//                                                insert/erase pair); false
//                                                means it keeps its capacity
//
// Optional:
//   template <class K, class V> ... static constexpr bool kSupports = false;
//       in a specialisation, or a `static constexpr bool kSupported` member,
//       to opt out of a key/value kind.
//   void quiesce()     concurrent maps: free everything whose reclamation is
//                      deferred, once no other thread is inside the map.
//   void reserve(std::size_t n)
//                      room for n keys without growing. The harness calls it
//                      the same way on every container that has it, and only
//                      when a workload asks (so no map gets a head start).
//   void compact()     shrink to fit: give back what the live keys do not
//                      need (absl/boost/std `rehash(0)`, the study's own
//                      maps' shrink-to-fit). The harness calls it only at a
//                      phase's compact probe (docs/harness.md), at idle,
//                      after the purge probe: never during timed work.
//   Iterable (impls/core/iteration.h says why this shape):
//   void for_each(F&& visit) const   calls visit(const key_type&,
//                                    const mapped_type&) once for every live
//                                    entry, in the container's own order
//   bool erase_first()               erases the entry iteration visits first
//                                    (begin()); false if empty
//   bool erase_next()                erase-while-iterating: erases the entry
//                                    after the one the last call erased (a
//                                    key cursor; from the start when that key
//                                    is gone or the end was reached); false
//                                    if empty
//                      Single-threaded only. Concurrent maps do not offer
//                      it; the workloads that need it are "not applicable"
//                      to them, never failed.
//   std::size_t probe_length(const key_type&) const
//                      introspection, never timed: the probes beyond the
//                      first look that a lookup of the key makes, in absl's
//                      hashtable_debug unit — one per further group, bucket
//                      or slot visited and one per stored key compared that
//                      was not it; 0 when the first look decides. The harness
//                      reads it at phase ends (docs/harness.md, "Probe
//                      lengths").
//
// Each requirement is its own concept so that an adapter that misses one
// fails with a message that names it (see require_study_container below).
#pragma once

#include <concepts>
#include <cstddef>
#include <utility>

#include "impls/core/footprint.h"

namespace dstudy {

template <class V>
struct ValueProbe {
  void operator()(const V&) const noexcept {}
};

template <class C>
concept HasKeyValueTypes = requires {
  typename C::key_type;
  typename C::mapped_type;
};

template <class C>
concept HasInsert = requires(C& c, const typename C::key_type& k, typename C::mapped_type&& v) {
  { c.insert(k, std::move(v)) } -> std::same_as<bool>;
};

template <class C>
concept HasErase = requires(C& c, const typename C::key_type& k) {
  { c.erase(k) } -> std::same_as<bool>;
};

template <class C>
concept HasFind = requires(const C& c, const typename C::key_type& k) {
  { c.find(k, ValueProbe<typename C::mapped_type>{}) } -> std::same_as<bool>;
};

template <class C>
concept HasSize = requires(const C& c) {
  { c.size() } -> std::convertible_to<std::size_t>;
};

template <class C>
concept HasFootprint = requires(const C& c) {
  { c.footprint() } -> std::same_as<Footprint>;
};

template <class C>
concept HasTraits = requires {
  { C::kThreadSafe } -> std::convertible_to<bool>;
  { C::kOrdered } -> std::convertible_to<bool>;
  { C::kReturnsMemory } -> std::convertible_to<bool>;
};

template <class C>
concept StudyContainer = HasKeyValueTypes<C> && HasInsert<C> && HasErase<C> && HasFind<C> && HasSize<C> &&
    HasFootprint<C> && HasTraits<C> && std::default_initializable<C>;

template <class C>
concept Quiescible = requires(C& c) {
  c.quiesce();
};

template <class C>
concept Reservable = requires(C& c, std::size_t n) {
  c.reserve(n);
};

template <class C>
concept Compactable = requires(C& c) {
  c.compact();
};
template <class K, class V>
struct EntryProbe {
  void operator()(const K&, const V&) const noexcept {}
};

template <class C>
concept Iterable = HasKeyValueTypes<C> && requires(C& c, const C& cc) {
  cc.for_each(EntryProbe<typename C::key_type, typename C::mapped_type>{});
  { c.erase_first() } -> std::same_as<bool>;
  { c.erase_next() } -> std::same_as<bool>;
};

template <class C>
concept ProbeIntrospectable = requires(const C& c, const typename C::key_type& k) {
  { c.probe_length(k) } -> std::convertible_to<std::size_t>;
};

// Called where a container is registered: one static_assert per requirement,
// so the compiler's first error says which operation the adapter lacks.
template <class C>
constexpr bool require_study_container() {
  static_assert(HasKeyValueTypes<C>, "study container lacks: key_type / mapped_type member types");
  if constexpr (HasKeyValueTypes<C>) {
    static_assert(HasInsert<C>, "study container lacks: bool insert(const key_type&, mapped_type&&)");
    static_assert(HasErase<C>, "study container lacks: bool erase(const key_type&)");
    static_assert(HasFind<C>, "study container lacks: bool find(const key_type&, F&& on_found) const");
    static_assert(HasSize<C>, "study container lacks: std::size_t size() const");
    static_assert(HasFootprint<C>, "study container lacks: Footprint footprint() const");
    static_assert(HasTraits<C>, "study container lacks: static constexpr bool kThreadSafe, kOrdered, kReturnsMemory");
    static_assert(std::default_initializable<C>, "study container lacks: a default constructor");
  }
  return StudyContainer<C>;
}

// Whether template Impl supports the key/value kind KV: true unless
// Impl<K, V> declares `static constexpr bool kSupported = false`.
template <template <class, class> class Impl, class KV>
constexpr bool supports_kv() {
  using C = Impl<typename KV::key_type, typename KV::mapped_type>;
  if constexpr (requires { C::kSupported; }) {
    return C::kSupported;
  } else {
    return true;
  }
}

}  // namespace dstudy
