// dstudy_stream_time: what the stream cache saves per cell: the time to generate a workload's
// operation stream, to store it in the cache, and to read it back (map,
// check the content hash, parse the metadata) as every later cell does.
//
//   build/release/dstudy_stream_time WORKLOAD SIZE KV [LIVE] [CACHE_DIR]
//
// LIVE is the live size the harness would pass for a spec with a fill (e.g.
// zipf_churn at full size, fill 0.85 of absl's and the tombstone map's
// 1,835,008-key growth point: 1559756); without it, the nominal size.
// CACHE_DIR defaults to a fresh folder under /tmp, removed at the end.
#include <time.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "bench/workload/stream_cache.h"
#include "bench/workload/stream_generator.h"
#include "bench/workload/workload_spec.h"

namespace {

// Wall and CPU seconds of one step: on a shared machine the process's CPU
// time is the figure to trust, the wall time includes waiting for a CPU.
struct Clock {
  std::chrono::steady_clock::time_point wall = std::chrono::steady_clock::now();
  double cpu = cpu_now();
  static double cpu_now() {
    timespec ts{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
  }
  std::string since() const {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.3f s (CPU %.3f s)",
                  std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count(), cpu_now() - cpu);
    return buf;
  }
};

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s WORKLOAD SIZE KV [LIVE] [CACHE_DIR]\n", argv[0]);
    return 2;
  }
  namespace fs = std::filesystem;
  const std::string size = argv[2], kv = argv[3];
  std::optional<std::size_t> live;
  if (argc > 4 && std::atoll(argv[4]) > 0) live = static_cast<std::size_t>(std::atoll(argv[4]));
  const bool own_dir = argc <= 5;
  const fs::path dir = own_dir ? fs::temp_directory_path() / ("stream_time." + std::to_string(::getpid())) : argv[5];
  try {
    const dstudy::WorkloadSpec spec = dstudy::find_workload(dstudy::default_workloads_dir(), argv[1]);
    const dstudy::StreamIdentity id = dstudy::stream_identity(spec, size, kv, live);
    dstudy::StreamCache cache(dir);
    fs::remove(cache.file_for(id));

    Clock t;
    const dstudy::OperationStream s = dstudy::generate_stream(spec, size, kv, live);
    const std::string generate = t.since();
    t = Clock{};
    dstudy::write_stream_file(cache.file_for(id), id.text, s);
    const std::string store = t.since();
    t = Clock{};
    const dstudy::OperationStream r = dstudy::read_stream_file(cache.file_for(id), id.text);
    const std::string read = t.since();

    std::printf("%s %s %s live %zu: %zu ops, %zu keys, file %.1f MB\n", argv[1], size.c_str(), kv.c_str(),
                s.initial_size, s.total_ops(), s.key_seeds.size(),
                static_cast<double>(fs::file_size(cache.file_for(id))) / 1e6);
    std::printf("  generate %s\n  store %s\n  read back (map, hash check, metadata) %s\n", generate.c_str(),
                store.c_str(), read.c_str());
    if (r.total_ops() != s.total_ops()) throw std::runtime_error("read back a different stream");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "stream_time: %s\n", e.what());
    return 1;
  }
  if (own_dir) fs::remove_all(dir);
  return 0;
}
