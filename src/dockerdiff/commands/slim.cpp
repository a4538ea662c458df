#include "dockerdiff/commands/slim.hpp"

#include <unistd.h>

#include <algorithm>
#include <iostream>
#include <nlohmann/json.hpp>
#include <set>

#include "dockerdiff/archive/atomic_output.hpp"
#include "dockerdiff/commands/delta.hpp"
#include "dockerdiff/commands/output.hpp"
#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/commands/sources.hpp"
#include "dockerdiff/engine/engine.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/interrupt.hpp"
#include "dockerdiff/report/slim_report.hpp"

namespace dockerdiff::commands {

namespace fs = std::filesystem;

namespace {

void validate(const SlimOptions& options) {
  if (options.targets.empty()) throw usage_error("slim", "no TARGET given");
  if (options.bases.empty()) throw usage_error("slim", "no base given (-b BASE)");
  if (options.output.empty() == options.output_dir.empty()) throw usage_error("slim", "give exactly one of -o OUT and --output-dir DIR");
  if (options.bundle && options.output.empty()) throw usage_error("slim", "--bundle writes one archive: give -o OUT");
  if (options.targets.size() > 1 && !options.output.empty() && !options.bundle) {
    throw usage_error("slim", "several targets need --output-dir DIR, or --bundle -o OUT");
  }
  std::size_t stdin_uses = 0;
  for (const auto& source : options.targets) stdin_uses += source.is_stdin();
  for (const auto& source : options.bases) stdin_uses += source.is_stdin();
  for (const auto& source : options.delta_from) stdin_uses += source.is_stdin();
  if (stdin_uses > 1) throw usage_error("slim", "stdin ('-') can be read only once");
  check_output_options("slim", {options.compression, options.level}, options.output);
}

constexpr std::size_t kMaxStemBytes = 200;

// "dist/app.tar.gz" -> "app"; "docker:registry/app:1.0" -> "registry_app_1.0".
std::string output_stem(const Source& source) {
  if (source.is_stdin()) return "stdin";
  const auto& spec = source.spec();
  std::string name;
  if (const auto* ref = source.engine_image()) {
    name = ref->reference;
  } else {
    name = fs::path(spec).lexically_normal().filename().string();
    if (name.empty()) name = fs::path(spec).lexically_normal().parent_path().filename().string();
    for (const char* suffix : {".tar.gz", ".tgz", ".tar.zst", ".tar.xz", ".tar.bz2", ".tar"}) {
      if (name.size() > std::string_view(suffix).size() && name.ends_with(suffix)) {
        name.resize(name.size() - std::string_view(suffix).size());
        break;
      }
    }
  }
  for (auto& c : name) {
    const bool safe = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';
    if (!safe) c = '_';
  }
  if (name.empty() || name == "." || name == "..") name = "image";
  // One path component, short enough for NAME_MAX with ".slim.tar.zst" and the temporary file's
  // ".NAME.tmp-XXXXXX" around it.
  if (name.size() > kMaxStemBytes) name.resize(kMaxStemBytes);
  return name;
}

struct OutputJob {
  std::string path;                // "-" for stdout
  std::vector<std::size_t> targets;
};

std::vector<OutputJob> output_jobs(const SlimOptions& options) {
  if (!options.output.empty()) {
    OutputJob job{options.output, {}};
    for (std::size_t i = 0; i < options.targets.size(); ++i) job.targets.push_back(i);
    return {job};
  }
  std::vector<OutputJob> jobs;
  std::set<std::string> names;
  for (std::size_t i = 0; i < options.targets.size(); ++i) {
    const auto name = output_stem(options.targets[i]) + ".slim" + std::string(archive::archive_suffix(options.compression));
    if (!names.insert(name).second) {
      throw usage_error("slim", "two targets would both be written to " + name + " in " + options.output_dir);
    }
    jobs.push_back({(fs::path(options.output_dir) / name).string(), {i}});
  }
  return jobs;
}

// Before anything is read: no output may overwrite an input, land inside an input directory or
// be another output; each must be able to become a file.
void check_slim_outputs(const SlimOptions& options, const std::vector<OutputJob>& jobs) {
  auto inputs = options.targets;
  inputs.insert(inputs.end(), options.bases.begin(), options.bases.end());
  inputs.insert(inputs.end(), options.delta_from.begin(), options.delta_from.end());
  std::vector<OutputPath> outputs;
  for (const auto& job : jobs) outputs.push_back({"output", job.path, options.output_dir.empty()});
  outputs.push_back({"--report", options.report_path, true});
  outputs.push_back({"--summary", options.summary_path, true});
  check_outputs("slim", outputs, inputs);
  std::error_code error;
  if (!options.output_dir.empty() && fs::exists(options.output_dir, error) && !fs::is_directory(options.output_dir, error)) {
    throw Error(options.output_dir, "cannot write into it: not a directory");
  }
}

// The --output-dir directory, created when needed (with any missing parents) and removed again, as
// far as this run created it and it is still empty, when the command fails or is interrupted: a
// failed run leaves nothing behind.
class CreatedDirectory {
 public:
  explicit CreatedDirectory(const std::string& path) {
    if (path.empty()) return;
    std::error_code error;
    auto target = fs::absolute(path, error).lexically_normal();
    if (!target.has_filename()) target = target.parent_path();
    std::vector<fs::path> missing;  // innermost first
    for (auto level = target; !fs::exists(level, error) && level.has_relative_path(); level = level.parent_path()) {
      missing.push_back(level);
    }
    for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
      interrupt::Hold hold;
      fs::create_directory(*it, error);
      if (error) throw Error(path, "cannot create: " + error.message());
      created_.push_back(*it);
      registrations_.push_back(interrupt::remove_on_signal(*it));
    }
  }
  ~CreatedDirectory() {
    for (auto it = created_.rbegin(); it != created_.rend(); ++it) {
      std::error_code ignored;
      fs::remove(*it, ignored);  // only removes an empty directory
    }
  }
  CreatedDirectory(const CreatedDirectory&) = delete;
  CreatedDirectory& operator=(const CreatedDirectory&) = delete;
  void keep() {
    created_.clear();
    registrations_.clear();
  }

