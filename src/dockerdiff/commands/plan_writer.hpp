#pragma once

#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::commands {

// Writes the planned entries as a tar stream; `inputs` are the plan's inputs in the same order. A
// decompressed_copy is checked against its size and digest at its end: an Error (the caller's atomic
// output is then not committed). The writing is a progress phase named `phase_name` ("writing out.tar").
void write_plan(const plan::SlimPlan& plan, const std::vector<archive::ArchiveInput*>& inputs, archive::ByteSink& sink,
                const std::string& phase_name = "writing");

}  // namespace dockerdiff::commands
