#include "dockerdiff/image/base_set.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <tuple>
#include <nlohmann/json.hpp>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::image {

using nlohmann::json;

void BaseSet::add_chain_id(const std::string& base, const std::string& image_name, const std::string& chain_id) {
  auto [it, inserted] = providers_.try_emplace(chain_id, Provider{base, {}});
  auto& provider = it->second;
  if (provider.base == base && !image_name.empty() &&
      std::find(provider.images.begin(), provider.images.end(), image_name) == provider.images.end()) {
    provider.images.push_back(image_name);
  }
}

void BaseSet::add_image(const std::string& base, const std::string& image_name, const std::vector<std::string>& diff_ids) {
  for (const auto& chain_id : chain_ids(diff_ids)) add_chain_id(base, image_name, chain_id);
  diff_ids_.insert(diff_ids.begin(), diff_ids.end());
}

void BaseSet::add_archive(const std::string& base, const ImageArchive& archive) {
  for (const auto& image : archive.images) {
    std::vector<std::string> ids;
    for (const auto& layer : image.layers) {
      ids.push_back(layer.diff_id);
      // The tar's own size where the blob is the tar (legacy, or an uncompressed blob); a slim
      // archive's emptied layer still has it in its descriptor (OCI) or not at all (legacy: 0).
      const bool uncompressed = layer.blob_digest.empty() || layer.blob_digest == layer.diff_id;
      const auto size = layer.descriptor_size.value_or(layer.size);
      if (uncompressed && size > 0) layer_sizes_.insert(size);
    }
    add_image(base, image.display_name(), ids);
  }
}

namespace {

// A short, single-line description of a value for messages.
std::string describe(const json& value) {
  if (value.is_structured()) return std::string("a JSON ") + value.type_name();
  auto text = value.dump();
  return text.size() > 80 ? text.substr(0, 77) + "..." : text;
}

std::vector<std::string> digests(const json& list, const std::string& base, const char* what) {
  if (!list.is_array()) throw Error(base, std::string(what) + " is not a list");
  std::vector<std::string> out;
  for (const auto& item : list) {
    if (!item.is_string() || !is_sha256_digest(item.get<std::string>())) {
      throw Error(base, std::string(what) + " holds " + describe(item) + ", not a sha256 digest");
    }
    out.push_back(item.get<std::string>());
  }
  return out;
}

std::string first_tag(const json& image) {
  for (const char* key : {"tags", "RepoTags"}) {
    if (image.contains(key) && image.at(key).is_array() && !image.at(key).empty() && image.at(key)[0].is_string()) {
      return image.at(key)[0].get<std::string>();
    }
  }
  for (const char* key : {"id", "Id"}) {
    if (image.contains(key) && image.at(key).is_string()) return image.at(key).get<std::string>();
  }
  return {};
}

HostBlob host_blob(const json& item, const std::string& base) {
  const auto text = [&](const char* key) {
    if (!item.is_object() || !item.contains(key) || !item.at(key).is_string()) {
      throw Error(base, "\"blobs\" holds " + describe(item) + " without a string \"" + key + "\"");
    }
    return item.at(key).get<std::string>();
  };
  HostBlob blob{text("diff_id"), text("digest"), text("media_type"), 0};
  if (!is_sha256_digest(blob.diff_id) || !is_sha256_digest(blob.digest)) {
    throw Error(base, "\"blobs\" holds a blob whose digest or diff_id is not a sha256 digest");
  }
  if (!item.contains("size") || !item.at("size").is_number_unsigned()) throw Error(base, "\"blobs\" holds a blob without a size");
  blob.size = item.at("size").get<std::uint64_t>();
  return blob;
}

}  // namespace

void BaseSet::add_blob(const HostBlob& blob) {
  auto& known = blobs_[blob.diff_id];
  if (std::find(known.begin(), known.end(), blob) == known.end()) known.push_back(blob);
  blob_digests_.insert(blob.digest);
}

bool BaseSet::may_hold_layer(const std::string& digest) const {
  return diff_ids_.contains(digest) || blob_digests_.contains(digest) || providers_.contains(digest);
}

std::vector<HostBlob> BaseSet::blobs_of(const std::string& diff_id) const {
  const auto it = blobs_.find(diff_id);
  return it == blobs_.end() ? std::vector<HostBlob>{} : it->second;
}

