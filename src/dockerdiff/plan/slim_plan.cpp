#include "dockerdiff/plan/slim_plan.hpp"

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/slim_record.hpp"
#include "dockerdiff/plan/write_order.hpp"

namespace dockerdiff::plan {

using archive::EntryType;
using nlohmann::json;
using Kind = PlannedEntry::Kind;

image::Layout output_layout(image::Layout input, LayoutMode mode) {
  return mode == LayoutMode::automatic ? image::Layout::docker25 : input;
}

namespace {

PlannedEntry document_entry(std::string path, std::string content) {
  PlannedEntry entry;
  entry.kind = Kind::document;
  entry.path = std::move(path);
  entry.size = content.size();
  entry.data = std::move(content);
  return entry;
}

PlannedEntry directory_entry(std::string path) {
  PlannedEntry entry;
  entry.kind = Kind::directory;
  entry.path = std::move(path);
  entry.mode = 0755;
  return entry;
}

using image::blob_path;

// Everything the plan needs to know about one input once decisions are made.
class InputPlanner {
 public:
  InputPlanner(const PlanInput& input, std::size_t input_index, const image::BaseSet& base)
      : input_(input), index_(*input.entries, input.name), input_index_(input_index) {
    decide(base);
  }

  const std::vector<ImageDecision>& decisions() const { return decisions_; }

  std::vector<PlannedEntry> plan(image::Layout layout) const {
    if (layout == input_.images->layout) return keep_layout();
    if (input_.images->layout == image::Layout::legacy) return convert_legacy_to_docker25();
    return add_docker_manifest(keep_layout());
  }

 private:
  const std::vector<archive::TarEntry>& entries() const { return *input_.entries; }
  const std::vector<image::Image>& images() const { return input_.images->images; }

  void decide(const image::BaseSet& base) {
    for (const auto& image : images()) {
      ImageDecision decision{input_.name, image.tags, image.config_digest, {}};
      for (const auto& layer : image.layers) {
        LayerDecision layer_decision{layer.diff_id, layer.chain_id, layer.size, false, {}, {}};
        if (const auto* provider = base.find(layer.chain_id)) {
          layer_decision.dropped = true;
          layer_decision.provided_by = provider->base;
          layer_decision.provided_by_images = provider->images;
        } else {
          if (layer.size == 0) {
            throw Error(input_.name, "layer " + layer.diff_id + " of " + image.display_name() +
                        " is empty in the archive and no base provides its chain ID " + layer.chain_id);
          }
          needed_.insert(layer.entry);
          kept_diff_ids_.insert(layer.diff_id);
        }
        layer_files_.insert(layer.entry);
        decision.layers.push_back(std::move(layer_decision));
      }
      decisions_.push_back(std::move(decision));
    }
    choose_homes();
  }

  // A file that a kept layer needs stays whole. When only a dropped layer names it directly and kept
  // layers reach it through links, its content moves to the first kept path: the dropped path is
  // emptied and the others link to the new home.
  void choose_homes() {
    std::map<std::size_t, std::vector<std::size_t>> kept_paths;  // data entry -> entries of kept paths
    std::set<std::size_t> dropped_direct;                        // data entries a dropped layer names directly
    for (std::size_t i = 0; i < images().size(); ++i) {
      for (std::size_t l = 0; l < images()[i].layers.size(); ++l) {
        const auto& layer = images()[i].layers[l];
        const auto path_entry = *index_.find(layer.path);
        if (decisions_[i].layers[l].dropped) {
          if (path_entry == layer.entry) dropped_direct.insert(layer.entry);
        } else {
          kept_paths[layer.entry].push_back(path_entry);
        }
      }
    }
    for (auto& [data_entry, paths] : kept_paths) {
      const bool kept_directly = std::find(paths.begin(), paths.end(), data_entry) != paths.end();
      home_[data_entry] = kept_directly || !dropped_direct.contains(data_entry)
                              ? data_entry
                              : *std::min_element(paths.begin(), paths.end());
    }
  }

