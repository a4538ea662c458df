#include "dockerdiff/image/reader.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/util/limits.hpp"

namespace dockerdiff::image {

using nlohmann::json;

std::string_view layout_name(Layout layout) {
  switch (layout) {
    case Layout::legacy: return "legacy";
    case Layout::docker25: return "docker25";
    case Layout::oci: return "oci";
  }
  return "legacy";
}

std::string Image::display_name() const { return tags.empty() ? config_digest : tags.front(); }

namespace {

using limits::kMaxIndexDepth;

class Reader {
 public:
  explicit Reader(const EntryIndex& index) : index_(index), name_(index.archive_name()) {}

  ImageArchive read() {
    const bool has_manifest = index_.find("manifest.json").has_value();
    const bool has_index = index_.find("index.json").has_value();
    if (!has_manifest && !has_index) {
      throw Error(name_ + ": neither manifest.json nor index.json found: not an image archive");
    }
    ImageArchive archive;
    archive.layout = has_index ? (has_manifest ? Layout::docker25 : Layout::oci) : Layout::legacy;
    if (has_manifest) read_docker_manifest(archive.images);
    if (has_index) {
      std::vector<Image> oci_images;
      layers_ = 0;  // manifest.json and index.json each describe the images within the limits
      for (const auto& listed : listed_manifests("index.json", 0)) read_oci_manifest(listed.digest, listed.tags, oci_images);
      merge(archive.images, std::move(oci_images));
    }
    if (archive.images.empty()) throw Error(name_ + ": the archive holds no image");
    check_digests(archive);
    return archive;
  }

 private:
  std::string where(const std::string& path) const { return name_ + ": " + path; }

  json document(const std::string& path) const { return parse_json(index_.document(path, path), where(path)); }

  const json& member(const json& object, const char* key, const std::string& path) const {
    if (!object.is_object() || !object.contains(key)) throw Error(where(path) + ": missing \"" + key + "\"");
    return object.at(key);
  }

  std::string string_member(const json& object, const char* key, const std::string& path) const {
    const auto& value = member(object, key, path);
    if (!value.is_string()) throw Error(where(path) + ": \"" + key + "\" is not a string");
    return value.get<std::string>();
  }

  std::string digest_member(const json& object, const char* key, const std::string& path) const {
    auto value = string_member(object, key, path);
    if (!is_sha256_digest(value)) throw Error(where(path) + ": \"" + value + "\" is not a sha256 digest");
    return value;
  }

  std::string archive_path(const std::string& raw, const std::string& path) const {
    const auto normalized = archive::normalize_path(raw);
    if (!normalized) throw Error(where(path) + ": path '" + raw + "' is absolute or leaves the archive");
    return *normalized;
  }

