#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

// A delta archive: a slim archive some of whose kept layers are shipped as zstd patches against
// layers of an earlier release that the host holds. Its entries:
//   dockerdiff.json     this record (schema dockerdiff.delta/v1)
//   slim/...            the slim archive, each patched layer's data left out (zero-length)
//   patches/...         the zstd patches
// No manifest.json, index.json or oci-layout at its root: docker load, podman load and ctr import
// refuse it before loading anything. `dockerdiff load` and `restore` rebuild the patched layers
// from the host's own copy of each reference, check them against their diff_ids, and go on with the
// slim archive.
namespace dockerdiff::plan {

inline constexpr const char* kDeltaRecordPath = "dockerdiff.json";
inline constexpr const char* kDeltaSlimDirectory = "slim";
inline constexpr const char* kDeltaPatchDirectory = "patches";

// A layer of an earlier release, which the host must hold to rebuild a patched layer.
struct ReferenceLayer {
  std::string diff_id;
  std::string chain_id;   // how the host is asked for it
  std::uint64_t size = 0;  // its uncompressed tar's
  std::string provided_by;          // the --delta-from or base it was found in
  std::vector<std::string> images;  // that input's images holding it (tags, or config digests)

  bool operator==(const ReferenceLayer&) const = default;
};

// One zstd frame: `size` bytes at `offset` of the layer, from the `reference_size` bytes at
// `reference_offset` of the reference (a layer and reference too large for one zstd window together
// are cut into parts).
struct PatchPart {
  std::string patch;  // the archive entry holding the frame
  std::uint64_t patch_size = 0;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
  std::uint64_t reference_offset = 0;
  std::uint64_t reference_size = 0;

  bool operator==(const PatchPart&) const = default;
};

struct LayerPatch {
  std::string path;     // the slim archive's entry it rebuilds (zero-length there)
  std::string diff_id;  // the rebuilt layer tar's sha256
  std::uint64_t size = 0;
  ReferenceLayer reference;
  std::vector<PatchPart> parts;  // in order, covering [0, size)

  std::uint64_t patch_bytes() const;
  bool operator==(const LayerPatch&) const = default;
};

struct DeltaRecord {
  std::vector<LayerPatch> patches;

  bool operator==(const DeltaRecord&) const = default;
};

std::string delta_record_json(const DeltaRecord& record);

// Whether a dockerdiff.json document is a delta record.
bool is_delta_record(const nlohmann::json& document);

// The record; an Error naming `where` when it is not a sound one: digests, parts that do not cover
// their layer in order or reach past their reference, a layer larger than its parts may rebuild
// (limits::patched_layer_limit), entry names outside slim/ and patches/.
DeltaRecord delta_record_from(const nlohmann::json& document, const std::string& where);

// How a layer of `target_size` bytes is cut into parts against a reference of `reference_size`:
// one part when both fit in one zstd window (`window` bytes); else parts of at most a quarter of
// the window, each against the reference's range around the same relative position, up to the rest
// of the window. Parts' `patch` and `patch_size` are left empty.
std::vector<PatchPart> plan_patch_parts(std::uint64_t reference_size, std::uint64_t target_size, std::uint64_t window);

}  // namespace dockerdiff::plan
