#pragma once

#include <cstdint>
#include <string>

#include "dockerdiff/util/units.hpp"

namespace dockerdiff::report {

// "89.5%" of part / whole (0.0% for an empty whole).
std::string percent(double ratio);
// "sha256:0123456789ab": enough of a digest to tell layers apart on a terminal.
std::string short_digest(const std::string& digest);

}  // namespace dockerdiff::report