 private:
  std::vector<fs::path> created_;  // outermost first
  std::vector<interrupt::Registration> registrations_;
};

// Engine targets are read from the engine's `save` as it runs; the data of layers that no output
// writes (dropped wherever they occur, by every target) is not kept on disk. Files are read first,
// and engine images inspected, to know where each layer occurs.
// Whether `input` left out data that the output needs after all (a layer of the bases' that this
// target holds at another position, or keeps in another image).
bool left_out_needed_data(const archive::ArchiveInput& input, const std::set<std::string>& dropped) {
  const auto unkept = input.unkept_digests();
  return std::any_of(unkept.begin(), unkept.end(), [&](const std::string& digest) { return !dropped.contains(digest); });
}

// Opens the targets with as little on disk as the write needs. An engine target is inspected
// first and then saved through a pipe without the layers dropped everywhere. A file target read as
// a stream (compressed) leaves out every layer that may be the bases' before its own layers are
// known, and is read a second time in the rare case that one of them is needed; stdin cannot be
// read again and keeps everything.
std::vector<OpenedArchive> open_targets(const std::vector<Source>& sources, const image::BaseSet& bases) {
  std::vector<OpenedArchive> targets(sources.size());
  std::vector<std::vector<std::string>> layers;
  bool layers_known = true;
  // A legacy layer is known by its digest only once read: one of a base layer's size is not
  // spooled meanwhile (small ones cost little to keep, and empty-ish layers share sizes often).
  constexpr std::uint64_t kGuessFromSizeAbove = 1 << 20;
  const archive::KeepData not_a_base_layer{
      .digest = [&bases](std::string_view digest) { return !bases.may_hold_layer(std::string(digest)); },
      .may_skip_by_size = [&bases](std::uint64_t size) { return size > kGuessFromSizeAbove && bases.has_layer_of_size(size); }};
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (const auto* ref = sources[i].engine_image()) {
      // An image the engine cannot inspect: everything is kept, and `save` says what is wrong.
      try {
        for (const auto& image : engine::inspect_image(*ref)) layers.push_back(image::inspected_diff_ids(image, sources[i].spec()));
      } catch (const Error&) {
        layers_known = false;
      }
      continue;
    }
    targets[i] = open_archive(sources[i], sources[i].is_stdin() ? archive::KeepData{} : not_a_base_layer);
    for (const auto& image : targets[i].images.images) {
      auto& diff_ids = layers.emplace_back();
      for (const auto& layer : image.layers) diff_ids.push_back(layer.diff_id);
    }
  }
  const auto dropped = layers_known ? plan::layers_dropped_everywhere(layers, bases) : std::set<std::string>{};
  const archive::KeepData keep{.digest = [&dropped](std::string_view digest) { return !dropped.contains(std::string(digest)); },
                                .may_skip_by_size = {}};
  for (std::size_t i = 0; i < sources.size(); ++i) {
    if (sources[i].engine_image() != nullptr || left_out_needed_data(*targets[i].input, dropped)) {
      targets[i] = open_archive(sources[i], keep);
    }
  }
  return targets;
}

}  // namespace

