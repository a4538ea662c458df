#include "dockerdiff/plan/host_check.hpp"

#include <nlohmann/json.hpp>

#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::plan {

using nlohmann::json;

namespace {

std::vector<std::string> strings(const json& object, const char* key, const std::string& where) {
  std::vector<std::string> out;
  if (!object.contains(key) || object.at(key).is_null()) return out;
  if (!object.at(key).is_array()) throw Error(where, "\"" + std::string(key) + "\" is not a list");
  for (const auto& item : object.at(key)) {
    if (!item.is_string()) throw Error(where, "\"" + std::string(key) + "\" holds a non-string");
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string string_of(const json& object, const char* key, const std::string& where) {
  if (!object.contains(key) || !object.at(key).is_string()) throw Error(where, "missing string \"" + std::string(key) + "\"");
  return object.at(key).get<std::string>();
}

}  // namespace

std::vector<ImageRequirement> requirements_from_record(const json& record, const std::string& where) {
  if (!record.is_object() || !record.contains("images") || !record.at("images").is_array()) {
    throw Error(where, "not a dockerdiff record (no \"images\" list)");
  }
  std::vector<ImageRequirement> images;
  for (const auto& item : record.at("images")) {
    ImageRequirement image;
    image.tags = strings(item, "tags", where);
    image.config_digest = string_of(item, "config_digest", where);
    if (!item.contains("required") || !item.at("required").is_array()) throw Error(where, "missing \"required\" list");
    for (const auto& layer : item.at("required")) {
      RequiredLayer required{string_of(layer, "chain_id", where), string_of(layer, "diff_id", where),
                             layer.contains("provided_by") && layer.at("provided_by").is_string()
                                 ? layer.at("provided_by").get<std::string>()
                                 : std::string(),
                             strings(layer, "base_images", where),
                             {}};
      if (!is_sha256_digest(required.chain_id)) throw Error(where, "\"" + required.chain_id + "\" is not a chain ID");
      image.required.push_back(std::move(required));
    }
    images.push_back(std::move(image));
  }
  return images;
}

std::vector<ImageRequirement> requirements_from_archive(const image::ImageArchive& archive,
                                                        const std::vector<archive::TarEntry>& entries) {
  std::vector<ImageRequirement> images;
  for (const auto& image : archive.images) {
    ImageRequirement requirement{image.tags, image.config_digest, {}};
    for (const auto& layer : image.layers) {
      if (entries[layer.entry].size == 0) requirement.required.push_back({layer.chain_id, layer.diff_id, {}, {}, layer.blob_digest});
    }
    images.push_back(std::move(requirement));
  }
  return images;
}

void attach_blob_digests(std::vector<ImageRequirement>& images, const image::ImageArchive& archive) {
  for (auto& requirement : images) {
    for (const auto& image : archive.images) {
      if (image.config_digest != requirement.config_digest) continue;
      for (auto& required : requirement.required) {
        for (const auto& layer : image.layers) {
          if (layer.chain_id == required.chain_id) required.blob_digest = layer.blob_digest;
        }
      }
    }
  }
}

std::vector<StoreCheck> check_content_store(const std::vector<ImageRequirement>& images,
                                            const std::set<std::string>& content_digests) {
  std::vector<StoreCheck> checks;
  for (const auto& image : images) {
    StoreCheck check{&image, {}};
    for (const auto& layer : image.required) {
      if (layer.blob_digest.empty() || !content_digests.contains(layer.blob_digest)) check.absent.push_back(&layer);
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

std::vector<ImageCheck> check_host(const std::vector<ImageRequirement>& images, const image::BaseSet& host) {
  std::vector<ImageCheck> checks;
  for (const auto& image : images) {
    ImageCheck check{&image, {}};
    for (const auto& layer : image.required) {
      if (host.find(layer.chain_id) == nullptr) check.missing.push_back(&layer);
    }
    checks.push_back(std::move(check));
  }
  return checks;
}

}  // namespace dockerdiff::plan
