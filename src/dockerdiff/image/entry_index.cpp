#include "dockerdiff/image/entry_index.hpp"

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/units.hpp"

namespace dockerdiff::image {

using limits::kMaxLinkHops;

EntryIndex::EntryIndex(const std::vector<archive::TarEntry>& entries, std::string archive_name)
    : entries_(entries), archive_name_(std::move(archive_name)) {
  for (std::size_t i = 0; i < entries_.size(); ++i) by_path_[entries_[i].path] = i;
}

std::optional<std::size_t> EntryIndex::find(const std::string& path) const {
  const auto it = by_path_.find(path);
  if (it == by_path_.end()) return std::nullopt;
  return it->second;
}

std::size_t EntryIndex::resolve(const std::string& path, const std::string& referrer) const {
  std::string current = path;
  for (int hop = 0; hop <= kMaxLinkHops; ++hop) {
    const auto index = find(current);
    if (!index) {
      throw Error(archive_name_ + ": " + referrer, "names '" + path + "', which is not in the archive" +
                  (current != path ? " (link to missing '" + current + "')" : ""));
    }
    const auto& entry = entries_[*index];
    switch (entry.type) {
      case archive::EntryType::regular: return *index;
      case archive::EntryType::hardlink: current = entry.link_target; break;
      case archive::EntryType::symlink: {
        const auto target = archive::resolve_link_target(entry.path, entry.link_target);
        if (!target) {
          throw Error(archive_name_, "symlink '" + entry.path + "' -> '" + entry.link_target + "' leaves the archive");
        }
        current = *target;
        break;
      }
      default:
        throw Error(archive_name_ + ": " + referrer, "names '" + path + "', which is not a regular file");
    }
  }
  throw Error(archive_name_, "link loop at '" + path + "' (more than " + std::to_string(kMaxLinkHops) + " symlinks or hard links)");
}

const std::string& EntryIndex::document(const std::string& path, const std::string& referrer) const {
  const auto& entry = entries_[resolve(path, referrer)];
  if (!entry.content) {
    if (entry.size > limits::kMaxJsonDocumentBytes && archive::looks_like_json(entry.magic)) {
      throw Error(archive_name_ + ": " + path, "a JSON document of " + std::to_string(entry.size) +
                  " bytes, over the limit of " + human_bytes(limits::kMaxJsonDocumentBytes));
    }
    throw Error(archive_name_ + ": " + path, entry.size > 0 ? "not a JSON document" : "not a JSON document (empty file)");
  }
  return *entry.content;
}

}  // namespace dockerdiff::image