int run_slim(const SlimOptions& options) {
  validate(options);
  const auto jobs = output_jobs(options);
  check_slim_outputs(options, jobs);
  progress::Meter meter(options.quiet ? progress::Mode::none : options.progress);

  // Read: every base and target, before anything is written.
  image::BaseSet bases;
  for (const auto& source : options.bases) add_base(bases, source);
  // The earlier releases are read whole: the host holds their layers, and they are the references.
  std::vector<OpenedArchive> releases;
  std::vector<std::string> release_names;
  for (const auto& source : options.delta_from) {
    releases.push_back(open_archive(source));
    release_names.push_back(source.spec());
    bases.add_archive(source.spec(), releases.back().images);
  }
  auto targets = open_targets(options.targets, bases);
  for (std::size_t i = 0; i < targets.size(); ++i) refuse_delta(targets[i], options.targets[i].spec(), "slim");
  // A target that is itself a slim archive: its record says what it already dropped.
  std::vector<std::optional<std::vector<plan::ImageRequirement>>> records;
  for (std::size_t i = 0; i < targets.size(); ++i) records.push_back(read_slim_record(targets[i], options.targets[i].spec()));

  // Plan: every output, so that no archive is written when any of them cannot be made.
  std::vector<plan::SlimPlan> plans;
  std::vector<std::vector<plan::PlanInput>> job_inputs;
  report::SlimReport report;
  for (const auto& job : jobs) {
    auto& plan_inputs = job_inputs.emplace_back();
    report::OutputReport output;
    output.path = job.path;
    output.output_compression = std::string(archive::compression_name(options.compression));
    std::set<std::string> input_compressions;
    for (const auto index : job.targets) {
      plan_inputs.push_back({options.targets[index].spec(), &targets[index].input->entries(), &targets[index].images,
                             records[index] ? &*records[index] : nullptr});
      output.inputs.push_back(options.targets[index].spec());
      output.input_bytes += targets[index].input->stored_bytes();
      input_compressions.insert(std::string(archive::compression_name(targets[index].input->compression())));
    }
    output.input_compression.clear();
    for (const auto& name : input_compressions) {
      output.input_compression += (output.input_compression.empty() ? "" : "+") + name;
    }
    plans.push_back(plan::plan_slim(plan_inputs, bases, options.layout, options.descriptors));
    output.layout = std::string(image::layout_name(plans.back().layout));
    report.images.insert(report.images.end(), plans.back().images.begin(), plans.back().images.end());
    output.renamed_blobs = plans.back().renamed_blobs;
    report.outputs.push_back(std::move(output));
  }

  // Patches (--delta-from): made into temporary files; each output then becomes a delta archive.
  std::vector<std::vector<archive::ArchiveInput*>> job_sources;
  std::vector<std::unique_ptr<archive::FileSetInput>> patches;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    auto& sources = job_sources.emplace_back();
    for (const auto index : jobs[j].targets) sources.push_back(targets[index].input.get());
    if (releases.empty()) continue;
    auto delta = make_delta(plans[j], job_inputs[j], sources, releases, release_names);
    plans[j] = std::move(delta.plan);
    sources.push_back(delta.patches.get());
    patches.push_back(std::move(delta.patches));
    report.outputs[j].delta = true;
    for (auto& patched : delta.patched) report.patches.push_back(std::move(patched.record));
  }

  // Write: into temporary files, all renamed into place together once everything succeeded.
  CreatedDirectory output_dir(options.output_dir);
  std::vector<std::unique_ptr<archive::AtomicOutputFile>> pending;
  for (std::size_t j = 0; j < jobs.size(); ++j) {
    const auto& sources = job_sources[j];
    if (jobs[j].path == "-") {
      auto sink = make_output_sink(1, "stdout", {options.compression, options.level});
      write_plan(plans[j], sources, *sink, "writing stdout");
      report.outputs[j].output_bytes = sink->bytes_written();
      continue;
    }
    pending.push_back(std::make_unique<archive::AtomicOutputFile>(jobs[j].path));
    auto sink = make_output_sink(pending.back()->fd(), jobs[j].path, {options.compression, options.level});
    write_plan(plans[j], sources, *sink, "writing " + jobs[j].path);
    report.outputs[j].output_bytes = sink->bytes_written();
  }
  const auto add_document = [&](const std::string& path, const std::string& content) {
    if (path.empty()) return;
    pending.push_back(std::make_unique<archive::AtomicOutputFile>(path));
    auto sink = archive::make_fd_sink(pending.back()->fd(), path);
    sink->write(content.data(), content.size());
    sink->finish();
  };
  // Replace, not throw: file names from the command line are bytes, not necessarily UTF-8.
  add_document(options.report_path,
               report::to_json(report).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  add_document(options.summary_path, report::to_markdown(report));
  {
    // A signal arriving now takes effect once every output is in place.
    interrupt::Hold hold;
    for (auto& file : pending) file->commit();
    output_dir.keep();
  }

  meter.stop();
  if (!options.quiet) std::cerr << report::to_text(report);
  return 0;
}

}  // namespace dockerdiff::commands
