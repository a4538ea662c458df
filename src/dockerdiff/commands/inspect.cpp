#include "dockerdiff/commands/inspect.hpp"

#include <iostream>
#include <nlohmann/json.hpp>

#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/report/inspect_report.hpp"

namespace dockerdiff::commands {

int run_inspect(const InspectOptions& options) {
  const auto opened = open_archive(options.archive);
  const report::InspectSubject subject{opened.input->name(),
                                       std::string(opened.input->kind()),
                                       std::string(archive::compression_name(opened.input->compression())),
                                       opened.input->stored_bytes(),
                                       &opened.input->entries(),
                                       &opened.images,
                                       opened.delta ? &*opened.delta : nullptr};
  if (options.json) {
    // Replace, not throw: entry names are bytes from the archive, not necessarily UTF-8.
    std::cout << report::inspect_json(subject).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  } else {
    std::cout << report::inspect_text(subject);
  }
  return 0;
}

}  // namespace dockerdiff::commands
