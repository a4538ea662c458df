#pragma once

#include <string>

#include <nlohmann/json_fwd.hpp>

namespace dockerdiff {

// Parses a JSON document within limits::kMaxJsonDepth and limits::kMaxJsonValues;
// Error "<where>: invalid JSON: ..." (or naming the limit) otherwise.
nlohmann::json parse_json(const std::string& text, const std::string& where);

}  // namespace dockerdiff
