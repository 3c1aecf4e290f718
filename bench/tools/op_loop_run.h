// The op-loop tool's run of one stream through one container type: the
// template every registration unit instantiates (op_loop_tool.h).
#pragma once

#include <chrono>
#include <cstdio>
#include <memory>

#include "bench/pass/op_loop.h"
#include "bench/pass/stream_keys.h"
#include "bench/tools/op_loop_tool.h"
#include "impls/core/container.h"

namespace dstudy::bench::tools {

template <class C, class KV>
__attribute__((noinline)) void headline_loop(const OpLoop<KV>& loop, C& c, const Operation* ops, std::size_t begin,
                                             std::size_t end, OpCounts& counts, std::uint64_t& sum) {
  loop.run(c, ops, begin, end, counts, sum);
}

template <class C, class KV>
__attribute__((noinline)) void other_loop(const OpLoop<KV>& loop, C& c, const Operation* ops, std::size_t begin,
                                          std::size_t end, OpCounts& counts, std::uint64_t& sum) {
  loop.run(c, ops, begin, end, counts, sum);
}

// check_counts: false for a container that answers every op with success
// (NullContainer), whose counts say nothing.
template <class C, class KV, bool check_counts = true>
int run_op_loop(const OperationStream& stream, bool reserve) {
  StreamKeys<KV> keys;
  keys.materialise(stream);
  const OpLoop<KV> loop(keys);
  auto c = std::make_unique<C>();
  if constexpr (Reservable<C>) {
    if (reserve) c->reserve(stream.peak_live);
  }
  OpCounts counts{};
  std::uint64_t sum = 0;
  std::size_t headline_ops = 0;
  const ThreadStream& t = stream.threads[0];
  for (const Phase& p : t.phases) {
    const auto t0 = std::chrono::steady_clock::now();
    if (p.headline) {
      headline_loop<C, KV>(loop, *c, t.ops.data(), p.begin, p.end, counts, sum);
      headline_ops += p.end - p.begin;
    } else {
      other_loop<C, KV>(loop, *c, t.ops.data(), p.begin, p.end, counts, sum);
    }
    const double ns = std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - t0).count();
    const std::size_t n = p.end - p.begin;
    std::printf("phase %s%s: %zu ops, %.1f ns/op, %zu live\n", p.name.c_str(), p.headline ? " (headline)" : "", n,
                n ? ns / static_cast<double>(n) : 0.0, c->size());
  }
  if constexpr (check_counts) {
    for (int i = 0; i < kOpTypeCount; ++i) {
      if (counts[i] != t.expected[i]) {
        std::fprintf(stderr, "dstudy_op_loop: op type %d: %llu successes, expected %llu\n", i,
                     static_cast<unsigned long long>(counts[i]), static_cast<unsigned long long>(t.expected[i]));
        return 3;
      }
    }
  }
  std::printf("%zu headline ops (checksum %llu)\n", headline_ops, static_cast<unsigned long long>(sum));
  return 0;
}

}  // namespace dstudy::bench::tools
