#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace dockerdiff {

// Parses a JSON document within limits::kMaxJsonDepth and limits::kMaxJsonValues;
// Error "<where>: invalid JSON: ..." (or naming the limit) otherwise.
nlohmann::json parse_json(const std::string& text, const std::string& where);

// One line, keys sorted, U+FFFD for the stray bytes of a string that is not UTF-8 (a name given on
// the command line) instead of an exception: the same document always gives the same bytes.
std::string compact_json(const nlohmann::json& document);

}  // namespace dockerdiff
