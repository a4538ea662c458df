#pragma once

#include <cstddef>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "dockerdiff/archive/tar_entry.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/model.hpp"
#include "dockerdiff/plan/planned_entry.hpp"

// The pure middle of the pipeline: given what the inputs hold and what the host has, decide every
// entry of the output. No I/O happens here, so every decision can be tested without files.
namespace dockerdiff::plan {

enum class LayoutMode {
  // Every input -> the Docker 25+ layout, which every engine loads: a legacy input gets blobs and an
  // index (containerd then resolves dropped layers by digest), a pure OCI input gets manifest.json
  // (Docker's classic store reads nothing else).
  automatic,
  keep,       // the input's own layout
};

struct ImageRequirement;  // slim_record.hpp

struct PlanInput {
  std::string name;                                   // as the user named it
  const std::vector<archive::TarEntry>* entries = nullptr;
  const image::ImageArchive* images = nullptr;
  // The input's own dockerdiff.json, when it is a slim archive: the layers it already dropped stay
  // dropped and required, and its recorded sizes are the only ones a legacy input keeps of them.
  const std::vector<ImageRequirement>* record = nullptr;
};

struct LayerDecision {
  std::string diff_id;
  std::string chain_id;
  std::uint64_t size = 0;                       // its data in the input: 0 where the input already dropped it
  bool dropped = false;
  std::string provided_by;                      // the base that has it (dropped layers only)
  std::vector<std::string> provided_by_images;  // that base's images holding it
  std::string blob_digest;                      // the blob the output's manifests name; empty in the legacy layout
  // The size of that blob (legacy: of the layer tar), also where the input holds the layer empty
  // (from its descriptor or the input's record); 0 when nothing says.
  std::uint64_t blob_size = 0;
  std::string original_blob_digest;  // the input's blob, where the manifests now name the host's instead
};

struct ImageDecision {
  std::string input;
  std::vector<std::string> tags;
  std::string config_digest;
  std::vector<LayerDecision> layers;
};

// A dropped layer whose manifests now name the blob the host holds for it.
struct RenamedLayerBlob {
  std::string diff_id;
  std::string archive_blob;  // the digest the input's manifests named
  std::string host_blob;     // the digest of the host's form (inventory "blobs")
  std::string media_type;    // the host blob's
  std::uint64_t size = 0;    // the host blob's
};

struct SlimPlan {
  image::Layout layout = image::Layout::legacy;
  std::vector<PlannedEntry> entries;
  std::vector<ImageDecision> images;
  std::vector<RenamedLayerBlob> renamed_blobs;  // manifests name the host's blob for these dropped layers
};

// What the manifests name for a dropped layer the host holds only as another blob (bases from an
// inventory of a containerd image store): that blob, so the image loads complete there, or the
// input's descriptors unchanged.
enum class DroppedDescriptors { name_host_blob, keep };

// Plans one output archive holding all `inputs` (several inputs make a bundle, each blob once).
// A layer is dropped iff its chain ID is in `base`. Throws Error when the output cannot be made
// (a kept layer whose data is not in the input, layouts that cannot share one archive).
SlimPlan plan_slim(const std::vector<PlanInput>& inputs, const image::BaseSet& base, LayoutMode mode,
                   DroppedDescriptors descriptors = DroppedDescriptors::name_host_blob);

// The layout an input gets in the output.
// The digests of layer data that no slim of these images writes: each diff_id dropped wherever it
// occurs (every chain ID it ends is in `bases`), and the blobs the bases record for it. A target
// read as a stream (docker:REF) need not keep that data on disk.
std::set<std::string> layers_dropped_everywhere(const std::vector<std::vector<std::string>>& diff_ids_per_image,
                                                const image::BaseSet& bases);

image::Layout output_layout(image::Layout input, LayoutMode mode);

}  // namespace dockerdiff::plan
