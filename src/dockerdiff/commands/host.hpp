#pragma once

#include <optional>
#include <string>

#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/engine/engine.hpp"
#include "dockerdiff/plan/slim_record.hpp"

namespace dockerdiff::commands {

struct InventoryOptions {
  engine::EngineKind engine = engine::EngineKind::docker;
  std::string output;  // empty: stdout
};

// Writes the chain IDs (and per image the diff_ids and tags) the host's engine holds, as JSON that
// `slim -b FILE` and `check --inventory FILE` accept.
int run_inventory(const InventoryOptions& options);

struct CheckOptions {
  Source archive;
  engine::EngineKind engine = engine::EngineKind::docker;
  std::string inventory;  // when set, the host is described by this file instead of an engine
  bool strict = false;    // an image that would load incomplete is a failure too
};

// Exit 0 when the host has every layer the slim archive leaves out; otherwise 1, listing per image
// the missing layers and the base images that provided them. On docker's containerd image store it
// also says which images would load incomplete (a dropped layer's blob absent from the content
// store): exit 0 with that message, 1 with `strict`.
int run_check(const CheckOptions& options);

// What a slim archive requires of a host: its record (dockerdiff.json) with the blobs its manifests
// name, or without one, every layer whose file is empty.
std::vector<plan::ImageRequirement> slim_requirements(const OpenedArchive& opened, const std::string& spec);

}  // namespace dockerdiff::commands
