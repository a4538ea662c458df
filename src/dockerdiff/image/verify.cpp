#include "dockerdiff/image/verify.hpp"

#include <algorithm>
#include <cstdlib>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <thread>
#include <utility>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/image/entry_hashing.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/util/limits.hpp"

namespace dockerdiff::image {

using nlohmann::json;

namespace {

using limits::kMaxIndexDepth;

struct Check {
  std::string digest;
  std::string what;  // "diff_id" or "digest"
};

// All that is checked of one entry's data; each entry is read once.
struct Job {
  std::vector<Check> raw;    // against the bytes as stored
  std::vector<Check> plain;  // against the decompressed bytes
  bool layer = false;
  bool blob = false;
};

void add_check(std::vector<Check>& checks, const std::string& digest, const std::string& what) {
  for (const auto& check : checks) {
    if (check.digest == digest) return;
  }
  checks.push_back({digest, what});
}

struct WalkedImage {
  std::string config_digest;
  std::vector<std::string> layer_paths;
};

class Verifier {
 public:
  Verifier(archive::ArchiveInput& input, const VerifySettings& settings)
      : input_(input), settings_(settings), index_(input.entries(), input.name()), name_(input.name()) {}

  VerifyResult run() {
    walk();
    scan_blobs();
    hash();
    check_bases();
    if (result_.problems.empty()) {
      // A safety net: whatever the production reader refuses is a problem too.
      try {
        (void)read_image_archive(index_);
      } catch (const Error& error) {
        record(error);
      }
    }
    return std::move(result_);
  }

 private:
  // ---- problems -------------------------------------------------------------------------------

  void problem(const std::string& path, const std::string& text) {
    if (!seen_.insert(path + "\n" + text).second) return;
    result_.problems.push_back({path, text});
  }

  // An Error from the reader or the index: "<archive>: <rest>" becomes a problem of the archive.
  void record(const Error& error) {
    std::string text = error.what();
    const auto prefix = name_ + ": ";
    if (text.starts_with(prefix)) text = text.substr(prefix.size());
    problem("", text);
  }

  // ---- lenient JSON access ----------------------------------------------------------------------

  std::optional<json> document(const std::string& path, const std::string& referrer) {
    try {
      return parse_json(index_.document(path, referrer), path);
    } catch (const Error& error) {
      record(error);
      return std::nullopt;
    }
  }

  const json* member(const json& object, const char* key, const std::string& path) {
    if (!object.is_object() || !object.contains(key)) {
      problem(path, std::string("missing \"") + key + "\"");
      return nullptr;
    }
    return &object.at(key);
  }

  std::optional<std::string> string_member(const json& object, const char* key, const std::string& path) {
    const auto* value = member(object, key, path);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) {
      problem(path, std::string("\"") + key + "\" is not a string");
      return std::nullopt;
    }
    return value->get<std::string>();
  }

  std::optional<std::string> digest_member(const json& object, const char* key, const std::string& path) {
    auto value = string_member(object, key, path);
    if (value && !is_sha256_digest(*value)) {
      problem(path, "\"" + *value + "\" is not a sha256 digest");
      return std::nullopt;
    }
    return value;
  }

  std::optional<std::vector<std::string>> string_list(const json* value, const std::string& key, const std::string& path) {
    if (value == nullptr) return std::nullopt;
    std::vector<std::string> out;
    if (value->is_null()) return out;
    if (!value->is_array()) {
      problem(path, "\"" + key + "\" is not a list");
      return std::nullopt;
    }
    for (const auto& item : *value) {
      if (!item.is_string()) {
        problem(path, "\"" + key + "\" holds a non-string");
        return std::nullopt;
      }
      out.push_back(item.get<std::string>());
    }
    return out;
  }

  std::optional<std::string> archive_path(const std::string& raw, const std::string& path) {
    auto normalized = archive::normalize_path(raw);
    if (!normalized) problem(path, "path '" + raw + "' is absolute or leaves the archive");
    return normalized;
  }

