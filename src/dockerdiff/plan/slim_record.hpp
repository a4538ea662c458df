#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/plan/slim_plan.hpp"

// dockerdiff.json, the record a slim archive carries at its root (schema dockerdiff.slim/v1): for
// each image its tags, config digest, layer count and the layers it requires of the host (the
// dropped ones). slim writes it; check, restore and the fuzz harness read it, all through these types.
namespace dockerdiff::plan {

inline constexpr const char* kSlimRecordPath = "dockerdiff.json";

struct RequiredLayer {
  std::string chain_id;
  std::string diff_id;
  std::string provided_by;  // empty when the archive does not say
  std::vector<std::string> base_images;
  // The blob the archive's OCI manifest names for the layer (what containerd's content store must
  // hold); empty in the legacy layout, which names layer files and no blobs. Recorded as "blob";
  // records written before it get it from the archive's manifests (attach_blob_digests).
  std::string blob_digest;
  // The size of that blob (legacy: of the layer tar), "size": a slim archive slimmed again into the
  // Docker 25+ layout describes its emptied layers with it. 0 when not recorded (older records).
  std::uint64_t size = 0;
  // "original_blob": the blob the input's manifest named, where slim named the host's blob instead
  // (an inventory's "blobs"); empty otherwise.
  std::string original_blob;

  bool operator==(const RequiredLayer&) const = default;
};

struct ImageRequirement {
  std::vector<std::string> tags;
  std::string config_digest;
  std::vector<RequiredLayer> required;  // what the host must already have
  std::size_t layer_count = 0;          // all layers of the image, dropped or not

  bool operator==(const ImageRequirement&) const = default;
};

// What the plan's decisions require of the host.
std::vector<ImageRequirement> recorded_requirements(const std::vector<ImageDecision>& images);

std::string slim_record_json(const std::vector<ImageRequirement>& images);

// The record's images; throws Error naming `where` when `record` is not a dockerdiff record.
std::vector<ImageRequirement> requirements_from_record(const nlohmann::json& record, const std::string& where);

}  // namespace dockerdiff::plan
