#pragma once

#include <cstddef>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::plan {

// The metadata that several inputs of one layout each carry (manifest.json, index.json,
// repositories), merged into one document each.
class DocumentMerger {
 public:
  void add(const std::string& path, const std::string& content, const std::string& where);
  void append_to(std::vector<PlannedEntry>& out) const;

 private:
  nlohmann::json manifest_ = nlohmann::json::array();
  nlohmann::json index_;
  nlohmann::json repositories_;
};

// The planned entries of every input, as one archive: each path once (the entry with content wins
// over a link or an emptied file), and with several inputs (a bundle) their metadata merged.
class EntryAssembler {
 public:
  explicit EntryAssembler(const std::vector<PlanInput>& inputs) : inputs_(inputs) {}
  void add(std::size_t input, std::vector<PlannedEntry> entries);
  // The entries in order; a hard link whose target no longer comes first becomes a symlink.
  std::vector<PlannedEntry> finish() &&;

 private:
  const std::vector<PlanInput>& inputs_;
  std::vector<PlannedEntry> entries_;
  std::map<std::string, std::size_t> position_;
  DocumentMerger merger_;
};

}  // namespace dockerdiff::plan
