#pragma once

#include <cstddef>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/tar_entry.hpp"

namespace dockerdiff::image {

// Looks entries up by path and follows symlinks and hard links to the regular file that holds the
// data (docker save stores a repeated layer once and links the other copies to it).
class EntryIndex {
 public:
  EntryIndex(const std::vector<archive::TarEntry>& entries, std::string archive_name);

  const std::vector<archive::TarEntry>& entries() const { return entries_; }
  const std::string& archive_name() const { return archive_name_; }
  std::optional<std::size_t> find(const std::string& path) const;
  // The regular file `path` ends at after following links. Throws Error naming `path` (as
  // referenced by `referrer`) when it is missing, loops, leaves the archive or is not a file.
  std::size_t resolve(const std::string& path, const std::string& referrer) const;
  // The content of a JSON document, or an Error when it is missing or was not kept as a document.
  const std::string& document(const std::string& path, const std::string& referrer) const;

 private:
  const std::vector<archive::TarEntry>& entries_;
  std::string archive_name_;
  std::map<std::string, std::size_t> by_path_;
};

}  // namespace dockerdiff::image
