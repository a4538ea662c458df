#pragma once

#include <string>
#include <vector>

#include "dockerdiff/plan/slim_plan.hpp"

namespace dockerdiff::plan {

// The content of dockerdiff.json (kSlimRecordPath), schema dockerdiff.slim/v1: each image's tags,
// config digest and layer count, and the layers it requires of the host (the dropped ones), which
// requirements_from_record (host_check.hpp) reads back.
std::string slim_record_json(const std::vector<ImageDecision>& images);

}  // namespace dockerdiff::plan