  // The diff_ids of a config (nullopt when they cannot be read), worked out once per config however
  // many images name it.
  std::optional<std::vector<std::string>> diff_ids(const std::string& config_path, const std::string& referrer) {
    const auto known = diff_ids_.find(config_path);
    if (known != diff_ids_.end()) return known->second;
    auto ids = read_diff_ids(config_path, referrer);
    diff_ids_.emplace(config_path, ids);
    return ids;
  }

  std::optional<std::vector<std::string>> read_diff_ids(const std::string& config_path, const std::string& referrer) {
    const auto config = document(config_path, referrer);
    if (!config) return std::nullopt;
    const auto* rootfs = member(*config, "rootfs", config_path);
    if (rootfs == nullptr) return std::nullopt;
    auto ids = string_list(member(*rootfs, "diff_ids", config_path), "rootfs.diff_ids", config_path);
    if (!ids) return std::nullopt;
    bool valid = true;
    for (const auto& id : *ids) {
      if (!is_sha256_digest(id)) {
        problem(config_path, "diff_id \"" + id + "\" is not a sha256 digest");
        valid = false;
      }
    }
    if (!valid) return std::nullopt;
    return ids;
  }

  // ---- structure ------------------------------------------------------------------------------

  struct LayerRef {
    std::string path;
    std::string media_type;   // from an OCI descriptor; empty from manifest.json
    std::string blob_digest;  // from an OCI descriptor
  };

  void walk() {
    const bool has_manifest = index_.find("manifest.json").has_value();
    const bool has_index = index_.find("index.json").has_value();
    if (!has_manifest && !has_index) {
      problem("", "neither manifest.json nor index.json found: not an image archive");
      return;
    }
    std::vector<WalkedImage> docker_images;
    std::vector<WalkedImage> oci_images;
    if (has_manifest) walk_docker_manifest(docker_images);
    if (has_index) {
      if (const auto index = document("index.json", "index.json")) walk_index(*index, "index.json", 0, oci_images);
    }
    if (has_manifest && has_index) {
      // Docker 25+: manifest.json and the OCI index describe the same images.
      for (const auto& image : docker_images) {
        const bool found = std::any_of(oci_images.begin(), oci_images.end(), [&](const WalkedImage& oci) {
          return oci.config_digest == image.config_digest && oci.layer_paths == image.layer_paths;
        });
        if (!found) {
          problem("manifest.json", "image " + image.config_digest +
                                       " has no manifest in index.json with the same config and layers");
        }
      }
    }
  }

  // One more image of `layers` layers described by `path`: false (and a problem) over the limits.
  bool within_limits(std::size_t images, std::size_t layers, std::size_t& layers_so_far, const std::string& path) {
    if (images > limits::kMaxImages) {
      problem(path, "more than " + std::to_string(limits::kMaxImages) + " images, over the limit for one archive");
      return false;
    }
    if (layers > limits::kMaxLayersPerImage) {
      problem(path, "an image of " + std::to_string(layers) + " layers, over the limit of " +
                        std::to_string(limits::kMaxLayersPerImage));
      return false;
    }
    layers_so_far += layers;
    if (layers_so_far > limits::kMaxLayers) {
      problem(path, "more than " + std::to_string(limits::kMaxLayers) + " layers in all images together, over the limit for one archive");
      return false;
    }
    return true;
  }

  // sha256 of a config, worked out once per config however many images name it.
  std::optional<std::string> config_digest(const std::string& config_path, const std::string& referrer) {
    const auto known = config_digests_.find(config_path);
    if (known != config_digests_.end()) return known->second;
    std::optional<std::string> digest;
    try {
      digest = sha256_digest(index_.document(config_path, referrer));
    } catch (const Error& error) {
      record(error);
    }
    config_digests_.emplace(config_path, digest);
    return digest;
  }

