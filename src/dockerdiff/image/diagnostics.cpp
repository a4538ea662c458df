#include "dockerdiff/image/diagnostics.hpp"

namespace dockerdiff::image {

void Diagnostics::report(const std::string& path, const std::string& problem) {
  if (policy_ == Policy::stop_at_first) throw Error(path.empty() ? archive_name_ : archive_name_ + ": " + path, problem);
  if (!seen_.insert(path + "\n" + problem).second) return;
  problems_.push_back({path, problem});
}

void Diagnostics::report(const Error& error) {
  if (policy_ == Policy::stop_at_first) throw error;
  // "<archive>: <rest>" becomes a problem of the archive as a whole.
  std::string text = error.what();
  if (const auto prefix = archive_name_ + ": "; text.starts_with(prefix)) text = text.substr(prefix.size());
  report("", text);
}

}  // namespace dockerdiff::image
