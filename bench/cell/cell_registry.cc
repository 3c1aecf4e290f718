#include "bench/cell/cell_registry.h"

#include <algorithm>
#include <stdexcept>

namespace dstudy::bench {

DriverFactory RegisteredImpl::factory_for(const std::string& kv) const {
  for (const auto& [name, factory] : kinds)
    if (name == kv) return factory;
  return nullptr;
}

std::vector<std::string> RegisteredImpl::kind_names() const {
  std::vector<std::string> out;
  for (const auto& k : kinds) out.push_back(k.first);
  return out;
}

CellRegistry& CellRegistry::instance() {
  static CellRegistry registry;
  return registry;
}

void CellRegistry::add(RegisteredImpl impl) {
  if (find(impl.name)) throw std::logic_error("container registered twice: " + impl.name);
  impls_.push_back(std::move(impl));
}

std::vector<const RegisteredImpl*> CellRegistry::all() const {
  std::vector<const RegisteredImpl*> out;
  for (const auto& i : impls_) out.push_back(&i);
  std::sort(out.begin(), out.end(), [](const auto* a, const auto* b) { return a->name < b->name; });
  return out;
}

const RegisteredImpl* CellRegistry::find(const std::string& name) const {
  for (const auto& i : impls_)
    if (i.name == name) return &i;
  return nullptr;
}

}  // namespace dstudy::bench
