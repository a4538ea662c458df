#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

#include "dockerdiff/plan/delta_record.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::report {

// One written archive.
struct OutputReport {
  std::string path;                 // "-" for stdout
  std::vector<std::string> inputs;  // the targets it holds
  std::string layout;
  std::uint64_t input_bytes = 0;
  std::uint64_t output_bytes = 0;
  // Whole-archive compression of the inputs ("gzip", "none"; "gzip+none" when they differ) and of
  // the output: the archive figures count stored bytes, the image figures uncompressed layers.
  std::string input_compression = "none";
  std::string output_compression = "none";
  // Dropped layers whose manifests name the blob the host holds (its manifest digests then differ
  // from the input's; config digests and classic-store IDs do not).
  std::vector<plan::RenamedLayerBlob> renamed_blobs;
  bool delta = false;  // a delta archive (slim --delta-from)
};

struct SlimReport {
  std::vector<OutputReport> outputs;
  std::vector<plan::ImageDecision> images;
  std::vector<plan::LayerPatch> patches;  // the layers shipped as patches (by diff_id)

  std::uint64_t input_bytes() const;
  std::uint64_t output_bytes() const;
};

// Schema dockerdiff.report/v1.
nlohmann::json to_json(const SlimReport& report);
// The per-image summary printed on stderr.
std::string to_text(const SlimReport& report);
// For a GitHub step summary or a GitLab merge-request note.
std::string to_markdown(const SlimReport& report);

}  // namespace dockerdiff::report
