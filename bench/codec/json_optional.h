// An optional value as JSON: the value, or null where there is none; and
// back. The sidecar writes "not measured" as null, and the pass codec hands
// such values from a repetition process to its parent the same way (the
// serializer below lets NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE convert structs
// with optional fields: nlohmann_json 3.11 has none for std::optional).
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

namespace nlohmann {

template <class T>
struct adl_serializer<std::optional<T>> {
  static void to_json(json& j, const std::optional<T>& v) { j = dstudy::bench::opt(v); }
  static void from_json(const json& j, std::optional<T>& v) { v = dstudy::bench::opt_from<T>(j); }
};

}  // namespace nlohmann
