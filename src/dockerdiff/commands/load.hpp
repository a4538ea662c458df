#pragma once

#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/engine/engine.hpp"
#include "dockerdiff/util/progress.hpp"

namespace dockerdiff::commands {

struct LoadOptions {
  Source archive;  // a slim archive file, or "-"
  engine::EngineKind engine = engine::EngineKind::docker;
  bool quiet = false;  // -q: also no progress
  progress::Mode progress = progress::Mode::automatic;  // --progress
};

// Loads a slim archive into the host's engine. Checks first, like `check`: when the host lacks a
// layer the archive leaves out, nothing is loaded (Error, exit 1). Then streams the archive into
// `docker load` / `podman load`; on docker's containerd image store, every dropped layer whose blob
// the store lacks is written into the stream from the host's own images (or, for a compressed blob
// held in another form, the manifest names the host's blob), so the image loads complete. Returns
// the engine's exit status.
int run_load(const LoadOptions& options);

}  // namespace dockerdiff::commands
