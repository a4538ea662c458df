#pragma once

#include <optional>
#include <string>
#include <vector>

#include "dockerdiff/archive/compression.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::commands {

struct RestoreOptions {
  Source slim;
  std::vector<Source> bases;
  std::string output;  // a file, or "-" for stdout
  plan::LayoutMode layout = plan::LayoutMode::automatic;
  archive::Compression compression = archive::Compression::none;
  std::optional<int> level;
};

// Refills every dropped layer of a slim archive from the bases. Returns the exit status; throws Error.
int run_restore(const RestoreOptions& options);

}  // namespace dockerdiff::commands
