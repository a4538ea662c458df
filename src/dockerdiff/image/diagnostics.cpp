#include "dockerdiff/image/diagnostics.hpp"

namespace dockerdiff::image {

void Diagnostics::report(const std::string& path, const std::string& problem) {
  if (policy_ == Policy::stop_at_first) throw Error(path.empty() ? archive_name_ : archive_name_ + ": " + path, problem);
  if (!seen_.insert(path + "\n" + problem).second) return;
  problems_.push_back({path, problem});
}

void Diagnostics::report(const Error& error) {
  if (policy_ == Policy::stop_at_first) throw error;
  const auto found = problem_of(error, archive_name_);
  report(found.path, found.problem);
}

Problem problem_of(const Error& error, const std::string& archive_name) {
  if (error.subject() == archive_name) return {"", error.problem()};
  if (const auto prefix = archive_name + ": "; error.subject().starts_with(prefix)) {
    return {error.subject().substr(prefix.size()), error.problem()};
  }
  return {"", error.what()};
}

}  // namespace dockerdiff::image
