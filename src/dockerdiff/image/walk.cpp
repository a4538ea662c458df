#include "dockerdiff/image/walk.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/image/document_fields.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/limits.hpp"

namespace dockerdiff::image {

namespace {

using nlohmann::json;

// Where a layer is named, before its config gives it a diff_id.
struct LayerRef {
  std::string path;
  std::string media_type;   // from an OCI descriptor; the Docker layer type from manifest.json
  std::string blob_digest;  // from an OCI descriptor
  std::optional<std::uint64_t> size;  // from an OCI descriptor
};

// An image as one document describes it, with every layer path that document names (the layers
// of `image` are those it could also establish).
struct Described {
  Image image;
  std::vector<std::string> layer_paths;
};

// A manifest an index lists (attestations left out), with the tags of the nearest descriptor on
// the way to it that has any.
struct Listed {
  std::string digest;
  std::vector<std::string> tags;
};

class Walker {
 public:
  Walker(const EntryIndex& index, Diagnostics& diagnostics)
      : index_(index), diagnostics_(diagnostics), fields_(index, diagnostics) {}

  ImageArchive walk() {
    const bool has_manifest = index_.find("manifest.json").has_value();
    const bool has_index = index_.find("index.json").has_value();
    ImageArchive archive;
    if (!has_manifest && !has_index) {
      diagnostics_.report("", "neither manifest.json nor index.json found: not an image archive");
      return archive;
    }
    archive.layout = has_index ? (has_manifest ? Layout::docker25 : Layout::oci) : Layout::legacy;
    std::vector<Described> docker_images;
    std::vector<Described> oci_images;
    if (has_manifest) read_docker_manifest(docker_images);
    if (has_index) {
      for (const auto& listed : listed_manifests("index.json", "index.json", 0)) read_oci_manifest(listed, oci_images);
    }
    archive.images = merge(std::move(docker_images), std::move(oci_images), has_manifest && has_index);
    if (archive.images.empty()) diagnostics_.report("", "the archive holds no image");
    return archive;
  }

 private:
  // ---- configs: each digest and diff_id list worked out once, however many images name the config:
  // a manifest.json listing one large config thousands of times must not hash and parse it each time.

  const std::optional<std::string>& config_digest(const std::string& config_path, const std::string& referrer) {
    if (const auto known = config_digests_.find(config_path); known != config_digests_.end()) return known->second;
    std::optional<std::string> digest;
    try {
      digest = sha256_digest(index_.document(config_path, referrer));
    } catch (const Error& error) {
      diagnostics_.report(error);
    }
    return config_digests_.emplace(config_path, std::move(digest)).first->second;
  }

  const std::optional<std::vector<std::string>>& diff_ids(const std::string& config_path, const std::string& referrer) {
    if (const auto known = diff_ids_.find(config_path); known != diff_ids_.end()) return known->second;
    return diff_ids_.emplace(config_path, read_diff_ids(config_path, referrer)).first->second;
  }

  std::optional<std::vector<std::string>> read_diff_ids(const std::string& config_path, const std::string& referrer) {
    const auto config = fields_.document(config_path, referrer);
    if (!config) return std::nullopt;
    const auto* rootfs = fields_.member(*config, "rootfs", config_path);
    if (rootfs == nullptr) return std::nullopt;
    auto ids = fields_.string_list(fields_.member(*rootfs, "diff_ids", config_path), "rootfs.diff_ids", config_path);
    if (!ids) return std::nullopt;
    bool valid = true;
    for (const auto& id : *ids) {
      if (!is_sha256_digest(id)) {
        diagnostics_.report(config_path, "diff_id \"" + id + "\" is not a sha256 digest");
        valid = false;
      }
    }
    if (!valid) return std::nullopt;
    return ids;
  }

  // The layers `source` names, each given its diff_id and chain ID from the config.
  void attach_layers(Image& image, const std::string& source, const std::vector<LayerRef>& layers) {
    const auto& ids = diff_ids(image.config_path, source);
    if (!ids) return;
    if (ids->size() != layers.size()) {
      diagnostics_.report(image.config_path, "config lists " + std::to_string(ids->size()) + " diff_ids but " + source +
                                                 " lists " + std::to_string(layers.size()) + " layers");
    }
    const auto chains = chain_ids(*ids);
    for (std::size_t i = 0; i < std::min(ids->size(), layers.size()); ++i) {
      const auto entry = fields_.resolve(layers[i].path, source);
      if (!entry) continue;
      Layer layer;
      layer.path = layers[i].path;
      layer.entry = *entry;
      layer.size = index_.entries()[*entry].size;
      layer.linked = index_.entries()[*index_.find(layer.path)].type != archive::EntryType::regular;
      layer.media_type = layers[i].media_type;
      layer.blob_digest = layers[i].blob_digest;
      layer.descriptor_size = layers[i].size;
      layer.diff_id = (*ids)[i];
      layer.chain_id = chains[i];
      check_compression(layer);
      image.layers.push_back(std::move(layer));
    }
  }