  void walk_docker_manifest(std::vector<WalkedImage>& images) {
    const auto manifest = document("manifest.json", "manifest.json");
    if (!manifest) return;
    if (!manifest->is_array()) {
      problem("manifest.json", "not a list of images");
      return;
    }
    if (manifest->empty()) problem("manifest.json", "lists no image");
    std::size_t layers_so_far = 0;
    std::size_t count = 0;
    for (const auto& item : *manifest) {
      const auto raw_config = string_member(item, "Config", "manifest.json");
      const auto raw_layers = string_list(member(item, "Layers", "manifest.json"), "Layers", "manifest.json");
      if (!within_limits(++count, raw_layers ? raw_layers->size() : 0, layers_so_far, "manifest.json")) {
        if (count > limits::kMaxImages || layers_so_far > limits::kMaxLayers) return;
        continue;
      }
      std::vector<LayerRef> layers;
      if (raw_layers) {
        for (const auto& raw : *raw_layers) {
          if (auto path = archive_path(raw, "manifest.json")) layers.push_back({*path, {}, {}});
        }
      }
      if (!raw_config) continue;
      const auto config_path = archive_path(*raw_config, "manifest.json");
      if (!config_path) continue;
      WalkedImage walked;
      for (const auto& layer : layers) walked.layer_paths.push_back(layer.path);
      const auto digest = config_digest(*config_path, "manifest.json");
      if (!digest) continue;
      walked.config_digest = *digest;
      // A legacy config is named by its digest: "<hex>.json".
      const auto base = config_path->substr(config_path->rfind('/') == std::string::npos ? 0 : config_path->rfind('/') + 1);
      if (base.size() == 69 && base.ends_with(".json") && is_sha256_digest("sha256:" + base.substr(0, 64)) &&
          "sha256:" + base.substr(0, 64) != walked.config_digest) {
        problem(*config_path, "content does not match its digest sha256:" + base.substr(0, 64) + " (sha256 is " +
                                  walked.config_digest + ")");
      }
      if (raw_layers) attach_layers(*config_path, "manifest.json", layers);
      images.push_back(std::move(walked));
    }
  }

  void attach_layers(const std::string& config_path, const std::string& referrer, const std::vector<LayerRef>& layers) {
    const auto ids = diff_ids(config_path, referrer);
    if (!ids) return;
    if (ids->size() != layers.size()) {
      problem(config_path, "config lists " + std::to_string(ids->size()) + " diff_ids but " + referrer + " lists " +
                               std::to_string(layers.size()) + " layers");
    }
    const auto chains = chain_ids(*ids);
    for (std::size_t i = 0; i < std::min(ids->size(), layers.size()); ++i) add_layer(layers[i], referrer, (*ids)[i], chains[i]);
  }

  void add_layer(const LayerRef& layer, const std::string& referrer, const std::string& diff_id, const std::string& chain_id) {
    std::size_t entry_index = 0;
    try {
      entry_index = index_.resolve(layer.path, referrer);
    } catch (const Error& error) {
      record(error);
      return;
    }
    const auto& entry = index_.entries()[entry_index];
    if (entry.size == 0) {
      emptied_.emplace_back(layer.path, chain_id);
      emptied_entries_.insert(entry_index);
      return;
    }
    const auto compression = archive::detect_compression(entry.magic);
    if (!layer.media_type.empty() && media_type::layer_compression(layer.media_type) != compression) {
      problem(layer.path, "media type " + layer.media_type + " but the content is " +
                              (compression == archive::Compression::none ? std::string("not compressed")
                                                                         : std::string(archive::compression_name(compression)) + " compressed"));
    }
    auto& job = job_for(entry_index);
    job.layer = true;
    if (compression == archive::Compression::none) {
      add_check(job.raw, diff_id, "diff_id");
    } else {
      add_check(job.plain, diff_id, "diff_id");
    }
    if (!layer.blob_digest.empty()) add_check(job.raw, layer.blob_digest, "digest");
  }

  Job& job_for(std::size_t entry) { return jobs_[entry]; }

