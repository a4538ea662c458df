#pragma once

#include <string>
#include <vector>

namespace dockerdiff::commands {

struct VerifyOptions {
  std::string archive;
  std::vector<std::string> bases;  // with bases, every emptied layer's chain ID must be provided by them
  bool json = false;
};

// Checks an archive's structure and rehashes its data; prints every problem. Exit 0 sound, 1 not.
int run_verify(const VerifyOptions& options);

}  // namespace dockerdiff::commands
