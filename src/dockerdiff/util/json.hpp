#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace dockerdiff {

// Parses a JSON document within limits::kMaxJsonDepth and limits::kMaxJsonValues;
// Error "<where>: invalid JSON: ..." (or naming the limit) otherwise.
nlohmann::json parse_json(const std::string& text, const std::string& where);

// One line, keys sorted, U+FFFD for the stray bytes of a string that is not UTF-8 (a name given on
// the command line) instead of an exception: the same document always gives the same bytes.
std::string compact_json(const nlohmann::json& document);

// The fields of a record the tool wrote itself (dockerdiff.json), read strictly: Error "<where>:
// missing string "key"" and the like. string_list_field: absent or null is an empty list.
std::string string_field(const nlohmann::json& object, const char* key, const std::string& where);
std::vector<std::string> string_list_field(const nlohmann::json& object, const char* key, const std::string& where);
std::uint64_t count_field(const nlohmann::json& object, const char* key, const std::string& where);
// Absent or not a string: empty.
std::string optional_string_field(const nlohmann::json& object, const char* key);

}  // namespace dockerdiff