  // The entry a descriptor names must exist, and have the size the descriptor gives.
  bool check_descriptor(const json& descriptor, const std::string& digest, const std::string& path) {
    const auto blob = blob_path(digest);
    std::size_t entry = 0;
    try {
      entry = index_.resolve(blob, path);
    } catch (const Error& error) {
      record(error);
      return false;
    }
    if (descriptor.contains("size") && descriptor.at("size").is_number_unsigned()) {
      const auto size = descriptor.at("size").get<std::uint64_t>();
      const auto actual = index_.entries()[entry].size;
      // An emptied layer is a zero-length entry on purpose.
      if (actual != size && actual != 0) {
        problem(blob, "holds " + std::to_string(actual) + " bytes but " + path + " gives size " + std::to_string(size));
      }
    }
    return true;
  }

  void walk_index(const json& index, const std::string& path, int depth, std::vector<WalkedImage>& images) {
    if (depth > kMaxIndexDepth) {
      problem(path, "indexes nested more than " + std::to_string(kMaxIndexDepth) + " deep");
      return;
    }
    const auto* manifests = member(index, "manifests", path);
    if (manifests == nullptr) return;
    if (!manifests->is_array()) {
      problem(path, "\"manifests\" is not a list");
      return;
    }
    if (depth == 0 && manifests->empty()) problem(path, "lists no image");
    for (const auto& descriptor : *manifests) {
      if (++descriptors_ > limits::kMaxIndexDescriptors) {
        problem(path, "indexes list more than " + std::to_string(limits::kMaxIndexDescriptors) +
                          " manifests, over the limit for one archive");
        return;
      }
      const auto type = string_member(descriptor, "mediaType", path);
      const auto digest = digest_member(descriptor, "digest", path);
      if (!type || !digest) continue;
      if (!check_descriptor(descriptor, *digest, path)) continue;
      if (media_type::is_index(*type)) {
        // Each nested index is walked once, however often it is listed.
        if (!walked_indexes_.insert(*digest).second) continue;
        if (const auto nested = document(blob_path(*digest), path)) walk_index(*nested, blob_path(*digest), depth + 1, images);
      } else if (media_type::is_manifest(*type)) {
        const bool attestation = descriptor.contains("annotations") && descriptor.at("annotations").is_object() &&
                                 descriptor.at("annotations").contains("vnd.docker.reference.type");
        if (!attestation && walked_manifests_.insert(*digest).second) walk_manifest(*digest, path, images);
      } else {
        problem(path, "unknown media type \"" + *type + "\" for " + *digest);
      }
    }
  }

  void walk_manifest(const std::string& digest, const std::string& referrer, std::vector<WalkedImage>& images) {
    const auto path = blob_path(digest);
    const auto manifest = document(path, referrer);
    if (!manifest) return;
    WalkedImage walked;
    std::optional<std::string> config_path;
    if (const auto* config = member(*manifest, "config", path)) {
      const auto type = string_member(*config, "mediaType", path);
      if (type && !media_type::is_config(*type)) problem(path, "unknown config media type \"" + *type + "\"");
      if (const auto config_digest = digest_member(*config, "digest", path)) {
        if (check_descriptor(*config, *config_digest, path)) {
          walked.config_digest = *config_digest;
          config_path = blob_path(*config_digest);
        }
      }
    }
    std::vector<LayerRef> layers;
    bool layers_known = false;
    if (const auto* list = member(*manifest, "layers", path)) {
      if (!list->is_array()) {
        problem(path, "\"layers\" is not a list");
      } else if (!within_limits(walked_manifests_.size(), list->size(), oci_layers_, path)) {
        return;
      } else {
        layers_known = true;
        for (const auto& descriptor : *list) {
          const auto type = string_member(descriptor, "mediaType", path);
          const auto layer_digest = digest_member(descriptor, "digest", path);
          if (type && !media_type::is_layer(*type)) problem(path, "unknown layer media type \"" + *type + "\"");
          if (!type || !layer_digest) {
            layers_known = false;
            continue;
          }
          walked.layer_paths.push_back(blob_path(*layer_digest));
          if (check_descriptor(descriptor, *layer_digest, path)) {
            layers.push_back({blob_path(*layer_digest), *type, *layer_digest});
          } else {
            layers_known = false;
          }
        }
      }
    }
    if (config_path) {
      if (layers_known) {
        attach_layers(*config_path, path, layers);
      } else {
        (void)diff_ids(*config_path, path);  // still report what is wrong with the config
      }
    }
    images.push_back(std::move(walked));
  }