  PlannedEntry copy_of(std::size_t data_entry, const std::string& path, const archive::TarEntry& header) const {
    PlannedEntry out;
    out.kind = Kind::copy;
    out.path = path;
    out.input = input_index_;
    out.entry = data_entry;
    out.size = entries()[data_entry].size;
    out.mode = entries()[data_entry].mode;
    out.mtime = header.mtime;
    return out;
  }

  std::optional<std::size_t> try_resolve(const std::string& path) const {
    try {
      return index_.resolve(path, path);
    } catch (const Error&) {
      return std::nullopt;  // a dangling link no image uses: passed through as it is
    }
  }

  std::vector<PlannedEntry> keep_layout() const {
    std::vector<PlannedEntry> out;
    for (std::size_t i = 0; i < entries().size(); ++i) {
      const auto& entry = entries()[i];
      if (entry.path == kSlimRecordPath) continue;  // replaced by this run's record
      PlannedEntry planned;
      planned.path = entry.path;
      planned.mode = entry.mode;
      planned.mtime = entry.mtime;
      switch (entry.type) {
        case EntryType::directory:
          planned.kind = Kind::directory;
          break;
        case EntryType::regular: {
          const auto home = home_.find(i);
          if (!layer_files_.contains(i) || (home != home_.end() && home->second == i)) {
            planned = copy_of(i, entry.path, entry);
          } else {
            planned.kind = Kind::empty;
          }
          break;
        }
        case EntryType::symlink:
        case EntryType::hardlink: {
          const auto data_entry = try_resolve(entry.path);
          const auto home = data_entry ? home_.find(*data_entry) : home_.end();
          if (home != home_.end() && home->second != *data_entry) {
            const auto& home_path = entries()[home->second].path;
            if (home->second == i) {
              planned = copy_of(*data_entry, entry.path, entry);
            } else {
              planned.kind = Kind::symlink;
              planned.data = archive::relative_link(entry.path, home_path);
            }
          } else {
            planned.kind = entry.type == EntryType::symlink ? Kind::symlink : Kind::hardlink;
            planned.data = entry.link_target;
          }
          break;
        }
        case EntryType::other:
          throw Error(input_.name + ": " + entry.path, "unsupported entry type (not a file, directory or link)");
      }
      out.push_back(std::move(planned));
    }
    return out;
  }