  // A blob's media type says how it is compressed; an emptied layer has no content to say otherwise.
  void check_compression(const Layer& layer) {
    const auto& entry = index_.entries()[layer.entry];
    if (layer.blob_digest.empty() || entry.size == 0) return;
    const auto compression = archive::detect_compression(entry.magic);
    if (media_type::layer_compression(layer.media_type) == compression) return;
    diagnostics_.report(layer.path, "media type " + layer.media_type + " but the content is " +
                                        (compression == archive::Compression::none
                                             ? std::string("not compressed")
                                             : std::string(archive::compression_name(compression)) + " compressed"));
  }

  // One more image of `layers` layers described by `path`: false (and a problem) over the limits.
  bool within_limits(std::size_t images, std::size_t layers, std::size_t& layers_so_far, const std::string& path) {
    if (images > limits::kMaxImages) {
      diagnostics_.report(path, "more than " + std::to_string(limits::kMaxImages) + " images, over the limit for one archive");
      return false;
    }
    if (layers > limits::kMaxLayersPerImage) {
      diagnostics_.report(path, "an image of " + std::to_string(layers) + " layers, over the limit of " +
                                    std::to_string(limits::kMaxLayersPerImage));
      return false;
    }
    layers_so_far += layers;
    if (layers_so_far > limits::kMaxLayers) {
      diagnostics_.report(path, "more than " + std::to_string(limits::kMaxLayers) +
                                    " layers in all images together, over the limit for one archive");
      return false;
    }
    return true;
  }

  // ---- manifest.json ----------------------------------------------------------------------------

  void read_docker_manifest(std::vector<Described>& images) {
    const std::string path = "manifest.json";
    const auto manifest = fields_.document(path, path);
    if (!manifest) return;
    if (!manifest->is_array()) {
      diagnostics_.report(path, "not a list of images");
      return;
    }
    if (manifest->empty()) diagnostics_.report(path, "lists no image");
    std::size_t layers_so_far = 0;
    for (const auto& item : *manifest) {
      const auto raw_config = fields_.string_member(item, "Config", path);
      const auto raw_layers = fields_.string_list(fields_.member(item, "Layers", path), "Layers", path);
      const auto tags = fields_.string_list(item.contains("RepoTags") ? &item.at("RepoTags") : nullptr, "RepoTags", path);
      if (!within_limits(images.size() + 1, raw_layers ? raw_layers->size() : 0, layers_so_far, path)) {
        if (images.size() + 1 > limits::kMaxImages || layers_so_far > limits::kMaxLayers) return;
        continue;
      }
      std::vector<LayerRef> layers;
      bool layers_known = raw_layers.has_value();
      for (const auto& raw : raw_layers.value_or(std::vector<std::string>{})) {
        if (auto layer_path = fields_.archive_path(raw, path)) {
          layers.push_back({*layer_path, std::string(media_type::kDockerLayerTar), {}, std::nullopt});
        } else {
          layers_known = false;
        }
      }
      if (!raw_config) continue;
      const auto config_path = fields_.archive_path(*raw_config, path);
      if (!config_path) continue;
      const auto& digest = config_digest(*config_path, path);
      if (!digest) continue;
      Described described;
      described.image.config_path = *config_path;
      described.image.config_digest = *digest;
      described.image.tags = tags.value_or(std::vector<std::string>{});
      for (const auto& layer : layers) described.layer_paths.push_back(layer.path);
      if (layers_known) attach_layers(described.image, path, layers);
      check_legacy_config_name(*config_path, *digest);
      images.push_back(std::move(described));
    }
  }

  // A legacy config is named by its digest: "<hex>.json".
  void check_legacy_config_name(const std::string& config_path, const std::string& digest) {
    const auto slash = config_path.rfind('/');
    const auto base = config_path.substr(slash == std::string::npos ? 0 : slash + 1);
    if (base.size() != 69 || !base.ends_with(".json")) return;
    const auto named = "sha256:" + base.substr(0, 64);
    if (is_sha256_digest(named) && named != digest) {
      diagnostics_.report(config_path, "content does not match its digest " + named + " (sha256 is " + digest + ")");
    }
  }

