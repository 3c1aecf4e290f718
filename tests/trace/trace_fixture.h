// The trace tests' fixture: a scratch folder per test, and conversion of a
// trace given as text into a .dstrace there; and replay of a loaded trace on
// a container, every outcome checked.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bench/cell/cell_benchmark.h"
#include "bench/cell/cell_runner.h"
#include "bench/trace/trace_convert.h"
#include "bench/trace/trace_error.h"

namespace dstudy::trace {

class TraceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("dstudy_trace_test_" + std::to_string(::getpid()) + "_" +
                                                     ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::filesystem::path write(const std::string& name, const std::string& bytes) {
    const std::filesystem::path p = dir_ / name;
    std::ofstream(p, std::ios::binary) << bytes;
    return p;
  }
  std::filesystem::path convert(Format f, const std::string& text, ConvertOptions o = {}) {
    const std::filesystem::path out = dir_ / "out.dstrace";
    convert_trace(f, write("in", text), out, o);
    return out;
  }
  // The message of the TraceError `fn` throws ("" when it throws none).
  template <class Fn>
  static std::string error_of(Fn&& fn) {
    try {
      fn();
    } catch (const TraceError& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path dir_;
};

// Runs `s` on container C (memory pass, then timed pass) and checks each
// pass's outcomes and checksum as a cell does.
template <class C, class KV>
bench::CheckResult replay_and_check(const OperationStream& s) {
  bench::ContainerCellDriver<C, KV> d;
  const bench::CellSetup setup = d.prepare({}, [&](std::optional<std::size_t>) { return s; });
  const bench::RepetitionResult mem = d.run_memory_pass();
  const bench::CheckResult c = bench::check_repetition(setup, mem, "memory");
  if (!c.ok) return c;
  return bench::check_repetition(setup, d.run_timed_pass(), "throughput");
}

}  // namespace dstudy::trace
