#pragma once

#include <string>

namespace dockerdiff::commands {

struct InspectOptions {
  std::string archive;
  bool json = false;
};

// Prints the layout, images, tags and layers of an archive on stdout. Returns the exit status.
int run_inspect(const InspectOptions& options);

}  // namespace dockerdiff::commands
