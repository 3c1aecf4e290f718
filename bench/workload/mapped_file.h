// A file mapped into memory copy-on-write, for operation streams that are
// views over records on disk (a replayed trace, a cached stream): the
// harness may be handed mutable ops, and nothing it writes reaches the file.
#pragma once

#include <cstddef>
#include <filesystem>
#include <memory>

namespace dstudy {

struct MappedFile {
  void* base = nullptr;
  std::size_t bytes = 0;
  MappedFile() = default;
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();
};

// Maps the whole of `file` (MAP_PRIVATE, read-write, read sequentially).
// Throws std::runtime_error naming the file; an empty file maps to base
// nullptr and 0 bytes.
std::shared_ptr<MappedFile> map_file(const std::filesystem::path& file);

// Makes every page of [p, p + bytes) resident in this process's page tables.
// A process forked from the one that mapped a file does not inherit its page
// table entries for it (Linux copies them only for mappings that hold
// private copies), so each pass process calls this before its memory
// baseline and before anything is timed: the records then cost neither page
// faults inside a timed region nor resident bytes in the container's layers.
void fault_in(const void* p, std::size_t bytes);

}  // namespace dstudy
