#pragma once

#include <string>

#include "dockerdiff/commands/sources.hpp"

namespace dockerdiff::commands {

struct InspectOptions {
  Source archive;
  bool json = false;
};

// Prints the layout, images, tags and layers of an archive on stdout. Returns the exit status.
int run_inspect(const InspectOptions& options);

}  // namespace dockerdiff::commands
