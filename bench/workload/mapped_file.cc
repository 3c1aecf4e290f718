#include "bench/workload/mapped_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <string>

namespace dstudy {

MappedFile::~MappedFile() {
  if (base) ::munmap(base, bytes);
}

std::shared_ptr<MappedFile> map_file(const std::filesystem::path& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) throw std::runtime_error(file.string() + ": cannot read: " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(file.string() + ": cannot stat: " + std::strerror(err));
  }
  auto m = std::make_shared<MappedFile>();
  m->bytes = static_cast<std::size_t>(st.st_size);
  if (m->bytes == 0) {
    ::close(fd);
    return m;
  }
  void* base = ::mmap(nullptr, m->bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int err = errno;
  ::close(fd);
  if (base == MAP_FAILED) throw std::runtime_error(file.string() + ": cannot map: " + std::strerror(err));
  m->base = base;
  ::madvise(m->base, m->bytes, MADV_SEQUENTIAL);
  return m;
}

void fault_in(const void* p, std::size_t bytes) {
  if (!p || bytes == 0) return;
  const auto page = static_cast<std::uintptr_t>(::sysconf(_SC_PAGESIZE));
  const auto begin = reinterpret_cast<std::uintptr_t>(p) & ~(page - 1);
  const auto end = reinterpret_cast<std::uintptr_t>(p) + bytes;
#ifdef MADV_POPULATE_READ
  if (::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_POPULATE_READ) == 0) return;
#endif
  // Kernels before 5.14: read one byte of every page (each page that holds
  // part of the range is mapped whole, so its first byte can be read).
  unsigned char sink = 0;
  for (std::uintptr_t a = begin; a < end; a += page) sink ^= *reinterpret_cast<const volatile unsigned char*>(a);
  asm volatile("" : : "r"(sink));
}

}  // namespace dstudy
