// The command line: parses arguments, calls into the core library, and turns its one error type
// into a one-line message and an exit status (1 bad input, 2 bad usage).
#include <CLI/CLI.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <iostream>
#include <map>

#include "dockerdiff/commands/host.hpp"
#include "dockerdiff/commands/inspect.hpp"
#include "dockerdiff/commands/load.hpp"
#include "dockerdiff/commands/restore.hpp"
#include "dockerdiff/commands/verify.hpp"
#include "dockerdiff/commands/slim.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/interrupt.hpp"
#include "dockerdiff/util/progress.hpp"
#include "dockerdiff/version.hpp"

namespace {

using namespace dockerdiff;

// The names an option of an enum type takes, and what each means.
const std::map<std::string, plan::LayoutMode> kLayoutModes{{"auto", plan::LayoutMode::automatic},
                                                           {"keep", plan::LayoutMode::keep}};
const std::map<std::string, archive::Compression> kOutputCompressions{
    {"none", archive::Compression::none}, {"gzip", archive::Compression::gzip}, {"zstd", archive::Compression::zstd}};
const std::map<std::string, progress::Mode> kProgressModes{
    {"auto", progress::Mode::automatic}, {"plain", progress::Mode::plain}, {"none", progress::Mode::none}};
const std::map<std::string, engine::EngineKind> kEngines{{"docker", engine::EngineKind::docker},
                                                         {"podman", engine::EngineKind::podman}};
// slim's and restore's --level (README "Compression").
constexpr const char* kLevelHelp =
    "Compression level (gzip 1-9, default 6, 1 = ISA-L's fast level; zstd 1-19, default 3)";

// An option that parses one of `names` straight into its enum variable. Help and a bad value read
// as with CLI::IsMember ("TEXT:{auto,keep}", "--layout: bogus not in {auto,keep}"): the names are
// checked first, then a CLI::CheckedTransformer maps the name to its value (alone, it would show
// its name->number mapping and also accept the numbers).
template <typename Enum>
CLI::Option* add_enum_option(CLI::App& command, const std::string& name, Enum& value, const std::map<std::string, Enum>& names,
                             const std::string& description) {
  const CLI::Validator known = CLI::IsMember(names);
  const CLI::Validator to_value = CLI::CheckedTransformer(names);
  const CLI::Validator validator(
      [known, to_value](std::string& input) {
        auto error = known(input);
        return error.empty() ? to_value(input) : error;
      },
      known.get_description());
  return command.add_option(name, value, description)->type_name("TEXT")->transform(validator);
}

// --progress, as `docker buildx build --progress` has it.
void add_progress_option(CLI::App& command, progress::Mode& mode) {
  add_enum_option(command, "--progress", mode, kProgressModes,
                  "auto: a line redrawn on a terminal, nothing otherwise; plain: a line every few seconds (CI logs); none");
}

// Sources are read as typed into `targets`, `bases` and `releases`, and become commands::Source once
// parsing is done.
void add_slim(CLI::App& app, commands::SlimOptions& options, std::vector<std::string>& targets, std::vector<std::string>& bases,
              std::vector<std::string>& releases) {
  auto* slim = app.add_subcommand("slim", "Write an archive without the layers the host already has");
  slim->add_option("TARGET", targets,
                   "Image archive (plain, gzip, zstd, xz, bzip2), '-' for stdin, OCI layout directory, docker:REF or podman:REF")
      ->required();
  slim->add_option("-b,--base", bases,
                   "What the host has: archive, OCI layout directory, docker:REF, podman:REF or inventory JSON (repeatable)")
      ->required();
  slim->add_option("--delta-from", releases,
                   "An earlier release the host holds (archive, OCI layout directory, docker:REF, podman:REF; repeatable): its "
                   "layers are dropped, and each kept layer goes as a zstd patch against its most similar layer where smaller "
                   "(a delta archive, loaded with dockerdiff load)");
  slim->add_option("-o,--output", options.output, "Output archive, '-' for stdout");
  slim->add_option("--output-dir", options.output_dir, "Write one slim archive per target into this directory");
  slim->add_flag("--bundle", options.bundle, "Write all targets into the one archive given with -o, each blob once");
  add_enum_option(*slim, "--layout", options.layout, kLayoutModes,
                  "auto: a legacy input becomes the Docker 25+ layout; keep: the input's layout");
  add_enum_option(*slim, "--compress", options.compression, kOutputCompressions, "Compress the output");
  slim->add_option("--level", options.level, kLevelHelp);
  slim->add_option("--report", options.report_path, "Write the JSON report (dockerdiff.report/v1) here");
  slim->add_option("--summary", options.summary_path, "Write a Markdown size summary here");
  slim->add_flag_callback(
      "--keep-descriptors", [&options] { options.descriptors = plan::DroppedDescriptors::keep; },
      "Keep the input's descriptors of dropped layers, even where an inventory says the host holds a layer as "
      "another blob (by default the manifest names that blob, so the image loads complete on a containerd store)");
  slim->add_flag("-q,--quiet", options.quiet, "No summary and no progress on stderr");
  add_progress_option(*slim, options.progress);
}

// What went to std::cout must have arrived: a closed pipe or a full disk is an error, not exit 0.
int check_stdout(int status) {
  errno = 0;
  if (std::cout.flush()) return status;
  const int error = errno;
  dockerdiff::interrupt::settle();
  std::cerr << "dockerdiff: stdout: write failed" << (error != 0 ? std::string(": ") + std::strerror(error) : "") << "\n";
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  // Before any thread exists: SIGINT, SIGTERM and SIGHUP remove temporary files, then end the process.
  interrupt::install();
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout becomes a write error with a message
  std::signal(SIGXFSZ, SIG_IGN);  // a file over RLIMIT_FSIZE too (EFBIG), instead of a core dump

  CLI::App app{"dockerdiff: slim container image archives against a base the host already has"};
  app.set_version_flag("--version", std::string("dockerdiff ") + kVersion);
  app.require_subcommand(1);

  commands::SlimOptions slim;
  std::vector<std::string> slim_targets;
  std::vector<std::string> slim_bases;
  std::vector<std::string> slim_releases;
  add_slim(app, slim, slim_targets, slim_bases, slim_releases);

  commands::InspectOptions inspect;
  std::string inspect_archive;
  auto* inspect_command = app.add_subcommand("inspect", "Show the layout, images, tags and layers of an archive");
  inspect_command->add_option("ARCHIVE", inspect_archive, "Image archive, OCI layout directory, '-', docker:REF or podman:REF")
      ->required();
  inspect_command->add_flag("--json", inspect.json, "Print JSON");

  commands::InventoryOptions inventory;
  auto* inventory_command =
      app.add_subcommand("inventory", "Print the chain IDs the host's engine holds, as JSON that slim -b and check accept");
  add_enum_option(*inventory_command, "--engine", inventory.engine, kEngines, "docker or podman");
  inventory_command->add_option("-o,--output", inventory.output, "Write here instead of stdout");

  commands::CheckOptions check;
  std::string check_archive;
  auto* check_command = app.add_subcommand("check", "Say whether this host can load a slim archive (exit 0) or not (exit 1)");
  check_command->add_option("SLIM", check_archive, "The slim archive")->required();
  auto* engine_option = add_enum_option(*check_command, "--engine", check.engine, kEngines, "Ask docker or podman");
  check_command->add_option("--inventory", check.inventory, "Use an inventory file instead of an engine")->excludes(engine_option);
  check_command->add_flag("--strict", check.strict,
                          "Exit 1 also when an image would load incomplete (docker's containerd image store lacks the "
                          "blob of a dropped layer)");

  commands::LoadOptions load;
  std::string load_archive;
  auto* load_command = app.add_subcommand(
      "load", "Load a slim archive into docker or podman: checked first (nothing loads when the host lacks a layer), "
              "complete on docker's containerd image store");
  load_command->add_option("SLIM", load_archive, "The slim archive, '-' for stdin")->required();
  add_enum_option(*load_command, "--engine", load.engine, kEngines, "docker or podman");
  load_command->add_flag("-q,--quiet", load.quiet, "No progress (ours or the engine's), no summary on stderr");
  add_progress_option(*load_command, load.progress);

  commands::RestoreOptions restore;
  std::string restore_slim;
  std::vector<std::string> restore_bases;
  auto* restore_command = app.add_subcommand("restore", "Refill the dropped layers of a slim archive from the bases");
  restore_command->add_option("SLIM", restore_slim, "The slim archive")->required();
  restore_command->add_option("-b,--base", restore_bases, "Archive, OCI layout directory, docker:REF or podman:REF (repeatable)")
      ->required();
  restore_command->add_option("-o,--output", restore.output, "Output archive, '-' for stdout")->required();
  add_enum_option(*restore_command, "--layout", restore.layout, kLayoutModes, "auto or keep");
  add_enum_option(*restore_command, "--compress", restore.compression, kOutputCompressions, "Compress the output");
  restore_command->add_option("--level", restore.level, kLevelHelp);
  add_progress_option(*restore_command, restore.progress);

  commands::VerifyOptions verify;
  std::string verify_archive;
  std::vector<std::string> verify_bases;
  auto* verify_command = app.add_subcommand("verify", "Check an archive's structure and rehash every layer and blob");
  verify_command->add_option("ARCHIVE", verify_archive, "Image archive or OCI layout directory")->required();
  verify_command->add_option("-b,--base", verify_bases, "Bases that must provide every emptied layer (repeatable)");
  verify_command->add_flag("--json", verify.json, "Print JSON");
  add_progress_option(*verify_command, verify.progress);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::cerr << "dockerdiff: " << printable_line(e.what()) << " (see dockerdiff --help)\n";
    return 2;
  }

