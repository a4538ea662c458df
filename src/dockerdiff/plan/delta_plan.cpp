#include "dockerdiff/plan/delta_plan.hpp"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include "dockerdiff/image/media_types.hpp"
#include "dockerdiff/util/digest.hpp"

namespace dockerdiff::plan {

using Kind = PlannedEntry::Kind;

namespace {

// "registry:5000/team/app:1.2" -> "registry:5000/team/app".
std::string repository_of(const std::string& tag) {
  const auto slash = tag.rfind('/');
  const auto colon = tag.rfind(':');
  return colon != std::string::npos && (slash == std::string::npos || colon > slash) ? tag.substr(0, colon) : tag;
}

bool share_a_repository(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a) {
    for (const auto& y : b) {
      if (repository_of(x) == repository_of(y)) return true;
    }
  }
  return false;
}

// The compression of a layer's data as stored: its descriptor's media type, or its first bytes.
archive::Compression stored_compression(const image::Layer& layer, const archive::TarEntry& data) {
  if (image::media_type::is_layer(layer.media_type)) {
    const auto compression = image::media_type::layer_compression(layer.media_type);
    if (compression != archive::Compression::none) return compression;
  }
  return archive::detect_compression(data.magic);
}

std::uint64_t distance(std::uint64_t a, std::uint64_t b) { return a > b ? a - b : b - a; }

}  // namespace

std::vector<PatchableLayer> patchable_layers(const SlimPlan& plan, const std::vector<PlanInput>& inputs) {
  // (input, data entry) -> the layer whose data it is, uncompressed and not empty.
  std::map<std::pair<std::size_t, std::size_t>, PatchableLayer> layers;
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    for (const auto& image : inputs[i].images->images) {
      for (std::size_t position = 0; position < image.layers.size(); ++position) {
        const auto& layer = image.layers[position];
        const bool uncompressed = layer.blob_digest.empty() || layer.blob_digest == layer.diff_id;
        if (layer.size == 0 || !uncompressed) continue;
        layers.try_emplace({i, layer.entry}, PatchableLayer{{}, i, layer.entry, layer.diff_id, layer.size, position, image.tags});
      }
    }
  }
  std::vector<PatchableLayer> out;
  std::set<std::string> seen;
  for (const auto& entry : plan.entries) {
    if (entry.kind != Kind::copy) continue;
    const auto found = layers.find({entry.input, entry.entry});
    if (found == layers.end() || !seen.insert(found->second.diff_id).second) continue;
    out.push_back(found->second);
    out.back().path = entry.path;
  }
  return out;
}

std::vector<ReferenceCandidate> reference_candidates(const std::vector<PlanInput>& releases) {
  std::vector<ReferenceCandidate> out;
  std::map<std::string, std::size_t> by_diff_id;
  for (std::size_t source = 0; source < releases.size(); ++source) {
    const auto& release = releases[source];
    for (const auto& image : release.images->images) {
      const auto name = image.display_name();
      for (std::size_t position = 0; position < image.layers.size(); ++position) {
        const auto& layer = image.layers[position];
        if (layer.size == 0) continue;  // left out of that archive (a slim one)
        const auto known = by_diff_id.find(layer.diff_id);
        if (known != by_diff_id.end()) {
          auto& images = out[known->second].layer.images;
          if (out[known->second].source == source && std::find(images.begin(), images.end(), name) == images.end()) images.push_back(name);
          continue;
        }
        const auto& data = (*release.entries)[layer.entry];
        const auto compression = stored_compression(layer, data);
        ReferenceCandidate candidate{source, layer.entry, compression, position, image.tags, layer.size,
                                     {layer.diff_id, layer.chain_id, compression == archive::Compression::none ? layer.size : 0,
                                      release.name, {name}}};
        by_diff_id.emplace(layer.diff_id, out.size());
        out.push_back(std::move(candidate));
      }
    }
  }
  return out;
}

std::vector<std::optional<std::size_t>> choose_references(const std::vector<PatchableLayer>& layers,
                                                          const std::vector<ReferenceCandidate>& candidates) {
  std::vector<std::optional<std::size_t>> out;
  for (const auto& layer : layers) {
    std::optional<std::size_t> same_repository, same_position, closest;
    for (std::size_t c = 0; c < candidates.size(); ++c) {
      const auto& candidate = candidates[c];
      if (candidate.layer.diff_id == layer.diff_id) continue;
      if (candidate.position == layer.position) {
        if (!same_repository && share_a_repository(candidate.tags, layer.tags)) same_repository = c;
        if (!same_position) same_position = c;
      }
      if (!closest || distance(candidate.stored_size, layer.size) < distance(candidates[*closest].stored_size, layer.size)) closest = c;
    }
    out.push_back(same_repository ? same_repository : same_position ? same_position : closest);
  }
  return out;
}

void add_reference_requirements(std::vector<ImageRequirement>& images, const DeltaRecord& record, const image::ImageArchive& archive) {
  for (const auto& image : archive.images) {
    auto requirement = std::find_if(images.begin(), images.end(),
                                    [&](const ImageRequirement& r) { return r.config_digest == image.config_digest; });
    if (requirement == images.end()) {
      images.push_back({image.tags, image.config_digest, {}, image.layers.size()});
      requirement = images.end() - 1;
    }
    for (const auto& patch : record.patches) {
      const auto holds = std::any_of(image.layers.begin(), image.layers.end(),
                                     [&](const image::Layer& layer) { return layer.diff_id == patch.diff_id; });
      const auto& reference = patch.reference;
      auto& required = requirement->required;
      const auto known = std::any_of(required.begin(), required.end(),
                                     [&](const RequiredLayer& layer) { return layer.chain_id == reference.chain_id; });
      if (holds && !known) required.push_back({reference.chain_id, reference.diff_id, reference.provided_by, reference.images, {}, 0, {}});
    }
  }
}

std::string patch_entry_name(const std::string& diff_id, std::size_t part) {
  return std::string(digest_hex(diff_id)) + "." + std::to_string(part) + ".zst";
}

SlimPlan delta_archive_plan(const SlimPlan& slim, const std::vector<PatchedLayer>& patched, std::size_t patch_input) {
  std::set<std::string> left_out;
  DeltaRecord record;
  for (const auto& layer : patched) {
    left_out.insert(layer.layer.path);
    record.patches.push_back(layer.record);
  }
  SlimPlan delta;
  delta.layout = slim.layout;
  delta.images = slim.images;
  delta.renamed_blobs = slim.renamed_blobs;
  delta.entries.push_back(document_entry(kDeltaRecordPath, delta_record_json(record)));
  delta.entries.push_back(directory_entry(kDeltaSlimDirectory));
  const auto prefix = std::string(kDeltaSlimDirectory) + "/";
  for (auto entry : slim.entries) {
    if (left_out.contains(entry.path)) {
      entry.kind = Kind::empty;
      entry.size = 0;
    }
    entry.path = prefix + entry.path;
    if (entry.kind == Kind::hardlink) entry.data = prefix + entry.data;
    delta.entries.push_back(std::move(entry));
  }
  delta.entries.push_back(directory_entry(kDeltaPatchDirectory));
  std::size_t next = 0;
  for (const auto& layer : patched) {
    for (const auto& part : layer.record.parts) {
      PlannedEntry entry;
      entry.kind = Kind::copy;
      entry.path = std::string(kDeltaPatchDirectory) + "/" + part.patch;
      entry.input = patch_input;
      entry.entry = next++;
      entry.size = part.patch_size;
      delta.entries.push_back(std::move(entry));
    }
  }
  return delta;
}

}  // namespace dockerdiff::plan