  // ---- index.json and the manifests it lists ------------------------------------------------------

  static std::optional<std::uint64_t> size_of(const json& descriptor) {
    if (!descriptor.contains("size") || !descriptor.at("size").is_number_unsigned()) return std::nullopt;
    return descriptor.at("size").get<std::uint64_t>();
  }

  // The entry a descriptor names must exist and have the size the descriptor gives.
  bool check_descriptor(const json& descriptor, const std::string& digest, const std::string& path) {
    const auto blob = blob_path(digest);
    const auto entry = fields_.resolve(blob, path);
    if (!entry) return false;
    if (const auto size = size_of(descriptor)) {
      const auto actual = index_.entries()[*entry].size;
      // An emptied layer is a zero-length entry on purpose.
      if (actual != *size && actual != 0) {
        diagnostics_.report(blob, "holds " + std::to_string(actual) + " bytes but " + path + " gives size " + std::to_string(*size));
      }
    }
    return true;
  }

  static std::vector<std::string> tags_of(const json& descriptor) {
    if (!descriptor.contains("annotations") || !descriptor.at("annotations").is_object()) return {};
    const auto& annotations = descriptor.at("annotations");
    for (const char* key : {"io.containerd.image.name", "org.opencontainers.image.ref.name"}) {
      if (annotations.contains(key) && annotations.at(key).is_string()) return {annotations.at(key).get<std::string>()};
    }
    return {};
  }

  static bool is_attestation(const json& descriptor) {
    return descriptor.contains("annotations") && descriptor.at("annotations").is_object() &&
           descriptor.at("annotations").contains("vnd.docker.reference.type");
  }

  // Every manifest the index at `path` (named by `referrer`) lists, nested indexes flattened. Each index is read once,
  // however often it is listed, and all lists together hold at most kMaxIndexDescriptors entries:
  // nested indexes that list each other many times over make a tiny archive that would otherwise
  // be walked for ever.
  std::vector<Listed> listed_manifests(const std::string& path, const std::string& referrer, int depth) {
    if (const auto known = listed_.find(path); known != listed_.end()) return known->second;
    std::vector<Listed> out;
    if (depth > limits::kMaxIndexDepth) {
      diagnostics_.report(path, "indexes nested more than " + std::to_string(limits::kMaxIndexDepth) + " deep");
      return out;
    }
    const auto index = fields_.document(path, referrer);
    const auto* manifests = index ? fields_.member(*index, "manifests", path) : nullptr;
    if (manifests == nullptr) return out;
    if (!manifests->is_array()) {
      diagnostics_.report(path, "\"manifests\" is not a list");
      return out;
    }
    if (depth == 0 && manifests->empty()) diagnostics_.report(path, "lists no image");
    const auto within_limit = [&] {
      if (++descriptors_ <= limits::kMaxIndexDescriptors) return true;
      diagnostics_.report(path, "indexes list more than " + std::to_string(limits::kMaxIndexDescriptors) +
                                    " manifests (nested indexes counted each time they are listed), over the limit for one archive");
      return false;
    };
    for (const auto& descriptor : *manifests) {
      const auto type = fields_.string_member(descriptor, "mediaType", path);
      const auto digest = fields_.digest_member(descriptor, "digest", path);
      if (!type || !digest || !check_descriptor(descriptor, *digest, path)) continue;
      const auto tags = tags_of(descriptor);
      if (media_type::is_index(*type)) {
        for (const auto& nested : listed_manifests(blob_path(*digest), path, depth + 1)) {
          if (!within_limit()) return out;
          out.push_back({nested.digest, nested.tags.empty() ? tags : nested.tags});
        }
      } else if (media_type::is_manifest(*type)) {
        if (!within_limit()) return out;
        // Attestations (buildx provenance, SBOM) are not images: their blobs pass through untouched.
        if (!is_attestation(descriptor)) out.push_back({*digest, tags});
      } else {
        diagnostics_.report(path, "unknown media type \"" + *type + "\" for " + *digest);
      }
    }
    return listed_.emplace(path, out).first->second;
  }

