#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

// The Docker 25+ layout for inputs in another one (--layout auto): every engine loads it.
namespace dockerdiff::plan {

struct LegacyInput {
  const PlanInput& input;
  std::size_t input_index;
  const image::EntryIndex& index;
  const std::set<std::string>& kept_diff_ids;  // layers whose data the output carries
  // diff_id -> the layer tar's size, for layers the input holds empty (an earlier slim's record
  // says): their descriptors give it, the empty entry cannot.
  const std::map<std::string, std::uint64_t>& recorded_sizes;
};

// A legacy archive in the Docker 25+ layout: content-addressed blobs, an OCI manifest per image,
// index.json and manifest.json.
std::vector<PlannedEntry> convert_legacy_to_docker25(const LegacyInput& legacy);

// A pure OCI archive's planned entries `out`, plus the manifest.json Docker's classic store reads.
std::vector<PlannedEntry> add_docker_manifest(const image::ImageArchive& archive, std::vector<PlannedEntry> out);

}  // namespace dockerdiff::plan
