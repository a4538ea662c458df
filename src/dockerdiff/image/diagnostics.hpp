#pragma once

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dockerdiff/util/error.hpp"

namespace dockerdiff::image {

// One thing wrong with an archive: the archive path it concerns ("" for the archive as a whole)
// and what is wrong, as one line.
struct Problem {
  std::string path;
  std::string problem;
};

// An Error about `archive_name` ("<archive>" or "<archive>: <path>" as its subject) as a Problem.
Problem problem_of(const Error& error, const std::string& archive_name);

// What a walk does with a problem it finds: reading stops at the first (an Error naming the archive,
// path and problem), verifying collects them all (each once) and walks on past it.
class Diagnostics {
 public:
  enum class Policy { stop_at_first, collect_all };

  Diagnostics(std::string archive_name, Policy policy) : archive_name_(std::move(archive_name)), policy_(policy) {}

  void report(const std::string& path, const std::string& problem);
  // An Error thrown by the entry index (a missing or unreadable document): rethrown when stopping.
  void report(const Error& error);

  const std::vector<Problem>& problems() const { return problems_; }

 private:
  std::string archive_name_;
  Policy policy_;
  std::vector<Problem> problems_;
  std::set<std::string> seen_;
};

}  // namespace dockerdiff::image
