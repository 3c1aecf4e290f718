// The runtime registry of containers the bench can run: for each registered
// name, its traits and, for every key/value kind it supports, a factory for
// the type-erased cell driver. Filled before main by bench/cell/cell_registration.h
// (one generated translation unit per registering impls/ header).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "bench/cell/cell_driver.h"

namespace dstudy::bench {

struct RegisteredImpl {
  std::string name;
  std::string origin;  // "library" (a user can adopt it) or "study" (the study's own), register.h
  bool thread_safe = false;
  bool ordered = false;
  bool returns_memory = false;
  bool iterable = false;  // models Iterable (container.h): runs erase_first / erase_next / iterate
  // Supported kinds in the order results list them (value_types.h).
  std::vector<std::pair<std::string, DriverFactory>> kinds;

  DriverFactory factory_for(const std::string& kv) const;  // nullptr if unsupported
  std::vector<std::string> kind_names() const;
};

class CellRegistry {
 public:
  static CellRegistry& instance();

  // Throws std::logic_error on a duplicate name.
  void add(RegisteredImpl impl);
  // Sorted by name.
  std::vector<const RegisteredImpl*> all() const;
  const RegisteredImpl* find(const std::string& name) const;

 private:
  std::vector<RegisteredImpl> impls_;
};

}  // namespace dstudy::bench