  std::vector<std::string> string_list(const json& value, const std::string& key, const std::string& path) const {
    std::vector<std::string> out;
    if (value.is_null()) return out;
    if (!value.is_array()) throw Error(where(path) + ": \"" + key + "\" is not a list");
    for (const auto& item : value) {
      if (!item.is_string()) throw Error(where(path) + ": \"" + key + "\" holds a non-string");
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::vector<std::string> diff_ids(const json& config, const std::string& config_path) const {
    const auto& rootfs = member(config, "rootfs", config_path);
    const auto ids = string_list(member(rootfs, "diff_ids", config_path), "rootfs.diff_ids", config_path);
    for (const auto& id : ids) {
      if (!is_sha256_digest(id)) throw Error(where(config_path) + ": diff_id \"" + id + "\" is not a sha256 digest");
    }
    return ids;
  }

  Layer make_layer(const std::string& path, const std::string& referrer) const {
    Layer layer;
    layer.path = path;
    layer.entry = index_.resolve(path, referrer);
    layer.size = index_.entries()[layer.entry].size;
    layer.linked = index_.entries()[*index_.find(path)].type != archive::EntryType::regular;
    return layer;
  }

  void attach_diff_ids(Image& image, const std::vector<std::string>& ids, const std::string& layers_source) const {
    if (ids.size() != image.layers.size()) {
      throw Error(where(image.config_path) + ": config lists " + std::to_string(ids.size()) + " diff_ids but " +
                  layers_source + " lists " + std::to_string(image.layers.size()) + " layers");
    }
    const auto chains = chain_ids(ids);
    for (std::size_t i = 0; i < ids.size(); ++i) {
      image.layers[i].diff_id = ids[i];
      image.layers[i].chain_id = chains[i];
    }
  }

  // One more image, with this many layers: within the limits?
  void count_image(std::size_t images, std::size_t layers, const std::string& path) const {
    if (images > limits::kMaxImages) {
      throw Error(where(path) + ": more than " + std::to_string(limits::kMaxImages) + " images, over the limit for one archive");
    }
    if (layers > limits::kMaxLayersPerImage) {
      throw Error(where(path) + ": an image of " + std::to_string(layers) + " layers, over the limit of " +
                  std::to_string(limits::kMaxLayersPerImage));
    }
    layers_ += layers;
    if (layers_ > limits::kMaxLayers) {
      throw Error(where(path) + ": more than " + std::to_string(limits::kMaxLayers) +
                  " layers in all images together, over the limit for one archive");
    }
  }

  // A config's digest and diff_ids, each worked out once however many images name the config: a
  // manifest.json listing one large config thousands of times must not hash and parse it each time.
  const std::string& config_digest(const std::string& config_path, const std::string& referrer) const {
    auto it = config_digests_.find(config_path);
    if (it == config_digests_.end()) {
      it = config_digests_.emplace(config_path, sha256_digest(index_.document(config_path, referrer))).first;
    }
    return it->second;
  }

  const std::vector<std::string>& config_diff_ids(const std::string& config_path, const std::string& referrer) const {
    auto it = config_diff_ids_.find(config_path);
    if (it == config_diff_ids_.end()) {
      const auto& text = index_.document(config_path, referrer);
      it = config_diff_ids_.emplace(config_path, diff_ids(parse_json(text, where(config_path)), config_path)).first;
    }
    return it->second;
  }

  void read_docker_manifest(std::vector<Image>& images) const {
    const auto manifest = document("manifest.json");
    if (!manifest.is_array()) throw Error(where("manifest.json") + ": not a list of images");
    for (const auto& item : manifest) {
      Image image;
      image.config_path = archive_path(string_member(item, "Config", "manifest.json"), "manifest.json");
      image.tags = string_list(item.contains("RepoTags") ? item.at("RepoTags") : json(), "RepoTags", "manifest.json");
      image.config_digest = config_digest(image.config_path, "manifest.json");
      const auto layer_paths = string_list(member(item, "Layers", "manifest.json"), "Layers", "manifest.json");
      count_image(images.size() + 1, layer_paths.size(), "manifest.json");
      for (const auto& raw : layer_paths) {
        auto layer = make_layer(archive_path(raw, "manifest.json"), "manifest.json");
        layer.media_type = media_type::kDockerLayerTar;
        image.layers.push_back(std::move(layer));
      }
      attach_diff_ids(image, config_diff_ids(image.config_path, "manifest.json"), "manifest.json");
      images.push_back(std::move(image));
    }
  }

  // Where the catalog pass hashed a layer's data (compressed archives), it must be what the
  // manifest says: the blob digest, or for an uncompressed legacy layer its diff_id.
  void check_digests(const ImageArchive& archive) const {
    for (const auto& image : archive.images) {
      for (const auto& layer : image.layers) {
        const auto& entry = index_.entries()[layer.entry];
        if (!entry.digest || entry.size == 0) continue;
        std::string expected = layer.blob_digest;
        if (expected.empty() && archive::detect_compression(entry.magic) == archive::Compression::none) expected = layer.diff_id;
        if (!expected.empty() && *entry.digest != expected) {
          throw Error(where(entry.path) + ": content does not match its digest " + expected + " (corrupt archive)");
        }
      }
    }
  }


  std::vector<std::string> tags_of(const json& descriptor) const {
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

  // A manifest an index lists (attestations left out), with the tags of the nearest descriptor on
  // the way to it that has any.
  struct Listed {
    std::string digest;
    std::vector<std::string> tags;
  };

  // Every manifest the index at `path` lists, nested indexes flattened. Each index is read once,
  // however often it is listed, and all lists together hold at most kMaxIndexDescriptors entries:
  // nested indexes that list each other many times over make a tiny archive that would otherwise
  // be walked for ever.
  const std::vector<Listed>& listed_manifests(const std::string& path, int depth) const {
    if (const auto known = listed_.find(path); known != listed_.end()) return known->second;
    if (depth > kMaxIndexDepth) throw Error(where(path) + ": indexes nested more than " + std::to_string(kMaxIndexDepth) + " deep");
    const auto index = document(path);
    const auto& manifests = member(index, "manifests", path);
    if (!manifests.is_array()) throw Error(where(path) + ": \"manifests\" is not a list");
    std::vector<Listed> out;
    const auto count = [&] {
      if (++descriptors_ > limits::kMaxIndexDescriptors) {
        throw Error(where(path) + ": indexes list more than " + std::to_string(limits::kMaxIndexDescriptors) +
                    " manifests (nested indexes counted each time they are listed), over the limit for one archive");
      }
    };
    for (const auto& descriptor : manifests) {
      const auto type = string_member(descriptor, "mediaType", path);
      const auto digest = digest_member(descriptor, "digest", path);
      const auto tags = tags_of(descriptor);
      if (media_type::is_index(type)) {
        for (const auto& nested : listed_manifests(blob_path(digest), depth + 1)) {
          count();
          out.push_back({nested.digest, nested.tags.empty() ? tags : nested.tags});
        }
      } else if (media_type::is_manifest(type)) {
        count();
        // Attestations (buildx provenance, SBOM) are not images: their blobs pass through untouched.
        if (!is_attestation(descriptor)) out.push_back({digest, tags});
      } else {
        throw Error(where(path) + ": unknown media type \"" + type + "\" for " + digest);
      }
    }
    return listed_.emplace(path, std::move(out)).first->second;
  }

  void read_oci_manifest(const std::string& digest, const std::vector<std::string>& tags, std::vector<Image>& images) const {
    for (auto& known : images) {
      if (known.manifest_digest == digest) {
        for (const auto& tag : tags) {
          if (std::find(known.tags.begin(), known.tags.end(), tag) == known.tags.end()) known.tags.push_back(tag);
        }
        return;
      }
    }
    const auto path = blob_path(digest);
    const auto manifest = document(path);
    Image image;
    image.manifest_digest = digest;
    image.tags = tags;
    const auto& config = member(manifest, "config", path);
    const auto config_type = string_member(config, "mediaType", path);
    if (!media_type::is_config(config_type)) throw Error(where(path) + ": unknown config media type \"" + config_type + "\"");
    image.config_digest = digest_member(config, "digest", path);
    image.config_path = blob_path(image.config_digest);
    if (config_digest(image.config_path, path) != image.config_digest) {
      throw Error(where(image.config_path) + ": content does not match its digest");
    }
    const auto& layers = member(manifest, "layers", path);
    if (!layers.is_array()) throw Error(where(path) + ": \"layers\" is not a list");
    count_image(images.size() + 1, layers.size(), path);
    for (const auto& descriptor : layers) {
      const auto type = string_member(descriptor, "mediaType", path);
      if (!media_type::is_layer(type)) throw Error(where(path) + ": unknown layer media type \"" + type + "\"");
      const auto layer_digest = digest_member(descriptor, "digest", path);
      auto layer = make_layer(blob_path(layer_digest), path);
      layer.media_type = type;
      layer.blob_digest = layer_digest;
      image.layers.push_back(std::move(layer));
    }
    attach_diff_ids(image, config_diff_ids(image.config_path, path), path);
    images.push_back(std::move(image));
  }

  // Docker 25+ archives describe each image twice: manifest.json (what docker load reads) and the OCI
  // index. One image, one entry: the OCI side adds media types and digests.
  static void merge(std::vector<Image>& images, std::vector<Image> oci_images) {
    std::vector<bool> matched(oci_images.size(), false);
    for (auto& image : images) {
      for (std::size_t i = 0; i < oci_images.size(); ++i) {
        const auto& oci = oci_images[i];
        if (matched[i] || oci.config_digest != image.config_digest || oci.layers.size() != image.layers.size()) continue;
        bool same_paths = true;
        for (std::size_t l = 0; l < oci.layers.size(); ++l) same_paths &= oci.layers[l].path == image.layers[l].path;
        if (!same_paths) continue;
        matched[i] = true;
        image.manifest_digest = oci.manifest_digest;
        if (image.tags.empty()) image.tags = oci.tags;
        for (std::size_t l = 0; l < oci.layers.size(); ++l) {
          image.layers[l].media_type = oci.layers[l].media_type;
          image.layers[l].blob_digest = oci.layers[l].blob_digest;
        }
        break;
      }
    }
    for (std::size_t i = 0; i < oci_images.size(); ++i) {
      if (!matched[i]) images.push_back(std::move(oci_images[i]));
    }
  }

  const EntryIndex& index_;
  const std::string& name_;
  mutable std::map<std::string, std::string> config_digests_;
  mutable std::map<std::string, std::vector<std::string>> config_diff_ids_;
  mutable std::map<std::string, std::vector<Listed>> listed_;
  mutable std::size_t descriptors_ = 0;
  mutable std::size_t layers_ = 0;
};

}  // namespace

ImageArchive read_image_archive(const EntryIndex& index) { return Reader(index).read(); }

}  // namespace dockerdiff::image
