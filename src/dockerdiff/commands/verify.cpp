#include "dockerdiff/commands/verify.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/verify.hpp"

namespace dockerdiff::commands {

namespace {

// One printable line, whatever the archive's names hold (see printable_line).
std::string line_of(const std::string& archive, const image::VerifyProblem& problem) {
  return printable_line(archive + ": " + (problem.path.empty() ? "" : problem.path + ": ") + problem.problem);
}

}  // namespace

int run_verify(const VerifyOptions& options) {
  image::BaseSet bases;
  for (const auto& source : options.bases) add_base(bases, source);
  image::VerifySettings settings;
  if (!options.bases.empty()) settings.bases = &bases;

  image::VerifyResult result;
  std::string name = options.archive.spec();
  try {
    auto input = open_input(options.archive);
    name = input->name();
    result = image::verify_archive(*input, settings);
  } catch (const Error& error) {
    // The archive cannot even be read as a tar: that is its one problem, said without its name.
    std::string text = error.what();
    if (error.subject() == name) {
      text = error.problem();
    } else if (text.starts_with(name + ": ")) {
      // About a path inside it ("<archive>: <path>"), or a message still given as one string.
      text = text.substr(name.size() + 2);
    }
    result.problems.push_back({"", text});
  }

  if (options.json) {
    auto problems = nlohmann::json::array();
    for (const auto& problem : result.problems) {
      problems.push_back({{"path", problem.path}, {"problem", problem.problem}, {"message", line_of(name, problem)}});
    }
    const nlohmann::json report{{"archive", name},
                                {"sound", result.sound()},
                                {"problems", problems},
                                {"layers_checked", result.layers_checked},
                                {"blobs_checked", result.blobs_checked}};
    // Replace, not throw: entry names are bytes from the archive, not necessarily UTF-8.
    std::cout << report.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    for (const auto& problem : result.problems) std::cout << line_of(name, problem) << "\n";
    if (result.sound()) {
      std::cerr << printable_line(name) << ": sound (" << result.layers_checked << " layers, " << result.blobs_checked
                << " blobs checked)\n";
    } else {
      std::cerr << printable_line(name) << ": " << result.problems.size() << (result.problems.size() == 1 ? " problem" : " problems")
                << "\n";
    }
  }
  return result.sound() ? 0 : 1;
}

}  // namespace dockerdiff::commands
