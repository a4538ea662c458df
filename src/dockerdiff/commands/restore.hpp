#pragma once

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/plan/restore_plan.hpp"
#include "dockerdiff/plan/slim_plan.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::commands {

struct RestoreOptions {
  Source slim;
  std::vector<Source> bases;
  std::string output;  // a file, or "-" for stdout
  plan::LayoutMode layout = plan::LayoutMode::automatic;
  archive::Compression compression = archive::Compression::none;
  std::optional<int> level;
  progress::Mode progress = progress::Mode::automatic;  // --progress
};

// The read -> plan half of restore, for every command that refills layers (restore, load): plans the
// archive that refills the dropped layers `refill_chain_ids` selects (nullopt: all) of `slim` from
// `bases`, named in messages as `slim_name` and `base_names`. A legacy layer refilled from a gzip /
// zstd blob is decompressed once here first (its size and diff_id checked) since its tar header
// needs the size. Write the plan with write_plan(plan.plan, {slim.input, bases[0].input, ...}, sink).
// Throws Error (naming the layer and image when no base holds it) before anything is written.
plan::RestorePlan plan_restore_of(OpenedArchive& slim, const std::string& slim_name, std::vector<OpenedArchive>& bases,
                                  const std::vector<std::string>& base_names, plan::LayoutMode mode,
                                  const std::optional<std::set<std::string>>& refill_chain_ids = std::nullopt);

// Refills every dropped layer of a slim archive from the bases. Returns the exit status; throws Error.
int run_restore(const RestoreOptions& options);

}  // namespace dockerdiff::commands
