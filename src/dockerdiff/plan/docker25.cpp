#include "dockerdiff/plan/docker25.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"

namespace dockerdiff::plan {

using image::blob_path;
using nlohmann::json;
using Kind = PlannedEntry::Kind;

namespace {

// The tags docker can take as names: an OCI ref.name may be a bare tag ("1.0", "latest"), which
// docker load would turn into an image named "1.0:latest"; such an image loads untagged instead.
json repo_tags(const std::vector<std::string>& tags) {
  auto out = json::array();
  for (const auto& tag : tags) {
    if (tag.find_first_of(":/") != std::string::npos) out.push_back(tag);
  }
  return out;
}

// "app:1" -> "docker.io/library/app:1": containerd names images by the full reference, as docker
// does when it writes this layout (Docker's normalization: a first component with '.' or ':', or
// "localhost", is a registry).
std::string qualified_reference(const std::string& reference) {
  const auto slash = reference.find('/');
  if (slash == std::string::npos) return "docker.io/library/" + reference;
  const auto first = reference.substr(0, slash);
  if (first.find_first_of(".:") != std::string::npos || first == "localhost") return reference;
  return "docker.io/" + reference;
}

// "registry/app:1.0" -> "1.0" (what Docker 25 puts in org.opencontainers.image.ref.name).
std::string reference_tag(const std::string& reference) {
  const auto colon = reference.rfind(':');
  const auto slash = reference.rfind('/');
  if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "latest";
  return reference.substr(colon + 1);
}

// The size a layer the input holds empty had: only a slim record keeps it for a legacy archive.
std::uint64_t recorded_size(const LegacyInput& legacy, const image::Image& image, const image::Layer& layer) {
  const auto found = legacy.recorded_sizes.find(layer.diff_id);
  if (found != legacy.recorded_sizes.end()) return found->second;
  throw Error(legacy.input.name, "layer " + layer.diff_id + " of " + image.display_name() +
              " is empty in the archive and no dockerdiff.json in it records its size, which the Docker 25+ "
              "layout's descriptors need; use --layout keep");
}

}  // namespace

// Writes a legacy archive in the Docker 25+ layout: content-addressed blobs, an OCI manifest per
// image, index.json and manifest.json. Layer blobs are named by diff_id, which is their digest as
// long as the layer tar is stored uncompressed (always so for docker save).
std::vector<PlannedEntry> convert_legacy_to_docker25(const LegacyInput& legacy) {
  const auto& images = legacy.input.images->images;
  const auto& entries = *legacy.input.entries;
  std::vector<PlannedEntry> out{directory_entry("blobs"), directory_entry("blobs/sha256")};

  struct Blob {
    std::size_t data_entry;
    bool needed;
  };
  std::map<std::string, Blob> layer_blobs;  // diff_id -> source
  for (const auto& image : images) {
    for (const auto& layer : image.layers) {
      const bool needed = legacy.kept_diff_ids.contains(layer.diff_id);
      auto [it, inserted] = layer_blobs.try_emplace(layer.diff_id, Blob{layer.entry, needed});
      if (!inserted && entries[it->second.data_entry].size == 0) it->second.data_entry = layer.entry;
    }
  }
  std::vector<std::pair<std::string, Blob>> ordered(layer_blobs.begin(), layer_blobs.end());
  // Source order, so that a compressed input is read front to back once.
  std::stable_sort(ordered.begin(), ordered.end(),
                   [](const auto& a, const auto& b) { return a.second.data_entry < b.second.data_entry; });
  for (const auto& [diff_id, blob] : ordered) {
    const auto& source = entries[blob.data_entry];
    if (!blob.needed) {
      PlannedEntry empty;
      empty.kind = Kind::empty;
      empty.path = blob_path(diff_id);
      out.push_back(std::move(empty));
      continue;
    }
    if (archive::detect_compression(source.magic) != archive::Compression::none) {
      throw Error(legacy.input.name, source.path + ": layer is stored compressed, so its blob name cannot be its "
                  "diff_id; use --layout keep");
    }
    out.push_back(copy_entry(legacy.input_index, blob.data_entry, source, blob_path(diff_id), source));
    out.back().mode = 0644;
    out.back().mtime = 0;
  }

  std::set<std::string> written;
  std::vector<PlannedEntry> documents;
  auto index = json{{"schemaVersion", 2}, {"mediaType", image::media_type::kOciIndex}, {"manifests", json::array()}};
  auto docker_manifest = json::array();
  for (const auto& image : images) {
    const auto& config_text = legacy.index.document(image.config_path, "manifest.json");
    if (written.insert(image.config_digest).second) documents.push_back(document_entry(blob_path(image.config_digest), config_text));
    auto layers = json::array();
    auto layer_paths = json::array();
    for (const auto& layer : image.layers) {
      // The size of the one blob written for this diff_id (in a damaged input, two layer files
      // claiming one diff_id may differ: the descriptor describes what the output holds). An
      // emptied blob's descriptor gives the layer's true size.
      auto size = entries[layer_blobs.at(layer.diff_id).data_entry].size;
      if (size == 0) size = recorded_size(legacy, image, layer);
      layers.push_back({{"mediaType", image::media_type::kOciLayerTar}, {"digest", layer.diff_id}, {"size", size}});
      layer_paths.push_back(blob_path(layer.diff_id));
    }
    const auto manifest = compact_json(json{
        {"schemaVersion", 2},
        {"mediaType", image::media_type::kOciManifest},
        {"config", {{"mediaType", image::media_type::kOciConfig}, {"digest", image.config_digest}, {"size", config_text.size()}}},
        {"layers", layers},
    });
    const auto manifest_digest = dockerdiff::sha256_digest(manifest);
    if (written.insert(manifest_digest).second) documents.push_back(document_entry(blob_path(manifest_digest), manifest));
    const json descriptor{{"mediaType", image::media_type::kOciManifest}, {"digest", manifest_digest}, {"size", manifest.size()}};
    if (image.tags.empty()) index["manifests"].push_back(descriptor);
    for (const auto& tag : image.tags) {
      auto tagged = descriptor;
      tagged["annotations"] = {{"io.containerd.image.name", qualified_reference(tag)},
                               {"org.opencontainers.image.ref.name", reference_tag(tag)}};
      index["manifests"].push_back(tagged);
    }
    docker_manifest.push_back({{"Config", blob_path(image.config_digest)}, {"RepoTags", image.tags}, {"Layers", layer_paths}});
  }
  std::sort(documents.begin(), documents.end(), [](const auto& a, const auto& b) { return a.path < b.path; });
  for (auto& document : documents) out.push_back(std::move(document));
  out.push_back(document_entry("index.json", compact_json(index)));
  out.push_back(document_entry("manifest.json", compact_json(docker_manifest)));
  out.push_back(document_entry("oci-layout", compact_json(json{{"imageLayoutVersion", "1.0.0"}})));
  if (const auto repositories = legacy.index.find("repositories"); repositories && entries[*repositories].content) {
    out.push_back(document_entry("repositories", *entries[*repositories].content));
  }
  return out;
}

// A pure OCI archive in the Docker 25+ layout: its entries as they are, plus the manifest.json that
// Docker's classic store reads (it loads no archive without one). Blobs keep their digests, so
// podman and containerd see the same images as before.
std::vector<PlannedEntry> add_docker_manifest(const image::ImageArchive& archive, std::vector<PlannedEntry> out) {
  auto docker_manifest = json::array();
  for (const auto& image : archive.images) {
    auto layer_paths = json::array();
    for (const auto& layer : image.layers) layer_paths.push_back(layer.path);
    docker_manifest.push_back({{"Config", image.config_path}, {"RepoTags", repo_tags(image.tags)}, {"Layers", layer_paths}});
  }
  out.push_back(document_entry("manifest.json", compact_json(docker_manifest)));
  return out;
}

}  // namespace dockerdiff::plan
