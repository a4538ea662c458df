#pragma once

#include <cstdint>
#include <string>

namespace dockerdiff {

// "1.5 GiB", "200.0 MiB", "512 B": sizes in limit messages and in reports.
std::string human_bytes(std::uint64_t bytes);

}  // namespace dockerdiff