std::vector<std::string> inspected_diff_ids(const json& image, const std::string& what) {
  // An image without layers has no (or a null) "Layers".
  if (!image.is_object() || !image.contains("RootFS") || !image.at("RootFS").is_object()) return {};
  const auto& rootfs = image.at("RootFS");
  if (!rootfs.contains("Layers") || rootfs.at("Layers").is_null()) return {};
  return digests(rootfs.at("Layers"), what, "\"RootFS.Layers\"");
}

void BaseSet::add_inventory(const std::string& base, const json& document) {
  const auto add_item = [&](const json& item) {
    if (item.is_string()) {
      for (const auto& chain : digests(json::array({item}), base, "the chain ID list")) add_chain_id(base, {}, chain);
    } else if (item.is_array()) {
      add_image(base, {}, digests(item, base, "a diff_id list"));
    } else if (item.is_object() && item.contains("diff_ids")) {
      add_image(base, first_tag(item), digests(item.at("diff_ids"), base, "\"diff_ids\""));
    } else if (item.is_object() && item.contains("RootFS") && item.at("RootFS").is_object()) {
      add_image(base, first_tag(item), inspected_diff_ids(item, base));
    } else {
      throw Error(base, "not an inventory: expected chain IDs, diff_id lists or images, found " + describe(item));
    }
  };
  if (document.is_array()) {
    for (const auto& item : document) add_item(item);
    return;
  }
  if (document.is_object() && (document.contains("chain_ids") || document.contains("images"))) {
    if (document.contains("chain_ids")) {
      for (const auto& chain : digests(document.at("chain_ids"), base, "\"chain_ids\"")) add_chain_id(base, {}, chain);
    }
    if (document.contains("images")) {
      if (!document.at("images").is_array()) throw Error(base, "\"images\" is not a list");
      for (const auto& item : document.at("images")) add_item(item);
    }
    if (document.contains("blobs")) {
      if (!document.at("blobs").is_array()) throw Error(base, "\"blobs\" is not a list");
      for (const auto& item : document.at("blobs")) add_blob(host_blob(item, base));
    }
    return;
  }
  throw Error(base, "not an inventory: expected a list, or an object with \"chain_ids\" or \"images\"");
}

json make_inventory(const std::string& engine, const json& inspected, const std::vector<HostBlob>& blobs) {
  if (!inspected.is_array()) throw Error(engine, "image inspect did not print a list");
  std::set<std::string> all_chains;
  std::map<std::string, json> images;  // by ID, for a stable order
  for (const auto& item : inspected) {
    if (!item.is_object() || !item.contains("Id") || !item.at("Id").is_string()) {
      throw Error(engine, "image inspect printed an image without \"Id\"");
    }
    const auto diff_ids = inspected_diff_ids(item, engine);
    for (const auto& chain : chain_ids(diff_ids)) all_chains.insert(chain);
    auto tags = item.contains("RepoTags") && item.at("RepoTags").is_array() ? item.at("RepoTags") : json::array();
    images[item.at("Id").get<std::string>()] = {{"id", item.at("Id")}, {"tags", tags}, {"diff_ids", diff_ids}};
  }
  auto list = json::array();
  for (auto& [id, image] : images) list.push_back(std::move(image));
  json inventory{{"schema", "dockerdiff.inventory/v1"}, {"engine", engine}, {"chain_ids", all_chains}, {"images", list}};
  if (!blobs.empty()) {
    std::set<std::pair<std::string, std::string>> seen;  // (digest, diff_id), sorted
    std::vector<const HostBlob*> sorted;
    for (const auto& blob : blobs) {
      if (seen.emplace(blob.digest, blob.diff_id).second) sorted.push_back(&blob);
    }
    std::sort(sorted.begin(), sorted.end(), [](const HostBlob* a, const HostBlob* b) {
      return std::tie(a->diff_id, a->digest) < std::tie(b->diff_id, b->digest);
    });
    auto list_of_blobs = json::array();
    for (const auto* blob : sorted) {
      list_of_blobs.push_back({{"diff_id", blob->diff_id}, {"digest", blob->digest}, {"media_type", blob->media_type}, {"size", blob->size}});
    }
    inventory["blobs"] = std::move(list_of_blobs);
  }
  return inventory;
}

const BaseSet::Provider* BaseSet::find(const std::string& chain_id) const {
  const auto it = providers_.find(chain_id);
  return it == providers_.end() ? nullptr : &it->second;
}

}  // namespace dockerdiff::image