  // Every blobs/sha256/<hex> entry is named by the digest of its content.
  void scan_blobs() {
    const auto& entries = index_.entries();
    for (std::size_t i = 0; i < entries.size(); ++i) {
      const auto& entry = entries[i];
      if (!entry.path.starts_with(kBlobPrefix) || entry.type != archive::EntryType::regular) continue;
      const auto name = entry.path.substr(kBlobPrefix.size());
      const auto digest = "sha256:" + name;
      if (!is_sha256_digest(digest)) {
        problem(entry.path, "not named by a sha256 digest");
        continue;
      }
      if (emptied_entries_.count(i) != 0) continue;  // an emptied layer
      if (entry.content) {
        ++result_.blobs_checked;
        const auto actual = sha256_digest(*entry.content);
        if (actual != digest) problem(entry.path, "content does not match its digest " + digest + " (sha256 is " + actual + ")");
        continue;
      }
      auto& job = job_for(i);
      job.blob = true;
      add_check(job.raw, digest, "digest");
    }
  }

  // ---- data -----------------------------------------------------------------------------------

  void hash() {
    std::vector<HashRequest> requests;
    for (const auto& [entry, job] : jobs_) requests.push_back({entry, !job.raw.empty(), !job.plain.empty()});
    const auto outcomes = hash_entries(input_, requests, settings_.threads != 0 ? settings_.threads : verify_threads());
    std::size_t next = 0;
    for (auto& [entry_index, job] : jobs_) {
      const auto& outcome = outcomes[next++];
      const auto& path = index_.entries()[entry_index].path;
      if (outcome.error) {
        problem(path, *outcome.error);
        continue;
      }
      if (job.layer) ++result_.layers_checked;
      if (job.blob || path.starts_with(kBlobPrefix)) ++result_.blobs_checked;
      for (const auto& check : job.raw) {
        if (outcome.raw_digest && *outcome.raw_digest != check.digest) {
          problem(path, "content does not match its " + check.what + " " + check.digest + " (sha256 is " + *outcome.raw_digest + ")");
        }
      }
      for (const auto& check : job.plain) {
        if (outcome.plain_digest && *outcome.plain_digest != check.digest) {
          problem(path, "decompressed content does not match its " + check.what + " " + check.digest + " (sha256 is " +
                            *outcome.plain_digest + ")");
        }
      }
    }
  }

  void check_bases() {
    if (settings_.bases == nullptr) return;
    for (const auto& [path, chain_id] : emptied_) {
      if (settings_.bases->find(chain_id) == nullptr) {
        problem(path, "emptied layer (chain ID " + chain_id + ") is not provided by any base");
      }
    }
  }

  archive::ArchiveInput& input_;
  const VerifySettings& settings_;
  EntryIndex index_;
  std::string name_;
  VerifyResult result_;
  std::set<std::string> seen_;
  std::map<std::size_t, Job> jobs_;
  std::set<std::string> walked_manifests_;
  std::set<std::string> walked_indexes_;
  std::size_t descriptors_ = 0;
  std::size_t oci_layers_ = 0;
  std::map<std::string, std::optional<std::string>> config_digests_;
  std::map<std::string, std::optional<std::vector<std::string>>> diff_ids_;
  std::vector<std::pair<std::string, std::string>> emptied_;  // path, chain ID
  std::set<std::size_t> emptied_entries_;
};

}  // namespace

unsigned verify_threads() {
  if (const char* text = std::getenv("DOCKERDIFF_VERIFY_THREADS"); text != nullptr && *text != '\0') {
    char* end = nullptr;
    const auto value = std::strtoul(text, &end, 10);
    if (end != nullptr && *end == '\0' && value > 0 && value <= 1024) return static_cast<unsigned>(value);
  }
  return std::max(1u, std::thread::hardware_concurrency());
}

VerifyResult verify_archive(archive::ArchiveInput& input, const VerifySettings& settings) {
  return Verifier(input, settings).run();
}

}  // namespace dockerdiff::image
