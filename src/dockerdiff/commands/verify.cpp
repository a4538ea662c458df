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
#include "dockerdiff/report/host_reports.hpp"

namespace dockerdiff::commands {

int run_verify(const VerifyOptions& options) {
  progress::Meter meter(options.progress);
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
    // The archive cannot even be read as a tar: that is its one problem.
    result.problems.push_back(image::problem_of(error, name));
  }

  meter.stop();
  if (options.json) {
    // Replace, not throw: entry names are bytes from the archive, not necessarily UTF-8.
    std::cout << report::verify_json(name, result).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << report::verify_problem_lines(name, result);
    std::cerr << report::verify_summary(name, result);
  }
  return result.sound() ? 0 : 1;
}

}  // namespace dockerdiff::commands
