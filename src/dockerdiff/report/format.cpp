#include "dockerdiff/report/format.hpp"

#include <algorithm>
#include <cstdio>

namespace dockerdiff::report {

std::string percent(double ratio) {
  char text[32];
  std::snprintf(text, sizeof text, "%.1f%%", ratio * 100.0);
  return text;
}

std::string short_digest(const std::string& digest) { return digest.substr(0, std::min<std::size_t>(digest.size(), 19)); }

}  // namespace dockerdiff::report
