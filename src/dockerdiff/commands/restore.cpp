#include "dockerdiff/commands/restore.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/commands/output.hpp"
#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/plan/restore_plan.hpp"
#include "dockerdiff/report/host_reports.hpp"

namespace dockerdiff::commands {

namespace fs = std::filesystem;

namespace {

void validate(const RestoreOptions& options) {
  if (options.slim.spec().empty()) throw usage_error("restore", "no SLIM archive given");
  if (options.bases.empty()) throw usage_error("restore", "no base given (-b BASE)");
  if (options.output.empty()) throw usage_error("restore", "no output given (-o OUT)");
  std::size_t stdin_uses = options.slim.is_stdin();
  for (const auto& source : options.bases) stdin_uses += source.is_stdin();
  if (stdin_uses > 1) throw usage_error("restore", "stdin ('-') can be read only once");
  check_output_options("restore", {options.compression, options.level}, options.output);
  auto inputs = options.bases;
  inputs.push_back(options.slim);
  check_outputs("restore", {{"output", options.output, true}}, inputs);
}

}  // namespace

int run_restore(const RestoreOptions& options) {
  validate(options);

  // Read: the slim archive and every base, before anything is written.
  auto slim = open_archive(options.slim);
  std::vector<OpenedArchive> bases;
  for (const auto& source : options.bases) bases.push_back(open_archive(source));

  // Plan: fails (naming the layer and image) before an output file exists.
  std::vector<plan::PlanInput> base_inputs;
  for (std::size_t i = 0; i < bases.size(); ++i) {
    base_inputs.push_back({options.bases[i].spec(), &bases[i].input->entries(), &bases[i].images});
  }
  const auto restore =
      plan::plan_restore({options.slim.spec(), &slim.input->entries(), &slim.images}, base_inputs, options.layout);

  // Write: inputs in the plan's order {slim, bases...}.
  std::vector<archive::ArchiveInput*> sources{slim.input.get()};
  for (auto& base : bases) sources.push_back(base.input.get());
  if (options.output == "-") {
    auto sink = make_output_sink(1, "stdout", {options.compression, options.level});
    write_plan(restore.plan, sources, *sink);
  } else {
    archive::AtomicOutputFile file(options.output);
    auto sink = make_output_sink(file.fd(), options.output, {options.compression, options.level});
    write_plan(restore.plan, sources, *sink);
    file.commit();
  }

  std::cerr << report::restore_summary(options.output == "-" ? std::string("stdout") : options.output, restore);
  return 0;
}

}  // namespace dockerdiff::commands
