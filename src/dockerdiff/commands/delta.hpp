#pragma once

#include <memory>
#include <string>
#include <vector>

#include "dockerdiff/archive/file_set_input.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/image/diagnostics.hpp"
#include "dockerdiff/plan/delta_plan.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

// Delta archives (plan/delta_record.hpp): made by `slim --delta-from`, rebuilt into the slim
// archive they carry by `load` and `restore`.
namespace dockerdiff::commands {

// zstd's level for patches: `zstd --patch-from`'s default.
inline constexpr int kPatchLevel = 3;

struct DeltaArchive {
  plan::SlimPlan plan;  // written from the slim plan's inputs followed by `patches`
  std::unique_ptr<archive::FileSetInput> patches;
  std::vector<plan::PatchedLayer> patched;
};

// Patches every layer `slim` writes whole against the most similar layer of the earlier releases
// (plan::choose_references), keeps each patch where the reference at least halves what the layer
// compresses to alone (else the layer goes whole), and plans the delta archive.
// `inputs` and `input_data` are the slim plan's inputs; `releases` the --delta-from archives.
DeltaArchive make_delta(const plan::SlimPlan& slim, const std::vector<plan::PlanInput>& inputs,
                        const std::vector<archive::ArchiveInput*>& input_data, std::vector<OpenedArchive>& releases,
                        const std::vector<std::string>& release_names);

// Rebuilds every patched layer of the delta archive `delta` (opened: open_archive) from the layer
// of `references` it names, checks it against its diff_id, and leaves `delta` the slim archive it
// carries. Returns how many layers it rebuilt (none for a slim archive). An Error naming the
// reference layer (chain ID, and the image that provided it) when no reference holds it, or naming
// the layer when its patch is corrupt or rebuilds other bytes.
std::size_t rebuild_delta(OpenedArchive& delta, const std::string& delta_name, std::vector<OpenedArchive>& references);

// verify of a delta archive (`input`, made the view of its slim archive by open_delta): each patch
// part must be one whole zstd frame rebuilding the size its record says. Every problem, none thrown.
std::vector<image::Problem> check_patch_frames(archive::ArchiveInput& input, const plan::DeltaRecord& record);

// "<archive>: N layer(s) rebuilt from their patches", for restore's and load's summaries.
std::string rebuilt_summary(const std::string& archive, std::size_t layers);

// For a command that cannot read a delta archive as it is: an Error when `opened` is one.
void refuse_delta(const OpenedArchive& opened, const std::string& spec, const std::string& command);

}  // namespace dockerdiff::commands
