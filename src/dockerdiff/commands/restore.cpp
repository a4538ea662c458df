#include "dockerdiff/commands/restore.hpp"

#include <unistd.h>

#include <filesystem>
#include <iostream>
#include <memory>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/archive/decompressing_sink.hpp"
#include "dockerdiff/commands/delta.hpp"
#include "dockerdiff/commands/output.hpp"
#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/util/error.hpp"
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

// Reads each blob through once, counting and hashing its decompressed bytes.
plan::MeasuredSizes measure(const std::vector<plan::BlobToMeasure>& blobs, std::vector<OpenedArchive>& bases,
                            const std::vector<std::string>& base_names) {
  plan::MeasuredSizes sizes;
  for (const auto& blob : blobs) {
    auto& input = *bases.at(blob.base).input;
    const auto& source = input.entries().at(blob.entry);
    const auto what = base_names.at(blob.base) + ": " + source.path;
    archive::DecompressingSink counted(nullptr, archive::detect_compression(source.magic), source.size, std::nullopt, what);
    input.copy_entry(blob.entry, counted);
    counted.finish();
    const auto digest = counted.digest();
    if (digest != blob.diff_id) throw Error(what, "decompresses to " + digest + ", not the layer's diff_id " + blob.diff_id);
    sizes[blob.diff_id] = counted.bytes_written();
  }
  return sizes;
}

}  // namespace

plan::RestorePlan plan_restore_of(OpenedArchive& slim, const std::string& slim_name, std::vector<OpenedArchive>& bases,
                                  const std::vector<std::string>& base_names, plan::LayoutMode mode,
                                  const std::optional<std::set<std::string>>& refill_chain_ids) {
  const auto record = read_slim_record(slim, slim_name);
  const plan::PlanInput slim_input{slim_name, &slim.input->entries(), &slim.images, record ? &*record : nullptr};
  std::vector<plan::PlanInput> base_inputs;
  for (std::size_t i = 0; i < bases.size(); ++i) {
    base_inputs.push_back({base_names.at(i), &bases[i].input->entries(), &bases[i].images});
  }
  const auto measured = measure(plan::blobs_to_measure(slim_input, base_inputs, refill_chain_ids), bases, base_names);
  return plan::plan_restore(slim_input, base_inputs, mode, refill_chain_ids, measured);
}

int run_restore(const RestoreOptions& options) {
  validate(options);
  progress::Meter meter(options.progress);

  // Read: the slim archive and every base, before anything is written.
  auto slim = open_archive(options.slim);
  std::vector<OpenedArchive> bases;
  for (const auto& source : options.bases) bases.push_back(open_archive(source));
  // A delta archive: its patched layers rebuilt first, from the bases' copies of their references.
  const auto rebuilt = rebuild_delta(slim, options.slim.spec(), bases);

  // Plan: fails (naming the layer and image) before an output file exists.
  std::vector<std::string> base_names;
  for (const auto& source : options.bases) base_names.push_back(source.spec());
  const auto restore = plan_restore_of(slim, options.slim.spec(), bases, base_names, options.layout);

  // Write: inputs in the plan's order {slim, bases...}.
  std::vector<archive::ArchiveInput*> sources{slim.input.get()};
  for (auto& base : bases) sources.push_back(base.input.get());
  if (options.output == "-") {
    auto sink = make_output_sink(1, "stdout", {options.compression, options.level});
    write_plan(restore.plan, sources, *sink, "writing stdout");
  } else {
    archive::AtomicOutputFile file(options.output);
    auto sink = make_output_sink(file.fd(), options.output, {options.compression, options.level});
    write_plan(restore.plan, sources, *sink, "writing " + options.output);
    file.commit();
  }

  meter.stop();
  std::cerr << report::restore_summary(options.output == "-" ? std::string("stdout") : options.output, restore);
  if (rebuilt > 0) std::cerr << rebuilt_summary(options.slim.spec(), rebuilt);
  return 0;
}

}  // namespace dockerdiff::commands
