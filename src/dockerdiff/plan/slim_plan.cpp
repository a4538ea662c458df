#include "dockerdiff/plan/slim_plan.hpp"

#include <algorithm>
#include <map>
#include <optional>
#include <set>

#include "dockerdiff/archive/path.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/plan/bundle.hpp"
#include "dockerdiff/plan/docker25.hpp"
#include "dockerdiff/plan/host_blobs.hpp"
#include "dockerdiff/plan/slim_record.hpp"
#include "dockerdiff/plan/write_order.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::plan {

using archive::EntryType;
using Kind = PlannedEntry::Kind;

image::Layout output_layout(image::Layout input, LayoutMode mode) {
  return mode == LayoutMode::automatic ? image::Layout::docker25 : input;
}

namespace {

// Everything the plan needs to know about one input once decisions are made.
class InputPlanner {
 public:
  InputPlanner(const PlanInput& input, std::size_t input_index, const image::BaseSet& base, image::Layout layout)
      : input_(input), index_(*input.entries, input.name), input_index_(input_index) {
    decide(base, layout);
  }

  const std::vector<ImageDecision>& decisions() const { return decisions_; }

  std::vector<PlannedEntry> plan(image::Layout layout) const {
    if (layout == input_.images->layout) return keep_layout();
    if (input_.images->layout == image::Layout::legacy) {
      return convert_legacy_to_docker25({input_, input_index_, index_, kept_diff_ids_, recorded_sizes_});
    }
    return add_docker_manifest(*input_.images, keep_layout());
  }

 private:
  const std::vector<archive::TarEntry>& entries() const { return *input_.entries; }
  const std::vector<image::Image>& images() const { return input_.images->images; }

  // What the input's record says of a layer the input holds empty, or nullptr.
  const RequiredLayer* dropped_before(const image::Image& image, const image::Layer& layer) const {
    if (input_.record == nullptr || layer.size != 0) return nullptr;
    for (const auto& recorded : *input_.record) {
      if (recorded.config_digest != image.config_digest) continue;
      for (const auto& required : recorded.required) {
        if (required.chain_id == layer.chain_id) return &required;
      }
    }
    return nullptr;
  }

  void decide(const image::BaseSet& base, image::Layout layout) {
    const bool legacy_output = layout == image::Layout::legacy;
    for (const auto& image : images()) {
      ImageDecision decision{input_.name, image.tags, image.config_digest, {}};
      for (const auto& layer : image.layers) {
        const auto* recorded = dropped_before(image, layer);
        // Converted from legacy, a layer's blob is its uncompressed tar, named by its diff_id.
        const auto blob = legacy_output ? std::string() : layer.blob_digest.empty() ? layer.diff_id : layer.blob_digest;
        const auto blob_size = layer.size != 0              ? layer.size
                               : layer.descriptor_size     ? *layer.descriptor_size
                               : recorded != nullptr        ? recorded->size
                                                            : 0;
        // Renamed by an earlier slim, and still named so: the blob the first input named.
        auto original = recorded != nullptr && recorded->blob_digest == blob ? recorded->original_blob : std::string();
        LayerDecision layer_decision{layer.diff_id, layer.chain_id, layer.size, false, {}, {}, blob, blob_size, std::move(original)};
        if (layer.size == 0 && blob_size != 0) recorded_sizes_.emplace(layer.diff_id, blob_size);
        if (const auto* provider = base.find(layer.chain_id)) {
          layer_decision.dropped = true;
          layer_decision.provided_by = provider->base;
          layer_decision.provided_by_images = provider->images;
        } else if (recorded != nullptr) {
          // Dropped by an earlier slim against another base: there is no data to keep, and the host
          // still needs it from the base that record names.
          layer_decision.dropped = true;
          layer_decision.provided_by = recorded->provided_by;
          layer_decision.provided_by_images = recorded->base_images;
        } else {
          if (layer.size == 0) {
            throw Error(input_.name, "layer " + layer.diff_id + " of " + image.display_name() +
                        " is empty in the archive and no base provides its chain ID " + layer.chain_id);
          }
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
            planned = copy_entry(input_index_, i, entry, entry.path, entry);
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
              planned = copy_entry(input_index_, *data_entry, entries()[*data_entry], entry.path, entry);
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
          throw Error(input_.name, entry.path + ": unsupported entry type (not a file, directory or link)");
      }
      out.push_back(std::move(planned));
    }
    return out;
  }

  const PlanInput& input_;
  image::EntryIndex index_;
  std::size_t input_index_;
  std::vector<ImageDecision> decisions_;
  std::set<std::string> kept_diff_ids_;
  std::map<std::string, std::uint64_t> recorded_sizes_;  // diff_id -> blob size, for layers the input holds empty
  std::set<std::size_t> layer_files_;
  std::map<std::size_t, std::size_t> home_;  // data entry -> entry whose path holds it in the output
};

// The decisions follow the manifests: a renamed layer's blob is the host's.
void note_renamed_blobs(std::vector<ImageDecision>& images, const std::vector<RenamedLayerBlob>& renamed) {
  for (auto& image : images) {
    for (auto& layer : image.layers) {
      for (const auto& blob : renamed) {
        if (!layer.dropped || layer.blob_digest != blob.archive_blob) continue;
        if (layer.original_blob_digest.empty()) layer.original_blob_digest = blob.archive_blob;
        layer.blob_digest = blob.host_blob;
        layer.blob_size = blob.size;
        break;
      }
    }
  }
}

}  // namespace

SlimPlan plan_slim(const std::vector<PlanInput>& inputs, const image::BaseSet& base, LayoutMode mode,
                   DroppedDescriptors descriptors) {
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

  EntryAssembler assembler(inputs);
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    InputPlanner planner(inputs[i], i, base, plan.layout);
    for (const auto& decision : planner.decisions()) plan.images.push_back(decision);
    assembler.add(i, planner.plan(plan.layout));
  }
  plan.entries = std::move(assembler).finish();
  if (descriptors == DroppedDescriptors::name_host_blob) {
    plan.renamed_blobs = name_host_blobs(plan.entries, inputs, base);
    note_renamed_blobs(plan.images, plan.renamed_blobs);
  }
  plan.entries.push_back(document_entry(kSlimRecordPath, slim_record_json(recorded_requirements(plan.images))));
  plan.entries = order_for_aligned_copies(std::move(plan.entries), inputs);
  return plan;
}

std::set<std::string> layers_dropped_everywhere(const std::vector<std::vector<std::string>>& diff_ids_per_image,
                                                const image::BaseSet& bases) {
  std::set<std::string> dropped;
  std::set<std::string> kept;
  for (const auto& diff_ids : diff_ids_per_image) {
    const auto chains = chain_ids(diff_ids);
    for (std::size_t i = 0; i < diff_ids.size(); ++i) (bases.find(chains[i]) != nullptr ? dropped : kept).insert(diff_ids[i]);
  }
  std::set<std::string> digests;
  for (const auto& diff_id : dropped) {
    if (kept.contains(diff_id)) continue;
    digests.insert(diff_id);
    for (const auto& blob : bases.blobs_of(diff_id)) digests.insert(blob.digest);
  }
  return digests;
}

}  // namespace dockerdiff::plan
