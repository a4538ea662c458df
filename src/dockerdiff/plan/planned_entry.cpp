#include "dockerdiff/plan/planned_entry.hpp"

#include <utility>

namespace dockerdiff::plan {

using Kind = PlannedEntry::Kind;

PlannedEntry document_entry(std::string path, std::string content) {
  PlannedEntry entry;
  entry.kind = Kind::document;
  entry.path = std::move(path);
  entry.size = content.size();
  entry.data = std::move(content);
  return entry;
}

PlannedEntry directory_entry(std::string path) {
  PlannedEntry entry;
  entry.kind = Kind::directory;
  entry.path = std::move(path);
  entry.mode = 0755;
  return entry;
}

PlannedEntry copy_entry(std::size_t input, std::size_t data_entry, const archive::TarEntry& data, std::string path,
                        const archive::TarEntry& header) {
  PlannedEntry out;
  out.kind = Kind::copy;
  out.path = std::move(path);
  out.input = input;
  out.entry = data_entry;
  out.size = data.size;
  out.mode = data.mode;
  out.mtime = header.mtime;
  return out;
}

}  // namespace dockerdiff::plan
