#include "dockerdiff/plan/delta_record.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/version.hpp"

namespace dockerdiff::plan {

using nlohmann::json;

namespace {

constexpr const char* kSchema = "dockerdiff.delta/v1";

std::string digest_field(const json& object, const char* key, const std::string& where) {
  auto value = string_field(object, key, where);
  if (!is_sha256_digest(value)) throw Error(where, "\"" + value + "\" is not a sha256 digest");
  return value;
}

// An entry name below `directory`/, as the archive's catalog names entries.
std::string entry_field(const json& object, const char* key, const char* directory, const std::string& where) {
  auto value = string_field(object, key, where);
  const auto normalized = archive::normalize_path(std::string(directory) + "/" + value);
  if (!normalized || *normalized != std::string(directory) + "/" + value) {
    throw Error(where, "\"" + value + "\" is not an entry name below " + directory + "/");
  }
  return value;
}

}  // namespace

std::uint64_t LayerPatch::patch_bytes() const {
  std::uint64_t bytes = 0;
  for (const auto& part : parts) bytes += part.patch_size;
  return bytes;
}

std::string delta_record_json(const DeltaRecord& record) {
  auto patches = json::array();
  for (const auto& patch : record.patches) {
    auto parts = json::array();
    for (const auto& part : patch.parts) {
      parts.push_back({{"patch", part.patch},
                       {"patch_size", part.patch_size},
                       {"offset", part.offset},
                       {"size", part.size},
                       {"reference_offset", part.reference_offset},
                       {"reference_size", part.reference_size}});
    }
    const auto& reference = patch.reference;
    patches.push_back({{"path", patch.path},
                       {"diff_id", patch.diff_id},
                       {"size", patch.size},
                       {"reference",
                        {{"diff_id", reference.diff_id},
                         {"chain_id", reference.chain_id},
                         {"size", reference.size},
                         {"provided_by", reference.provided_by},
                         {"images", reference.images}}},
                       {"parts", parts}});
  }
  return compact_json(json{{"schema", kSchema}, {"tool", "dockerdiff"}, {"version", kVersion}, {"patches", patches}});
}

bool is_delta_record(const json& document) {
  return document.is_object() && document.contains("schema") && document.at("schema") == kSchema;
}

DeltaRecord delta_record_from(const json& document, const std::string& where) {
  if (!is_delta_record(document)) throw Error(where, std::string("not a delta record (schema ") + kSchema + ")");
  if (!document.contains("patches") || !document.at("patches").is_array()) throw Error(where, "missing \"patches\" list");
  const auto& list = document.at("patches");
  if (list.size() > limits::kMaxLayers) {
    throw Error(where, "more than " + std::to_string(limits::kMaxLayers) + " patched layers, over the limit");
  }
  DeltaRecord record;
  for (const auto& item : list) {
    LayerPatch patch;
    patch.path = entry_field(item, "path", kDeltaSlimDirectory, where);
    patch.diff_id = digest_field(item, "diff_id", where);
    patch.size = count_field(item, "size", where);
    if (!item.contains("reference") || !item.at("reference").is_object()) throw Error(where, "missing \"reference\"");
    const auto& reference = item.at("reference");
    patch.reference = {digest_field(reference, "diff_id", where), digest_field(reference, "chain_id", where),
                       count_field(reference, "size", where), optional_string_field(reference, "provided_by"),
                       string_list_field(reference, "images", where)};
    if (!item.contains("parts") || !item.at("parts").is_array() || item.at("parts").empty()) {
      throw Error(where, "missing \"parts\" list");
    }
    std::uint64_t covered = 0;
    for (const auto& fields : item.at("parts")) {
      PatchPart part{entry_field(fields, "patch", kDeltaPatchDirectory, where), count_field(fields, "patch_size", where),
                     count_field(fields, "offset", where),           count_field(fields, "size", where),
                     count_field(fields, "reference_offset", where), count_field(fields, "reference_size", where)};
      const auto what = where + ": " + patch.path;
      if (part.offset != covered || part.size > patch.size - covered) throw Error(what, "patch parts do not cover the layer in order");
      if (part.reference_offset > patch.reference.size || part.reference_size > patch.reference.size - part.reference_offset) {
        throw Error(what, "a patch part reaches past its reference layer");
      }
      if (part.size > limits::patched_layer_limit(part.reference_size, part.patch_size)) {
        throw Error(what, "a patch of " + std::to_string(part.patch_size) + " bytes claims to rebuild " + std::to_string(part.size) +
                              " bytes, over the limit for patches");
      }
      covered += part.size;
      patch.parts.push_back(std::move(part));
    }
    if (covered != patch.size) throw Error(where + ": " + patch.path, "patch parts do not cover the layer");
    record.patches.push_back(std::move(patch));
  }
  return record;
}

std::vector<PatchPart> plan_patch_parts(std::uint64_t reference_size, std::uint64_t target_size, std::uint64_t window) {
  if (reference_size + target_size <= window) return {PatchPart{{}, 0, 0, target_size, 0, reference_size}};
  const auto part_size = std::max<std::uint64_t>(window / 4, 1);
  const auto reference_span = window - part_size;  // what each part may refer to
  std::vector<PatchPart> parts;
  for (std::uint64_t offset = 0; offset < target_size; offset += part_size) {
    const auto size = std::min(part_size, target_size - offset);
    PatchPart part{{}, 0, offset, size, 0, std::min(reference_span, reference_size)};
    // The reference's range around the same relative position (a release moves data little).
    const auto center = static_cast<std::uint64_t>(static_cast<long double>(offset + size / 2) * reference_size / target_size);
    const auto start = center > part.reference_size / 2 ? center - part.reference_size / 2 : 0;
    part.reference_offset = std::min(start, reference_size - part.reference_size);
    parts.push_back(part);
  }
  return parts;
}

}  // namespace dockerdiff::plan
