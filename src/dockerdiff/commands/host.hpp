#pragma once

#include <optional>
#include <string>

#include "dockerdiff/engine/engine.hpp"

namespace dockerdiff::commands {

struct InventoryOptions {
  engine::EngineKind engine = engine::EngineKind::docker;
  std::string output;  // empty: stdout
};

// Writes the chain IDs (and per image the diff_ids and tags) the host's engine holds, as JSON that
// `slim -b FILE` and `check --inventory FILE` accept.
int run_inventory(const InventoryOptions& options);

struct CheckOptions {
  std::string archive;
  engine::EngineKind engine = engine::EngineKind::docker;
  std::string inventory;  // when set, the host is described by this file instead of an engine
};

// Exit 0 when the host has every layer the slim archive leaves out; otherwise 1, listing per image
// the missing layers and the base images that provided them.
int run_check(const CheckOptions& options);

}  // namespace dockerdiff::commands
