#include "dockerdiff/plan/bundle.hpp"

#include <algorithm>
#include <set>

#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"

namespace dockerdiff::plan {

using nlohmann::json;
using Kind = PlannedEntry::Kind;

namespace {

int rank(const PlannedEntry& entry) {
  switch (entry.kind) {
    case Kind::copy:
    case Kind::decompressed_copy:
    case Kind::document: return 3;
    case Kind::symlink:
    case Kind::hardlink:
    case Kind::directory: return 2;
    case Kind::empty: return 1;
  }
  return 0;
}

bool is_merged_document(const std::string& path) {
  return path == "manifest.json" || path == "index.json" || path == "repositories";
}

std::string document_content(const PlannedEntry& entry, const std::vector<PlanInput>& inputs) {
  if (entry.kind == Kind::document) return entry.data;
  const auto& source = (*inputs[entry.input].entries)[entry.entry];
  if (!source.content) throw Error(inputs[entry.input].name, entry.path + ": not a JSON document");
  return *source.content;
}

}  // namespace

void DocumentMerger::add(const std::string& path, const std::string& content, const std::string& where) {
  auto document = parse_json(content, where + ": " + path);
  if (path == "manifest.json") {
    for (auto& item : document) {
      if (std::find(manifest_.begin(), manifest_.end(), item) == manifest_.end()) manifest_.push_back(item);
    }
  } else if (path == "index.json") {
    if (index_.is_null()) {
      index_ = document;
      index_["manifests"] = json::array();
    }
    for (auto& item : document["manifests"]) {
      if (std::find(index_["manifests"].begin(), index_["manifests"].end(), item) == index_["manifests"].end()) {
        index_["manifests"].push_back(item);
      }
    }
  } else {
    repositories_.merge_patch(document);
  }
}

void DocumentMerger::append_to(std::vector<PlannedEntry>& out) const {
  if (!index_.is_null()) out.push_back(document_entry("index.json", compact_json(index_)));
  if (!manifest_.empty()) out.push_back(document_entry("manifest.json", compact_json(manifest_)));
  if (!repositories_.is_null()) out.push_back(document_entry("repositories", compact_json(repositories_)));
}

void EntryAssembler::add(std::size_t input, std::vector<PlannedEntry> entries) {
  const bool bundle = inputs_.size() > 1;
  for (auto& entry : entries) {
    if (bundle && is_merged_document(entry.path)) {
      merger_.add(entry.path, document_content(entry, inputs_), inputs_[input].name);
      continue;
    }
    const auto [it, inserted] = position_.try_emplace(entry.path, entries_.size());
    if (inserted) {
      entries_.push_back(std::move(entry));
    } else if (rank(entry) > rank(entries_[it->second])) {
      entries_[it->second] = std::move(entry);  // the same path with its content, from another input
    }
  }
}

std::vector<PlannedEntry> EntryAssembler::finish() && {
  merger_.append_to(entries_);
  // A hard link must follow its target in the stream; merging may have reordered them.
  std::set<std::string> emitted;
  for (auto& entry : entries_) {
    if (entry.kind == Kind::hardlink && !emitted.contains(entry.data)) {
      entry.kind = Kind::symlink;
      entry.data = archive::relative_link(entry.path, entry.data);
    }
    emitted.insert(entry.path);
  }
  return std::move(entries_);
}

}  // namespace dockerdiff::plan
