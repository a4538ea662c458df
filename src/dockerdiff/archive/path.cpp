#include "dockerdiff/archive/path.hpp"

#include <vector>

namespace dockerdiff::archive {

namespace {

std::vector<std::string_view> split(std::string_view path) {
  std::vector<std::string_view> parts;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto slash = path.find('/', start);
    const auto end = slash == std::string_view::npos ? path.size() : slash;
    parts.push_back(path.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

}  // namespace

std::optional<std::string> normalize_path(std::string_view raw) {
  if (raw.empty() || raw.front() == '/') return std::nullopt;
  std::vector<std::string_view> kept;
  for (const auto part : split(raw)) {
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (kept.empty()) return std::nullopt;
      kept.pop_back();
      continue;
    }
    kept.push_back(part);
  }
  if (kept.empty()) return std::nullopt;
  std::string out;
  for (const auto part : kept) {
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

std::string_view parent_path(std::string_view path) {
  const auto slash = path.rfind('/');
  return slash == std::string_view::npos ? std::string_view{} : path.substr(0, slash);
}

std::optional<std::string> resolve_link_target(std::string_view link_path, std::string_view target) {
  if (target.empty() || target.front() == '/') return std::nullopt;
  const auto parent = parent_path(link_path);
  return normalize_path(parent.empty() ? std::string(target) : std::string(parent) + "/" + std::string(target));
}

std::string relative_link(std::string_view link_path, std::string_view target_path) {
  std::string out;
  const auto parent = parent_path(link_path);
  if (!parent.empty()) {
    for (std::size_t i = 0, depth = split(parent).size(); i < depth; ++i) out += "../";
  }
  return out + std::string(target_path);
}

}  // namespace dockerdiff::archive
