#include "dockerdiff/image/document_fields.hpp"

#include <nlohmann/json.hpp>

#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/json.hpp"

namespace dockerdiff::image {

std::optional<nlohmann::json> DocumentFields::document(const std::string& path, const std::string& referrer) {
  try {
    return parse_json(index_.document(path, referrer), index_.archive_name() + ": " + path);
  } catch (const Error& error) {
    diagnostics_.report(error);
    return std::nullopt;
  }
}

const nlohmann::json* DocumentFields::member(const nlohmann::json& object, const char* key, const std::string& path) {
  if (!object.is_object() || !object.contains(key)) {
    diagnostics_.report(path, std::string("missing \"") + key + "\"");
    return nullptr;
  }
  return &object.at(key);
}

std::optional<std::string> DocumentFields::string_member(const nlohmann::json& object, const char* key, const std::string& path) {
  const auto* value = member(object, key, path);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    diagnostics_.report(path, std::string("\"") + key + "\" is not a string");
    return std::nullopt;
  }
  return value->get<std::string>();
}

std::optional<std::string> DocumentFields::digest_member(const nlohmann::json& object, const char* key, const std::string& path) {
  auto value = string_member(object, key, path);
  if (value && !is_sha256_digest(*value)) {
    diagnostics_.report(path, "\"" + *value + "\" is not a sha256 digest");
    return std::nullopt;
  }
  return value;
}

std::optional<std::vector<std::string>> DocumentFields::string_list(const nlohmann::json* value, const std::string& key, const std::string& path) {
  if (value == nullptr) return std::nullopt;
  std::vector<std::string> out;
  if (value->is_null()) return out;
  if (!value->is_array()) {
    diagnostics_.report(path, "\"" + key + "\" is not a list");
    return std::nullopt;
  }
  for (const auto& item : *value) {
    if (!item.is_string()) {
      diagnostics_.report(path, "\"" + key + "\" holds a non-string");
      return std::nullopt;
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::optional<std::string> DocumentFields::archive_path(const std::string& raw, const std::string& path) {
  auto normalized = archive::normalize_path(raw);
  if (!normalized) diagnostics_.report(path, "path '" + raw + "' is absolute or leaves the archive");
  return normalized;
}

std::optional<std::size_t> DocumentFields::resolve(const std::string& path, const std::string& referrer) {
  try {
    return index_.resolve(path, referrer);
  } catch (const Error& error) {
    diagnostics_.report(error);
    return std::nullopt;
  }
}

}  // namespace dockerdiff::image