  try {
    int status = 0;
    if (app.got_subcommand("slim")) {
      slim.targets = commands::parse_sources(slim_targets);
      slim.bases = commands::parse_sources(slim_bases);
      slim.delta_from = commands::parse_sources(slim_releases);
      status = commands::run_slim(slim);
    } else if (app.got_subcommand("inventory")) {
      status = commands::run_inventory(inventory);
    } else if (app.got_subcommand("check")) {
      check.archive = commands::Source(check_archive);
      status = commands::run_check(check);
    } else if (app.got_subcommand("load")) {
      load.archive = commands::Source(load_archive);
      status = commands::run_load(load);
    } else if (app.got_subcommand("restore")) {
      restore.slim = commands::Source(restore_slim);
      restore.bases = commands::parse_sources(restore_bases);
      status = commands::run_restore(restore);
    } else if (app.got_subcommand("verify")) {
      verify.archive = commands::Source(verify_archive);
      verify.bases = commands::parse_sources(verify_bases);
      status = commands::run_verify(verify);
    } else {
      inspect.archive = commands::Source(inspect_archive);
      status = commands::run_inspect(inspect);
    }
    interrupt::settle();
    return check_stdout(status);
  } catch (const Error& error) {
    interrupt::settle();  // an error the cleanup of a signal caused is not reported
    std::cerr << "dockerdiff: " << printable_line(error.what()) << "\n";
    return static_cast<int>(error.status());
  } catch (const std::bad_alloc&) {
    interrupt::settle();
    std::cerr << "dockerdiff: out of memory\n";
    return 1;
  } catch (const std::exception& error) {
    interrupt::settle();
    std::cerr << "dockerdiff: internal error: " << printable_line(error.what()) << "\n";
    return 1;
  }
}
