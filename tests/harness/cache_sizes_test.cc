// Cache sizes: read from sysfs when it is there, and from sysconf or CPUID
// when it is not (a chroot without /sys), so the report can always say whether
// a table fits in cache.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "bench/probes/environment.h"

namespace dstudy::probes {
namespace {

namespace fs = std::filesystem;

// A fresh, empty folder under the test's temporary directory.
fs::path empty_folder(const std::string& name) {
  const fs::path dir = fs::path(::testing::TempDir()) / ("dstudy_cache_sizes_" + name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

void write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file) << text << '\n';
}

TEST(CacheSizes, ReadsSysfsUnderTheGivenRoot) {
  const fs::path root = empty_folder("sysfs");
  const fs::path cache = root / "devices/system/cpu/cpu0/cache";
  write(cache / "index0/level", "1");
  write(cache / "index0/type", "Data");
  write(cache / "index0/size", "48K");
  write(cache / "index1/level", "2");
  write(cache / "index1/type", "Unified");
  write(cache / "index1/size", "2048K");
  write(cache / "index2/level", "3");
  write(cache / "index2/type", "Unified");
  write(cache / "index2/size", "32M");
  const nlohmann::json caches = cache_bytes(root.string());
  EXPECT_EQ(caches, (nlohmann::json{{"L1d", 48 << 10}, {"L2", 2048 << 10}, {"L3", 32 << 20}}));
}

TEST(CacheSizes, FallsBackToSysconfWithoutSysfs) {
  const nlohmann::json sysconf_caches = cache_bytes_from_sysconf();
  if (sysconf_caches.empty()) GTEST_SKIP() << "glibc's sysconf knows no cache size on this machine";
  const nlohmann::json caches = cache_bytes(empty_folder("no_sysfs").string());
  EXPECT_EQ(caches, sysconf_caches);
  EXPECT_EQ(caches.value("L1d", 0L), ::sysconf(_SC_LEVEL1_DCACHE_SIZE));
}

TEST(CacheSizes, SysconfAndCpuidAgreeWithSysfsWhereItIsMounted) {
  const nlohmann::json sysfs = cache_bytes_from_sysfs("/sys");
  if (!sysfs.contains("L1d")) GTEST_SKIP() << "/sys does not give the cache sizes here";
  const nlohmann::json cpuid = cache_bytes_from_cpuid();
#if defined(__x86_64__) || defined(__i386__)
  ASSERT_TRUE(cpuid.contains("L1d")) << cpuid.dump();
  EXPECT_EQ(cpuid["L1d"], sysfs["L1d"]);
#endif
  const nlohmann::json sysconf_caches = cache_bytes_from_sysconf();
  if (sysconf_caches.contains("L1d")) EXPECT_EQ(sysconf_caches["L1d"], sysfs["L1d"]);
}

}  // namespace
}  // namespace dstudy::probes
