#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/plan/slim_plan.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::commands {

struct SlimOptions {
  std::vector<Source> targets;
  std::vector<Source> bases;
  // --delta-from: earlier releases the host holds. Their layers are dropped like the bases', and
  // each layer still kept goes as a zstd patch against the most similar of their layers where that
  // is smaller: the output is a delta archive (plan/delta_record.hpp).
  std::vector<Source> delta_from;
  std::string output;      // -o: a file, or "-" for stdout
  std::string output_dir;  // --output-dir: one archive per target
  bool bundle = false;     // --bundle -o: every target in one archive
  plan::LayoutMode layout = plan::LayoutMode::automatic;
  plan::DroppedDescriptors descriptors = plan::DroppedDescriptors::name_host_blob;
  archive::Compression compression = archive::Compression::none;
  std::optional<int> level;  // compression level; the compressor's default when unset
  std::string report_path;
  std::string summary_path;
  bool quiet = false;  // -q: also no progress
  progress::Mode progress = progress::Mode::automatic;  // --progress
};

// read archives -> plan -> write archives -> report. Returns the exit status; throws Error.
int run_slim(const SlimOptions& options);

}  // namespace dockerdiff::commands
