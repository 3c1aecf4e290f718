// An optional value as JSON: the value, or null where there is none; and
// back. The sidecar writes "not measured" as null, and the pass codec hands
// such values from a repetition process to its parent the same way.
#pragma once

#include <optional>

#include <nlohmann/json.hpp>

namespace dstudy::bench {

template <class T>
nlohmann::json opt(const std::optional<T>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

template <class T>
std::optional<T> opt_from(const nlohmann::json& j) {
  return j.is_null() ? std::nullopt : std::optional<T>(j.get<T>());
}

}  // namespace dstudy::bench