  // Writes a legacy archive in the Docker 25+ layout: content-addressed blobs, an OCI manifest per
  // image, index.json and manifest.json. Layer blobs are named by diff_id, which is their digest as
  // long as the layer tar is stored uncompressed (always so for docker save).
  std::vector<PlannedEntry> convert_legacy_to_docker25() const {
    std::vector<PlannedEntry> out{directory_entry("blobs"), directory_entry("blobs/sha256")};

    struct Blob {
      std::size_t data_entry;
      bool needed;
    };
    std::map<std::string, Blob> layer_blobs;  // diff_id -> source
    for (const auto& image : images()) {
      for (const auto& layer : image.layers) {
        const bool needed = kept_diff_ids_.contains(layer.diff_id);
        auto [it, inserted] = layer_blobs.try_emplace(layer.diff_id, Blob{layer.entry, needed});
        if (!inserted && entries()[it->second.data_entry].size == 0) it->second.data_entry = layer.entry;
      }
    }
    std::vector<std::pair<std::string, Blob>> ordered(layer_blobs.begin(), layer_blobs.end());
    // Source order, so that a compressed input is read front to back once.
    std::stable_sort(ordered.begin(), ordered.end(),
                     [](const auto& a, const auto& b) { return a.second.data_entry < b.second.data_entry; });
    for (const auto& [diff_id, blob] : ordered) {
      const auto& source = entries()[blob.data_entry];
      if (!blob.needed) {
        PlannedEntry empty;
        empty.kind = Kind::empty;
        empty.path = blob_path(diff_id);
        out.push_back(std::move(empty));
        continue;
      }
      if (archive::detect_compression(source.magic) != archive::Compression::none) {
        throw Error(input_.name + ": " + source.path, "layer is stored compressed, so its blob name cannot be its "
                    "diff_id; use --layout keep");
      }
      out.push_back(copy_of(blob.data_entry, blob_path(diff_id), source));
      out.back().mode = 0644;
      out.back().mtime = 0;
    }

    std::set<std::string> written;
    std::vector<PlannedEntry> documents;
    auto index = json{{"schemaVersion", 2}, {"mediaType", image::media_type::kOciIndex}, {"manifests", json::array()}};
    auto docker_manifest = json::array();
    for (const auto& image : images()) {
      const auto& config_text = index_.document(image.config_path, "manifest.json");
      if (written.insert(image.config_digest).second) documents.push_back(document_entry(blob_path(image.config_digest), config_text));
      auto layers = json::array();
      auto layer_paths = json::array();
      for (const auto& layer : image.layers) {
        layers.push_back({{"mediaType", image::media_type::kOciLayerTar}, {"digest", layer.diff_id}, {"size", layer.size}});
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
    if (const auto repositories = index_.find("repositories"); repositories && entries()[*repositories].content) {
      out.push_back(document_entry("repositories", *entries()[*repositories].content));
    }
    return out;
  }

  // A pure OCI archive in the Docker 25+ layout: its entries as they are, plus the manifest.json that
  // Docker's classic store reads (it loads no archive without one). Blobs keep their digests, so
  // podman and containerd see the same images as before.
  std::vector<PlannedEntry> add_docker_manifest(std::vector<PlannedEntry> out) const {
    auto docker_manifest = json::array();
    for (const auto& image : images()) {
      auto layer_paths = json::array();
      for (const auto& layer : image.layers) layer_paths.push_back(layer.path);
      docker_manifest.push_back({{"Config", image.config_path}, {"RepoTags", repo_tags(image.tags)}, {"Layers", layer_paths}});
    }
    out.push_back(document_entry("manifest.json", compact_json(docker_manifest)));
    return out;
  }

  // The tags docker can take as names: an OCI ref.name may be a bare tag ("1.0", "latest"), which
  // docker load would turn into an image named "1.0:latest"; such an image loads untagged instead.
  static json repo_tags(const std::vector<std::string>& tags) {
    auto out = json::array();
    for (const auto& tag : tags) {
      if (tag.find_first_of(":/") != std::string::npos) out.push_back(tag);
    }
    return out;
  }

  // "app:1" -> "docker.io/library/app:1": containerd names images by the full reference, as docker
  // does when it writes this layout (Docker's normalization: a first component with '.' or ':', or
  // "localhost", is a registry).
  static std::string qualified_reference(const std::string& reference) {
    const auto slash = reference.find('/');
    if (slash == std::string::npos) return "docker.io/library/" + reference;
    const auto first = reference.substr(0, slash);
    if (first.find_first_of(".:") != std::string::npos || first == "localhost") return reference;
    return "docker.io/" + reference;
  }

  // "registry/app:1.0" -> "1.0" (what Docker 25 puts in org.opencontainers.image.ref.name).
  static std::string reference_tag(const std::string& reference) {
    const auto colon = reference.rfind(':');
    const auto slash = reference.rfind('/');
    if (colon == std::string::npos || (slash != std::string::npos && colon < slash)) return "latest";
    return reference.substr(colon + 1);
  }

  const PlanInput& input_;
  image::EntryIndex index_;
  std::size_t input_index_;
  std::vector<ImageDecision> decisions_;
  std::set<std::size_t> needed_;
  std::set<std::string> kept_diff_ids_;
  std::set<std::size_t> layer_files_;
  std::map<std::size_t, std::size_t> home_;  // data entry -> entry whose path holds it in the output
};

int rank(const PlannedEntry& entry) {
  switch (entry.kind) {
    case Kind::copy:
    case Kind::document: return 3;
    case Kind::symlink:
    case Kind::hardlink:
    case Kind::directory: return 2;
    case Kind::empty: return 1;
  }
  return 0;
}

bool is_merged_document(const std::string& path) {
  return path == "manifest.json" || path == "index.json" || path == "repositories";
}

// The metadata that several inputs of one layout each carry, merged into one document.
class DocumentMerger {
 public:
  void add(const std::string& path, const std::string& content, const std::string& where) {
    auto document = parse_json(content, where + ": " + path);
    if (path == "manifest.json") {
      for (auto& item : document) {
        if (std::find(manifest_.begin(), manifest_.end(), item) == manifest_.end()) manifest_.push_back(item);
      }
    } else if (path == "index.json") {
      if (index_.is_null()) {
        index_ = document;
        index_["manifests"] = json::array();
      }
      for (auto& item : document["manifests"]) {
        if (std::find(index_["manifests"].begin(), index_["manifests"].end(), item) == index_["manifests"].end()) {
          index_["manifests"].push_back(item);
        }
      }
    } else {
      repositories_.merge_patch(document);
    }
  }

  void append_to(std::vector<PlannedEntry>& out) const {
    if (!index_.is_null()) out.push_back(document_entry("index.json", compact_json(index_)));
    if (!manifest_.empty()) out.push_back(document_entry("manifest.json", compact_json(manifest_)));
    if (!repositories_.is_null()) out.push_back(document_entry("repositories", compact_json(repositories_)));
  }

 private:
  json manifest_ = json::array();
  json index_;
  json repositories_;
};

std::string document_content(const PlannedEntry& entry, const std::vector<PlanInput>& inputs) {
  if (entry.kind == Kind::document) return entry.data;
  const auto& source = (*inputs[entry.input].entries)[entry.entry];
  if (!source.content) throw Error(inputs[entry.input].name + ": " + entry.path, "not a JSON document");
  return *source.content;
}

}  // namespace

SlimPlan plan_slim(const std::vector<PlanInput>& inputs, const image::BaseSet& base, LayoutMode mode) {
  if (inputs.empty()) throw Error("", "nothing to slim");
  SlimPlan plan;
  plan.layout = output_layout(inputs.front().images->layout, mode);
  for (const auto& input : inputs) {
    const auto layout = output_layout(input.images->layout, mode);
    if (layout != plan.layout) {
      throw Error(input.name, "its " + std::string(image::layout_name(layout)) + " layout cannot share a bundle with " +
                  inputs.front().name + "'s " + std::string(image::layout_name(plan.layout)) + " layout");
    }
  }

  const bool bundle = inputs.size() > 1;
  std::map<std::string, std::size_t> position;
  DocumentMerger merger;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    InputPlanner planner(inputs[i], i, base);
    for (const auto& decision : planner.decisions()) plan.images.push_back(decision);
    for (auto& entry : planner.plan(plan.layout)) {
      if (bundle && is_merged_document(entry.path)) {
        merger.add(entry.path, document_content(entry, inputs), inputs[i].name);
        continue;
      }
      const auto [it, inserted] = position.try_emplace(entry.path, plan.entries.size());
      if (inserted) {
        plan.entries.push_back(std::move(entry));
      } else if (rank(entry) > rank(plan.entries[it->second])) {
        plan.entries[it->second] = std::move(entry);  // the same path with its content, from another input
      }
    }
  }
  merger.append_to(plan.entries);

  // A hard link must follow its target in the stream; merging may have reordered them.
  std::set<std::string> emitted;
  for (auto& entry : plan.entries) {
    if (entry.kind == Kind::hardlink && !emitted.contains(entry.data)) {
      entry.kind = Kind::symlink;
      entry.data = archive::relative_link(entry.path, entry.data);
    }
    emitted.insert(entry.path);
  }
  plan.entries.push_back(document_entry(kSlimRecordPath, slim_record_json(plan.images)));
  plan.entries = order_for_aligned_copies(std::move(plan.entries), inputs);
  return plan;
}

}  // namespace dockerdiff::plan
