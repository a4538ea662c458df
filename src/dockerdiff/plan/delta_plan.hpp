#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/plan/delta_record.hpp"
#include "dockerdiff/plan/slim_record.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

// The pure middle of `slim --delta-from`: which layers a slim archive ships whole could go as a
// patch, against which layer of an earlier release, and the delta archive's entries once the
// patches are made (delta_record.hpp). No I/O happens here.
namespace dockerdiff::plan {

// A layer the slim plan writes with its data, uncompressed (a patch rebuilds the exact bytes the
// manifests name; a gzip or zstd blob could not be made again byte for byte).
struct PatchableLayer {
  std::string path;    // its entry in the slim archive
  std::size_t input = 0;  // the plan input and entry its data comes from
  std::size_t entry = 0;
  std::string diff_id;
  std::uint64_t size = 0;
  std::size_t position = 0;          // its index in its image's layers
  std::vector<std::string> tags;     // its image's
};

// The layers of `plan` (made from `inputs`) that could be patched, each once.
std::vector<PatchableLayer> patchable_layers(const SlimPlan& plan, const std::vector<PlanInput>& inputs);

// A layer of an earlier release whose data is at hand (plan input `source`, entry `entry`, a blob
// compressed as `compression`). `layer.size` is its uncompressed size where known (0 otherwise).
struct ReferenceCandidate {
  std::size_t source = 0;
  std::size_t entry = 0;
  archive::Compression compression = archive::Compression::none;
  std::size_t position = 0;
  std::vector<std::string> tags;
  std::uint64_t stored_size = 0;  // its data's size as stored
  ReferenceLayer layer;
};

// The layers of the earlier releases' images whose data they hold, each diff_id once.
std::vector<ReferenceCandidate> reference_candidates(const std::vector<PlanInput>& releases);

// For each layer, the candidate most likely to share its bytes (index into `candidates`), or
// nullopt when there is none: a release's layers move little, so first the layer at the same
// position of an image of the same repository (the name before ':' of a tag), then at the same
// position of any image, then the one closest in size. A candidate with the layer's own diff_id is
// never chosen (the host has that layer: slim drops it).
std::vector<std::optional<std::size_t>> choose_references(const std::vector<PatchableLayer>& layers,
                                                          const std::vector<ReferenceCandidate>& candidates);

// A layer shipped as a patch: which layer of the slim plan, and its record.
struct PatchedLayer {
  PatchableLayer layer;
  LayerPatch record;
};

// The delta archive's entries: the record at the root, every entry of `slim` below slim/ (each
// patched layer's data left out: a zero-length file), and each patch part's frame below patches/,
// copied from input `patch_input`, whose entries are the parts in order (layer by layer).
SlimPlan delta_archive_plan(const SlimPlan& slim, const std::vector<PatchedLayer>& patched, std::size_t patch_input);

// Adds to `images` (a slim archive's requirements) the reference layer of each patched layer, as
// required by every image holding that layer: the host must hold it to rebuild the layer.
void add_reference_requirements(std::vector<ImageRequirement>& images, const DeltaRecord& record, const image::ImageArchive& archive);

// The name of part `part` of the patch rebuilding the layer `diff_id`, below patches/.
std::string patch_entry_name(const std::string& diff_id, std::size_t part);

}  // namespace dockerdiff::plan
