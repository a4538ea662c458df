#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/image/diagnostics.hpp"
#include "dockerdiff/image/entry_index.hpp"

namespace dockerdiff::image {

// The fields of an archive's JSON documents, read leniently: a missing or mistyped field is reported
// to the diagnostics, and the caller walks on without the value (nullopt / nullptr).
class DocumentFields {
 public:
  DocumentFields(const EntryIndex& index, Diagnostics& diagnostics) : index_(index), diagnostics_(diagnostics) {}

  std::optional<nlohmann::json> document(const std::string& path, const std::string& referrer);
  const nlohmann::json* member(const nlohmann::json& object, const char* key, const std::string& path);
  std::optional<std::string> string_member(const nlohmann::json& object, const char* key, const std::string& path);
  std::optional<std::string> digest_member(const nlohmann::json& object, const char* key, const std::string& path);
  std::optional<std::vector<std::string>> string_list(const nlohmann::json* value, const std::string& key, const std::string& path);
  std::optional<std::string> archive_path(const std::string& raw, const std::string& path);
  std::optional<std::size_t> resolve(const std::string& path, const std::string& referrer);

 private:
  const EntryIndex& index_;
  Diagnostics& diagnostics_;
};

}  // namespace dockerdiff::image
