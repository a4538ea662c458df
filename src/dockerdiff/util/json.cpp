#include "dockerdiff/util/json.hpp"

#include <nlohmann/json.hpp>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/limits.hpp"

namespace dockerdiff {

using nlohmann::json;

json parse_json(const std::string& text, const std::string& where) {
  // Far beyond any real document; deeper nesting only serves to exhaust the stack, more values only
  // to fill memory.
  std::size_t values = 0;
  try {
    return json::parse(text, [&](int depth, json::parse_event_t event, json&) {
      // `depth` counts the arrays and objects around the event: a start event at depth 64 opens a 65th.
      const bool opens = event == json::parse_event_t::object_start || event == json::parse_event_t::array_start;
      if (depth > limits::kMaxJsonDepth || (opens && depth == limits::kMaxJsonDepth)) {
        throw Error(where, "invalid JSON: nested more than " + std::to_string(limits::kMaxJsonDepth) + " deep");
      }
      if (opens || event == json::parse_event_t::value) {
        if (++values > limits::kMaxJsonValues) {
          throw Error(where, "more than " + std::to_string(limits::kMaxJsonValues) +
                      " JSON values, over the limit for one document");
        }
      }
      return true;
    });
  } catch (const json::exception& error) {
    throw Error(where, std::string("invalid JSON: ") + error.what());
  }
}

std::string compact_json(const json& document) { return document.dump(-1, ' ', false, json::error_handler_t::replace); }

std::string string_field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_string()) {
    throw Error(where, std::string("missing string \"") + key + "\"");
  }
  return object.at(key).get<std::string>();
}

std::vector<std::string> string_list_field(const json& object, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!object.is_object() || !object.contains(key) || object.at(key).is_null()) return out;
  if (!object.at(key).is_array()) throw Error(where, std::string("\"") + key + "\" is not a list");
  for (const auto& item : object.at(key)) {
    if (!item.is_string()) throw Error(where, std::string("\"") + key + "\" holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::uint64_t count_field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key) || !object.at(key).is_number_unsigned()) {
    throw Error(where, std::string("\"") + key + "\" is not a byte count");
  }
  return object.at(key).get<std::uint64_t>();
}

std::string optional_string_field(const json& object, const char* key) {
  return object.is_object() && object.contains(key) && object.at(key).is_string() ? object.at(key).get<std::string>() : std::string();
}

}  // namespace dockerdiff
