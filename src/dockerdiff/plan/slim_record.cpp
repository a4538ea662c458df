#include "dockerdiff/plan/slim_record.hpp"

#include <nlohmann/json.hpp>

#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/version.hpp"

namespace dockerdiff::plan {

using nlohmann::json;

std::vector<ImageRequirement> recorded_requirements(const std::vector<ImageDecision>& images) {
  std::vector<ImageRequirement> out;
  for (const auto& image : images) {
    ImageRequirement requirement{image.tags, image.config_digest, {}, image.layers.size()};
    for (const auto& layer : image.layers) {
      if (layer.dropped) {
        requirement.required.push_back({layer.chain_id, layer.diff_id, layer.provided_by, layer.provided_by_images,
                                         layer.blob_digest, layer.blob_size, layer.original_blob_digest});
      }
    }
    out.push_back(std::move(requirement));
  }
  return out;
}

std::string slim_record_json(const std::vector<ImageRequirement>& images) {
  auto list = json::array();
  for (const auto& image : images) {
    auto required = json::array();
    for (const auto& layer : image.required) {
      json item{{"chain_id", layer.chain_id},
                {"diff_id", layer.diff_id},
                {"provided_by", layer.provided_by},
                {"base_images", layer.base_images}};
      // Left out when unknown or not so, as in records written before these fields.
      if (!layer.blob_digest.empty()) item["blob"] = layer.blob_digest;
      if (!layer.original_blob.empty()) item["original_blob"] = layer.original_blob;
      if (layer.size != 0) item["size"] = layer.size;
      required.push_back(std::move(item));
    }
    list.push_back({{"tags", image.tags},
                    {"config_digest", image.config_digest},
                    {"layers", image.layer_count},
                    {"required", required}});
  }
  return compact_json(json{{"schema", "dockerdiff.slim/v1"}, {"tool", "dockerdiff"}, {"version", kVersion}, {"images", list}});
}

std::vector<ImageRequirement> requirements_from_record(const json& record, const std::string& where) {
  if (!record.is_object() || !record.contains("images") || !record.at("images").is_array()) {
    throw Error(where, "not a dockerdiff record (no \"images\" list)");
  }
  std::vector<ImageRequirement> images;
  for (const auto& item : record.at("images")) {
    ImageRequirement image;
    image.tags = string_list_field(item, "tags", where);
    image.config_digest = string_field(item, "config_digest", where);
    if (item.contains("layers") && item.at("layers").is_number_unsigned()) image.layer_count = item.at("layers").get<std::size_t>();
    if (!item.contains("required") || !item.at("required").is_array()) throw Error(where, "missing \"required\" list");
    for (const auto& layer : item.at("required")) {
      RequiredLayer required{string_field(layer, "chain_id", where), string_field(layer, "diff_id", where),
                             optional_string_field(layer, "provided_by"), string_list_field(layer, "base_images", where),
                             optional_string_field(layer, "blob"), 0, optional_string_field(layer, "original_blob")};
      if (!is_sha256_digest(required.chain_id)) throw Error(where, "\"" + required.chain_id + "\" is not a chain ID");
      for (const auto* blob : {&required.blob_digest, &required.original_blob}) {
        if (!blob->empty() && !is_sha256_digest(*blob)) throw Error(where, "\"" + *blob + "\" is not a blob digest");
      }
      if (layer.contains("size")) required.size = count_field(layer, "size", where);
      image.required.push_back(std::move(required));
    }
    images.push_back(std::move(image));
  }
  return images;
}

}  // namespace dockerdiff::plan
