#pragma once

#include <string>
#include <vector>

#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::commands {

struct VerifyOptions {
  Source archive;
  std::vector<Source> bases;  // with bases, every emptied layer's chain ID must be provided by them
  bool json = false;
  progress::Mode progress = progress::Mode::automatic;  // --progress
};

// Checks an archive's structure and rehashes its data; prints every problem. Exit 0 sound, 1 not.
int run_verify(const VerifyOptions& options);

}  // namespace dockerdiff::commands
