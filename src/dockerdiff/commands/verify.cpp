#include "dockerdiff/commands/verify.hpp"

#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/commands/delta.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
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
    std::vector<image::Problem> delta_problems;
    // A delta archive: its patches checked, and with bases its patched layers rebuilt from them
    // first (then hashed like every layer); its slim archive verified.
    if (auto record = open_delta(input)) {
      delta_problems = check_patch_frames(*input, *record);
      if (delta_problems.empty() && !options.bases.empty()) {
        auto images = image::read_image_archive(image::EntryIndex(input->entries(), name));
        OpenedArchive delta{std::move(input), std::move(images), std::move(record)};
        try {
          std::vector<OpenedArchive> references;
          for (const auto& source : options.bases) {
            if (source.engine_image() == nullptr && !is_inventory_file(source)) references.push_back(open_archive(source));
          }
          rebuild_delta(delta, name, references);
        } catch (const Error& error) {
          delta_problems.push_back(image::problem_of(error, name));
        }
        input = std::move(delta.input);
      }
    }
    result = image::verify_archive(*input, settings);
    result.problems.insert(result.problems.end(), delta_problems.begin(), delta_problems.end());
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
