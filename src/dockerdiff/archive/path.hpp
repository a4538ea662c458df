#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace dockerdiff::archive {

// The canonical form of a path inside an archive: relative, '/'-separated, no '.', '..' or empty
// components ("./a//b/" -> "a/b"). nullopt when the path is absolute or climbs out of the archive.
std::optional<std::string> normalize_path(std::string_view raw);

// The directory part of a normalized path ("a/b" -> "a", "b" -> "").
std::string_view parent_path(std::string_view path);

// Where a symlink stored at `link_path` with target `target` points, normalized; nullopt when the
// target is absolute or leaves the archive.
std::optional<std::string> resolve_link_target(std::string_view link_path, std::string_view target);

// The relative symlink target that makes `link_path` point at `target_path` (both normalized).
std::string relative_link(std::string_view link_path, std::string_view target_path);

}  // namespace dockerdiff::archive