  void read_oci_manifest(const Listed& listed, std::vector<Described>& images) {
    for (auto& known : images) {
      if (known.image.manifest_digest != listed.digest) continue;
      for (const auto& tag : listed.tags) {
        if (std::find(known.image.tags.begin(), known.image.tags.end(), tag) == known.image.tags.end()) known.image.tags.push_back(tag);
      }
      return;
    }
    const auto path = blob_path(listed.digest);
    const auto manifest = fields_.document(path, "index.json");
    if (!manifest) return;
    Described described;
    auto& image = described.image;
    image.manifest_digest = listed.digest;
    image.tags = listed.tags;
    bool config_known = false;
    if (const auto* config = fields_.member(*manifest, "config", path)) {
      const auto type = fields_.string_member(*config, "mediaType", path);
      if (type && !media_type::is_config(*type)) diagnostics_.report(path, "unknown config media type \"" + *type + "\"");
      const auto digest = fields_.digest_member(*config, "digest", path);
      // The content is checked before the size: a changed config is named as such.
      const auto& actual = digest ? config_digest(blob_path(*digest), path) : std::nullopt;
      if (actual && *actual != *digest) {
        diagnostics_.report(blob_path(*digest), "content does not match its digest " + *digest + " (sha256 is " + *actual + ")");
      }
      if (actual && check_descriptor(*config, *digest, path)) {
        image.config_digest = *digest;
        image.config_path = blob_path(*digest);
        config_known = true;
      }
    }
    std::vector<LayerRef> layers;
    bool layers_known = false;
    if (const auto* list = fields_.member(*manifest, "layers", path)) {
      if (!list->is_array()) {
        diagnostics_.report(path, "\"layers\" is not a list");
      } else if (!within_limits(images.size() + 1, list->size(), oci_layers_, path)) {
        return;
      } else {
        layers_known = true;
        for (const auto& descriptor : *list) {
          const auto type = fields_.string_member(descriptor, "mediaType", path);
          const auto digest = fields_.digest_member(descriptor, "digest", path);
          if (type && !media_type::is_layer(*type)) {
            diagnostics_.report(path, "unknown layer media type \"" + *type + "\"");
            layers_known = false;
          }
          if (!type || !digest) {
            layers_known = false;
            continue;
          }
          described.layer_paths.push_back(blob_path(*digest));
          if (check_descriptor(descriptor, *digest, path)) {
            layers.push_back({blob_path(*digest), *type, *digest, size_of(descriptor)});
          } else {
            layers_known = false;
          }
        }
      }
    }
    if (config_known) {
      if (layers_known) {
        attach_layers(image, path, layers);
      } else {
        (void)diff_ids(image.config_path, path);  // still report what is wrong with the config
      }
    }
    images.push_back(std::move(described));
  }

  // Docker 25+ archives describe each image twice: manifest.json (what docker load reads) and the OCI
  // index. One image, one entry: the OCI side adds media types and digests.
  std::vector<Image> merge(std::vector<Described> docker_images, std::vector<Described> oci_images, bool both) {
    std::vector<Image> images;
    std::vector<bool> matched(oci_images.size(), false);
    for (auto& docker : docker_images) {
      auto& image = docker.image;
      for (std::size_t i = 0; i < oci_images.size(); ++i) {
        const auto& oci = oci_images[i];
        // Two manifest.json entries may share one manifest (the same image under two tags).
        if (oci.image.config_digest != image.config_digest || oci.layer_paths != docker.layer_paths) continue;
        matched[i] = true;
        image.manifest_digest = oci.image.manifest_digest;
        if (image.tags.empty()) image.tags = oci.image.tags;
        for (auto& layer : image.layers) {
          const auto same = std::find_if(oci.image.layers.begin(), oci.image.layers.end(),
                                         [&](const Layer& known) { return known.path == layer.path; });
          if (same == oci.image.layers.end()) continue;
          layer.media_type = same->media_type;
          layer.blob_digest = same->blob_digest;
          layer.descriptor_size = same->descriptor_size;
        }
        break;
      }
      if (both && image.manifest_digest.empty()) {
        diagnostics_.report("manifest.json", "image " + image.config_digest +
                                                 " has no manifest in index.json with the same config and layers");
      }
      images.push_back(std::move(image));
    }
    for (std::size_t i = 0; i < oci_images.size(); ++i) {
      if (!matched[i]) images.push_back(std::move(oci_images[i].image));
    }
    return images;
  }

  const EntryIndex& index_;
  Diagnostics& diagnostics_;
  DocumentFields fields_;
  std::map<std::string, std::optional<std::string>> config_digests_;
  std::map<std::string, std::optional<std::vector<std::string>>> diff_ids_;
  std::map<std::string, std::vector<Listed>> listed_;
  std::size_t descriptors_ = 0;
  std::size_t oci_layers_ = 0;
};

}  // namespace

ImageArchive walk_image_documents(const EntryIndex& index, Diagnostics& diagnostics) { return Walker(index, diagnostics).walk(); }

}  // namespace dockerdiff::image
