#pragma once

#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::commands {

// Writes the planned entries as a tar stream; `inputs` are the plan's inputs in the same order. A
// decompressed_copy is checked against its size and digest at its end: an Error (the caller's atomic
// output is then not committed).
void write_plan(const plan::SlimPlan& plan, const std::vector<archive::ArchiveInput*>& inputs, archive::ByteSink& sink);

}  // namespace dockerdiff::commands
