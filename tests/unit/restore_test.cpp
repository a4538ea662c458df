// restore: slim(T, B) refilled from B gives back every layer of T byte for byte, with T's configs
// and tags, in every layout; with --layout keep a legacy T comes back under T's entry names.
#include <gtest/gtest.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <optional>
#include <algorithm>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/commands/restore.hpp"
#include "dockerdiff/commands/slim.hpp"
#include "dockerdiff/util/digest.hpp"
#include "dockerdiff/util/error.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace dockerdiff::testing {
namespace {

namespace fs = std::filesystem;
using archive::Compression;
using archive::EntryType;
using nlohmann::json;
using plan::LayoutMode;

// A small layer whose bytes are determined by its name.
std::string layer(const std::string& name, std::size_t lines = 20) {
  std::uint64_t state = 1469598103934665603ULL;
  for (const char c : name) state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  std::string data;
  for (std::size_t i = 0; i < lines; ++i) {
    data += name + " ";
    for (int c = 0; c < 32; ++c) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      data += static_cast<char>('a' + static_cast<int>((state >> 59) % 26));
    }
    data += "\n";
  }
  return make_layer_tar({{name + "/data.txt", data}});
}

struct Scenario {
  std::vector<FixtureImage> target;
  FixtureOptions target_options;
  std::vector<std::vector<FixtureImage>> bases;  // one archive each
  std::vector<FixtureOptions> base_options;      // defaults to legacy when shorter
  LayoutMode slim_layout = LayoutMode::automatic;
  LayoutMode restore_layout = LayoutMode::automatic;
  Compression slim_compression = Compression::none;
  Compression restore_compression = Compression::none;
  bool base_as_directory = false;  // the first base as an OCI layout directory (oci / docker25 only)
};

struct Outcome {
  std::string target;
  std::string slim;
  std::string restored;
};

Outcome slim_and_restore(const TempDir& dir, const Scenario& setup) {
  Outcome outcome;
  outcome.target = write_fixture(setup.target, setup.target_options);
  write_file(dir / "target.tar", outcome.target);
  std::vector<std::string> bases;
  for (std::size_t i = 0; i < setup.bases.size(); ++i) {
    const auto options = i < setup.base_options.size() ? setup.base_options[i] : FixtureOptions{};
    const auto path = dir / ("base" + std::to_string(i) + (i == 0 && setup.base_as_directory ? "" : ".tar"));
    if (i == 0 && setup.base_as_directory) {
      write_fixture_directory(path, setup.bases[i], options);
    } else {
      write_fixture_file(path, setup.bases[i], options);
    }
    bases.push_back(path.string());
  }
  commands::SlimOptions slim;
  slim.targets = commands::parse_sources({(dir / "target.tar").string()});
  slim.bases = commands::parse_sources(bases);
  slim.output = (dir / "slim.tar").string();
  slim.layout = setup.slim_layout;
  slim.compression = setup.slim_compression;
  slim.quiet = true;
  EXPECT_EQ(commands::run_slim(slim), 0);
  outcome.slim = read_file(dir / "slim.tar");

  commands::RestoreOptions restore;
  restore.slim = commands::Source(slim.output);
  restore.bases = commands::parse_sources(bases);
  restore.output = (dir / "restored.tar").string();
  restore.layout = setup.restore_layout;
  restore.compression = setup.restore_compression;
  EXPECT_EQ(commands::run_restore(restore), 0);
  outcome.restored = read_file(dir / "restored.tar");
  return outcome;
}

std::string config_digest(const ArchiveContents& contents, const ArchiveImage& image) {
  return dockerdiff::sha256_digest(resolved_content(contents, image.config_path));
}

// Every image of T is in R with the same config digest, tags and diff_ids, and every layer's stored
// bytes (links followed) equal T's; R holds no empty layer and no slim record.
void expect_round_trip(const Outcome& outcome) {
  const auto target = read_tar(outcome.target);
  const auto restored = read_tar(outcome.restored);
  const auto target_images = list_archive_images(target);
  const auto restored_images = list_archive_images(restored);
  ASSERT_EQ(target_images.size(), restored_images.size());
  std::size_t layers = 0;
  for (const auto& want : target_images) {
    const auto digest = config_digest(target, want);
    const ArchiveImage* got = nullptr;
    for (const auto& candidate : restored_images) {
      if (config_digest(restored, candidate) == digest && candidate.tags == want.tags) got = &candidate;
    }
    ASSERT_NE(got, nullptr) << "no image with config " << digest << " and the same tags";
    ASSERT_EQ(got->diff_ids, want.diff_ids);
    ASSERT_EQ(got->layer_paths.size(), want.layer_paths.size());
    for (std::size_t l = 0; l < want.layer_paths.size(); ++l) {
      const auto& bytes = resolved_content(restored, got->layer_paths[l]);
      EXPECT_FALSE(bytes.empty()) << got->layer_paths[l];
      EXPECT_TRUE(bytes == resolved_content(target, want.layer_paths[l])) << "layer " << l << " at " << got->layer_paths[l];
      ++layers;
    }
  }
  std::size_t checked = 0;
  EXPECT_EQ(check_layers_read_back(outcome.restored, &checked), std::vector<std::string>{});
  EXPECT_EQ(checked, layers);
  EXPECT_FALSE(restored.contains("dockerdiff.json"));
}

// Same entry names as T (plus `added`: the manifest.json that --layout auto gives a pure OCI
// archive), and every file of T (links followed) holds the same bytes.
void expect_same_entries(const Outcome& outcome, const std::set<std::string>& added = {}) {
  const auto target = read_tar(outcome.target);
  const auto restored = read_tar(outcome.restored);
  std::set<std::string> want = added;
  std::set<std::string> got;
  for (const auto& [path, entry] : target) want.insert(path);
  for (const auto& [path, entry] : restored) got.insert(path);
  EXPECT_EQ(got, want);
  for (const auto& [path, entry] : target) {
    if (entry.type == EntryType::directory || !restored.contains(path)) continue;
    EXPECT_TRUE(resolved_content(restored, path) == resolved_content(target, path)) << path;
  }
}

std::size_t empty_layers(const std::string& archive_bytes) {
  const auto contents = read_tar(archive_bytes);
  std::size_t count = 0;
  for (const auto& image : list_archive_images(contents)) {
    for (const auto& path : image.layer_paths) count += resolved_content(contents, path).empty();
  }
  return count;
}

// Regular files with data: each layer stored once however many paths link to it.
std::size_t stored_files(const std::string& archive_bytes) {
  std::size_t count = 0;
  for (const auto& [path, entry] : read_tar(archive_bytes)) count += entry.type == EntryType::regular && !entry.content.empty();
  return count;
}

FixtureOptions with_layout(FixtureLayout layout, Compression layers = Compression::none) {
  FixtureOptions options;
  options.layout = layout;
  options.layer_compression = layers;
  return options;
}

// T: two images sharing a base prefix; B: the prefix.
Scenario two_images(FixtureLayout layout, Compression layers = Compression::none) {
  Scenario setup;
  setup.target = {{{"app:1"}, {layer("os"), layer("lib"), layer("app1")}}, {{"app:2"}, {layer("os"), layer("lib"), layer("app2")}}};
  setup.target_options = with_layout(layout, layers);
  setup.bases = {{{{"base:1"}, {layer("os"), layer("lib")}}}};
  setup.base_options = {with_layout(layout, layers)};
  return setup;
}

TEST(Restore, LegacyAutoRoundTrip) {
  TempDir dir;
  const auto outcome = slim_and_restore(dir, two_images(FixtureLayout::legacy));
  EXPECT_EQ(empty_layers(outcome.slim), 4u);
  expect_round_trip(outcome);
  EXPECT_TRUE(read_tar(outcome.restored).contains("index.json"));  // docker25 layout
}

TEST(Restore, LegacyKeepRoundTripGivesBackTheEntries) {
  TempDir dir;
  auto setup = two_images(FixtureLayout::legacy);
  setup.slim_layout = LayoutMode::keep;
  setup.restore_layout = LayoutMode::keep;
  const auto outcome = slim_and_restore(dir, setup);
  EXPECT_GT(empty_layers(outcome.slim), 0u);
  expect_round_trip(outcome);
  expect_same_entries(outcome);
}

TEST(Restore, LegacyKeepSlimRestoredWithAutoBecomesDocker25) {
  TempDir dir;
  auto setup = two_images(FixtureLayout::legacy);
  setup.slim_layout = LayoutMode::keep;
  const auto outcome = slim_and_restore(dir, setup);
  expect_round_trip(outcome);
  EXPECT_TRUE(read_tar(outcome.restored).contains("index.json"));
}

TEST(Restore, Docker25RoundTrip) {
  for (const auto mode : {LayoutMode::automatic, LayoutMode::keep}) {
    TempDir dir;
    auto setup = two_images(FixtureLayout::docker25);
    setup.restore_layout = mode;
    const auto outcome = slim_and_restore(dir, setup);
    EXPECT_EQ(empty_layers(outcome.slim), 4u);
    expect_round_trip(outcome);
    expect_same_entries(outcome);
  }
}

TEST(Restore, OciRoundTripWithGzipLayerBlobs) {
  for (const auto compression : {Compression::none, Compression::gzip}) {
    TempDir dir;
    const auto outcome = slim_and_restore(dir, two_images(FixtureLayout::oci, compression));
    EXPECT_EQ(empty_layers(outcome.slim), 4u);
    expect_round_trip(outcome);
    expect_same_entries(outcome, {"manifest.json"});
  }
}

TEST(Restore, BasesInOtherLayoutsCompressedArchivesAndDirectories) {
  TempDir dir;
  auto setup = two_images(FixtureLayout::legacy);
  setup.target_options.archive_compression = Compression::gzip;
  // The prefix split over two bases: an OCI layout directory and a zstd docker25 archive.
  setup.bases = {{{{"os:1"}, {layer("os")}}}, {{{"lib:1"}, {layer("os"), layer("lib")}}}};
  setup.base_options = {with_layout(FixtureLayout::oci), with_layout(FixtureLayout::docker25)};
  setup.base_options[1].archive_compression = Compression::zstd;
  setup.base_as_directory = true;
  setup.slim_compression = Compression::gzip;
  setup.restore_compression = Compression::zstd;
  const auto outcome = slim_and_restore(dir, setup);
  expect_round_trip(outcome);
}

// docker save stores a repeated layer once and links the other copies to it. Here the stored copy
// belongs to a dropped layer and a linked copy to a kept one (another chain): slim moves the data
// to the kept path; restore refills the emptied original, so names and contents are T's again.
TEST(Restore, RepeatedLinkedLayers) {
  for (const bool hardlinks : {false, true}) {
    TempDir dir;
    Scenario setup;
    setup.target = {{{"one:1"}, {layer("os"), layer("shared")}},
                    {{"two:1"}, {layer("other"), layer("shared")}},
                    {{"three:1"}, {layer("os"), layer("shared"), layer("top")}}};
    setup.target_options.use_hardlinks = hardlinks;
    setup.bases = {{{{"base:1"}, {layer("os"), layer("shared")}}}};
    setup.slim_layout = LayoutMode::keep;
    setup.restore_layout = LayoutMode::keep;
    const auto outcome = slim_and_restore(dir, setup);
    expect_round_trip(outcome);
    expect_same_entries(outcome);
    // Linked as in T, not stored twice.
    EXPECT_EQ(stored_files(outcome.restored), stored_files(outcome.target));

    TempDir auto_dir;
    setup.restore_layout = LayoutMode::automatic;
    expect_round_trip(slim_and_restore(auto_dir, setup));
  }
}

TEST(Restore, ABaseThatLacksALayerIsAnErrorAndWritesNothing) {
  TempDir dir;
  write_fixture_file(dir / "target.tar", {{{"app:1"}, {layer("os"), layer("lib"), layer("app")}}});
  write_fixture_file(dir / "base.tar", {{{"base:1"}, {layer("os"), layer("lib")}}});
  write_fixture_file(dir / "small.tar", {{{"small:1"}, {layer("os")}}});
  commands::SlimOptions slim;
  slim.targets = commands::parse_sources({(dir / "target.tar").string()});
  slim.bases = commands::parse_sources({(dir / "base.tar").string()});
  slim.output = (dir / "slim.tar").string();
  slim.quiet = true;
  ASSERT_EQ(commands::run_slim(slim), 0);

  commands::RestoreOptions restore;
  restore.slim = commands::Source(slim.output);
  restore.bases = commands::parse_sources({(dir / "small.tar").string()});
  restore.output = (dir / "restored.tar").string();
  try {
    commands::run_restore(restore);
    FAIL() << "restore succeeded without the layer";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(diff_id_of(layer("lib"))), std::string::npos) << message;
    EXPECT_NE(message.find("app:1"), std::string::npos) << message;
  }
  EXPECT_FALSE(fs::exists(dir / "restored.tar"));
  EXPECT_EQ(temporary_files(dir.path()), std::vector<std::string>{});
}

TEST(Restore, OutputThatIsAnInputIsRefused) {
  TempDir dir;
  write_fixture_file(dir / "base.tar", {{{"base:1"}, {layer("os")}}});
  commands::RestoreOptions restore;
  restore.slim = commands::Source((dir / "base.tar").string());
  restore.bases = commands::parse_sources({(dir / "base.tar").string()});
  restore.output = (dir / "base.tar").string();
  EXPECT_THROW(commands::run_restore(restore), Error);
}

TEST(Restore, ThroughTheBinary) {
  TempDir dir;
  write_fixture_file(dir / "target.tar", {{{"app:1"}, {layer("os"), layer("app")}}}, with_layout(FixtureLayout::oci));
  write_fixture_file(dir / "base.tar", {{{"base:1"}, {layer("os")}}}, with_layout(FixtureLayout::oci));
  write_fixture_file(dir / "other.tar", {{{"other:1"}, {layer("other")}}}, with_layout(FixtureLayout::oci));
  const RunOptions in_dir{.cwd = dir.path()};  // the default timeout of 60 s
  const auto slim = run_program(DOCKERDIFF_BIN, {"slim", "target.tar", "-b", "base.tar", "-o", "slim.tar", "-q"}, in_dir);
  ASSERT_EQ(slim.status, 0) << slim.err;
  const auto restore = run_program(DOCKERDIFF_BIN, {"restore", "slim.tar", "-b", "base.tar", "-o", "restored.tar.gz", "--compress", "gzip"}, in_dir);
  ASSERT_EQ(restore.status, 0) << restore.err;
  expect_round_trip({read_file(dir / "target.tar"), read_file(dir / "slim.tar"), read_file(dir / "restored.tar.gz")});

  const auto to_stdout = run_program(DOCKERDIFF_BIN, {"restore", "slim.tar", "-b", "base.tar", "-o", "-"}, in_dir);
  ASSERT_EQ(to_stdout.status, 0) << to_stdout.err;
  expect_round_trip({read_file(dir / "target.tar"), read_file(dir / "slim.tar"), to_stdout.out});

  const auto missing = run_program(DOCKERDIFF_BIN, {"restore", "slim.tar", "-b", "other.tar", "-o", "bad.tar"}, in_dir);
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.err.find(diff_id_of(layer("os"))), std::string::npos) << missing.err;
  EXPECT_NE(missing.err.find("app:1"), std::string::npos) << missing.err;
  EXPECT_FALSE(fs::exists(dir / "bad.tar"));
}

// A slim archive slimmed again, in every layout and layout mode: its emptied layers keep their true
// sizes (a Docker 25+ descriptor of a legacy slim archive's emptied layer gets it from the record),
// so the twice-slimmed archive restores to one that verify calls sound. A layer dropped before that
// the new base lacks stays dropped and required.
class Reslim : public ::testing::TestWithParam<FixtureLayout> {};

TEST_P(Reslim, ASlimArchiveSlimmedAgainRestoresSound) {
  TempDir dir;
  const auto layout = with_layout(GetParam());
  write_fixture_file(dir / "target.tar", {{{"app:1"}, {layer("os"), layer("lib"), layer("app")}}}, layout);
  write_fixture_file(dir / "base.tar", {{{"base:1"}, {layer("os")}}}, layout);
  write_fixture_file(dir / "base2.tar", {{{"base:2"}, {layer("os"), layer("lib")}}}, layout);
  write_fixture_file(dir / "other.tar", {{{"other:1"}, {layer("other")}}}, layout);
  write_file(dir / "other.json", json{{"chain_ids", {diff_id_of(layer("other"))}}}.dump());  // a host with other.tar only
  const RunOptions in_dir{.cwd = dir.path()};
  const auto run = [&](const std::vector<std::string>& args) {
    const auto result = run_program(DOCKERDIFF_BIN, args, in_dir);
    EXPECT_EQ(result.status, 0) << command_line(args) << "\n" << result.out << result.err;
    return result.status == 0;
  };
  const auto record_of = [&](const std::string& archive) { return json::parse(read_tar(read_file(dir / archive)).at("dockerdiff.json").content); };
  for (const std::string first : {"keep", "auto"}) {
    for (const std::string second : {"keep", "auto"}) {
      SCOPED_TRACE("--layout " + first + ", then --layout " + second);
      ASSERT_TRUE(run({"slim", "target.tar", "-b", "base.tar", "-o", "s1.tar", "--layout", first, "-q"}));
      ASSERT_TRUE(run({"slim", "s1.tar", "-b", "base2.tar", "-o", "s2.tar", "--layout", second, "-q", "--report", "report.json"}));
      EXPECT_EQ(empty_layers(read_file(dir / "s2.tar")), 2U);
      const auto required = record_of("s2.tar").at("images")[0].at("required");
      ASSERT_EQ(required.size(), 2U);
      for (const auto& layer : required) EXPECT_GT(layer.value("size", 0U), 0U) << layer;
      EXPECT_TRUE(run({"verify", "s2.tar", "-b", "base2.tar"}));
      ASSERT_TRUE(run({"restore", "s2.tar", "-b", "base2.tar", "-o", "restored.tar"}));
      EXPECT_TRUE(run({"verify", "restored.tar"}));
      expect_round_trip({read_file(dir / "target.tar"), read_file(dir / "s2.tar"), read_file(dir / "restored.tar")});

      // Slimmed against a base that lacks the layer dropped before: it stays dropped, still required
      // from the base that first provided it.
      ASSERT_TRUE(run({"slim", "s1.tar", "-b", "other.tar", "-o", "s3.tar", "--layout", second, "-q"}));
      EXPECT_EQ(empty_layers(read_file(dir / "s3.tar")), 1U);
      const auto still = record_of("s3.tar").at("images")[0].at("required");
      ASSERT_EQ(still.size(), 1U);
      EXPECT_EQ(still[0].at("diff_id"), diff_id_of(layer("os")));
      EXPECT_EQ(still[0].at("provided_by"), "base.tar");
      const auto check = run_program(DOCKERDIFF_BIN, {"check", "s3.tar", "--inventory", "other.json"}, in_dir);
      EXPECT_EQ(check.status, 1) << check.out << check.err;  // other.tar does not have it
      ASSERT_TRUE(run({"restore", "s3.tar", "-b", "base.tar", "-o", "restored3.tar"}));
      EXPECT_TRUE(run({"verify", "restored3.tar"}));
      expect_round_trip({read_file(dir / "target.tar"), read_file(dir / "s3.tar"), read_file(dir / "restored3.tar")});
      for (const char* name : {"s1.tar", "s2.tar", "s3.tar", "restored.tar", "restored3.tar", "report.json"}) fs::remove(dir / name);
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Layouts, Reslim, ::testing::Values(FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci),
                         [](const auto& param_info) {
                           return param_info.param == FixtureLayout::legacy ? "legacy" : param_info.param == FixtureLayout::docker25 ? "docker25" : "oci";
                         });

// ---------------------------------------------------------------------------------------------
// Forms: a layer (one diff_id) stored as the uncompressed tar or as gzip / zstd blobs.

using plan::RefillMethod;
using Kind = plan::PlannedEntry::Kind;

// Slims `target` against `base` (files in `dir`) into dir/slim.tar.
void slim_file(const TempDir& dir, const std::string& target, const std::string& base, LayoutMode layout = LayoutMode::automatic) {
  commands::SlimOptions slim;
  slim.targets = commands::parse_sources({(dir / target).string()});
  slim.bases = commands::parse_sources({(dir / base).string()});
  slim.output = (dir / "slim.tar").string();
  slim.layout = layout;
  slim.quiet = true;
  ASSERT_EQ(commands::run_slim(slim), 0);
}

// The restore plan of dir/slim.tar from these bases (files in `dir`), and the archive it writes.
struct PlannedRestore {
  plan::RestorePlan plan;
  std::string written;
};

PlannedRestore plan_and_write(const TempDir& dir, const std::vector<std::string>& bases, LayoutMode mode,
                              const std::optional<std::set<std::string>>& selection = std::nullopt) {
  auto slim = commands::open_archive(commands::Source((dir / "slim.tar").string()));
  std::vector<commands::OpenedArchive> opened;
  std::vector<std::string> names;
  for (const auto& base : bases) {
    names.push_back((dir / base).string());
    opened.push_back(commands::open_archive(commands::Source(names.back())));
  }
  PlannedRestore out{commands::plan_restore_of(slim, "slim.tar", opened, names, mode, selection), {}};
  std::vector<archive::ArchiveInput*> sources{slim.input.get()};
  for (auto& base : opened) sources.push_back(base.input.get());
  archive::MemorySink sink;
  commands::write_plan(out.plan.plan, sources, sink);
  out.written = sink.bytes();
  return out;
}

std::size_t count_kind(const plan::RestorePlan& restore, Kind kind) {
  return static_cast<std::size_t>(std::count_if(restore.plan.entries.begin(), restore.plan.entries.end(),
                                                [&](const plan::PlannedEntry& e) { return e.kind == kind; }));
}

FixtureImage app_image() { return {{"app:1"}, {layer("os"), layer("lib"), layer("app")}}; }
FixtureImage base_image() { return {{"base:1"}, {layer("os"), layer("lib")}}; }

// dir/target.tar: app:1 as gzip OCI blobs; dir/packed.tar: its base the same way; dir/plain.tar: that
// base in the legacy layout (uncompressed layer tars).
void write_gzip_target_and_bases(const TempDir& dir) {
  const auto gzip = with_layout(FixtureLayout::oci, Compression::gzip);
  write_fixture_file(dir / "target.tar", {app_image()}, gzip);
  write_fixture_file(dir / "packed.tar", {base_image()}, gzip);
  write_fixture_file(dir / "plain.tar", {base_image()});
}

TEST(RestoreForms, UncompressedLayerDecompressedFromAGzipOrZstdBase) {
  for (const auto compression : {Compression::gzip, Compression::zstd}) {
    TempDir dir;
    write_fixture_file(dir / "target.tar", {app_image()}, with_layout(FixtureLayout::docker25));
    write_fixture_file(dir / "plain.tar", {base_image()}, with_layout(FixtureLayout::docker25));
    write_fixture_file(dir / "packed.tar", {base_image()}, with_layout(FixtureLayout::oci, compression));
    slim_file(dir, "target.tar", "plain.tar");
    const auto restored = plan_and_write(dir, {"packed.tar"}, LayoutMode::keep);
    ASSERT_EQ(restored.plan.refilled.size(), 2u);
    for (const auto& layer : restored.plan.refilled) EXPECT_EQ(layer.method, RefillMethod::decompressed);
    EXPECT_EQ(count_kind(restored.plan, Kind::decompressed_copy), 2u);
    const Outcome outcome{read_file(dir / "target.tar"), read_file(dir / "slim.tar"), restored.written};
    expect_round_trip(outcome);
    expect_same_entries(outcome);  // the same blob names: the descriptors are the original's
  }
}

TEST(RestoreForms, LegacyLayerDecompressedAfterAPrePassThatMeasuresIt) {
  TempDir dir;
  write_fixture_file(dir / "target.tar", {app_image()});
  write_fixture_file(dir / "plain.tar", {base_image()});
  write_fixture_file(dir / "packed.tar", {base_image()}, with_layout(FixtureLayout::oci, Compression::zstd));
  slim_file(dir, "target.tar", "plain.tar", LayoutMode::keep);
  for (const auto mode : {LayoutMode::keep, LayoutMode::automatic}) {
    const auto restored = plan_and_write(dir, {"packed.tar"}, mode);
    EXPECT_EQ(count_kind(restored.plan, Kind::decompressed_copy), 2u);
    const Outcome outcome{read_file(dir / "target.tar"), read_file(dir / "slim.tar"), restored.written};
    expect_round_trip(outcome);
    if (mode == LayoutMode::keep) expect_same_entries(outcome);
  }
}

TEST(RestoreForms, TheExactBlobIsPreferredToAnotherForm) {
  TempDir dir;
  write_gzip_target_and_bases(dir);
  write_fixture_file(dir / "zstd.tar", {base_image()}, with_layout(FixtureLayout::oci, Compression::zstd));
  slim_file(dir, "target.tar", "packed.tar");
  const auto restored = plan_and_write(dir, {"plain.tar", "zstd.tar", "packed.tar"}, LayoutMode::keep);
  ASSERT_EQ(restored.plan.refilled.size(), 2u);
  for (const auto& layer : restored.plan.refilled) {
    EXPECT_EQ(layer.method, RefillMethod::copied);
    EXPECT_EQ(layer.base, (dir / "packed.tar").string());
  }
  EXPECT_TRUE(restored.plan.plan.renamed_blobs.empty());
  const Outcome outcome{read_file(dir / "target.tar"), read_file(dir / "slim.tar"), restored.written};
  expect_round_trip(outcome);
  expect_same_entries(outcome, {"manifest.json"});  // slim gave the OCI archive a manifest.json

  // The uncompressed tar named: a copy of a plain base beats decompressing.
  TempDir plain_dir;
  write_fixture_file(plain_dir / "target.tar", {app_image()}, with_layout(FixtureLayout::oci));
  write_fixture_file(plain_dir / "plain.tar", {base_image()});
  write_fixture_file(plain_dir / "packed.tar", {base_image()}, with_layout(FixtureLayout::oci, Compression::gzip));
  slim_file(plain_dir, "target.tar", "plain.tar");
  const auto copied = plan_and_write(plain_dir, {"packed.tar", "plain.tar"}, LayoutMode::keep);
  for (const auto& layer : copied.plan.refilled) EXPECT_EQ(layer.method, RefillMethod::copied);
  EXPECT_EQ(count_kind(copied.plan, Kind::decompressed_copy), 0u);
}

// The slim archive names gzip blobs; the base holds the layers uncompressed (or as zstd): those are
// written, and the manifests name them.
TEST(RestoreForms, AnotherFormIsWrittenAndTheDescriptorsRewritten) {
  for (const auto base_options : {FixtureOptions{}, with_layout(FixtureLayout::oci, Compression::zstd)}) {
    TempDir dir;
    write_gzip_target_and_bases(dir);
    write_fixture_file(dir / "other.tar", {base_image()}, base_options);
    slim_file(dir, "target.tar", "packed.tar");
    const auto restored = plan_and_write(dir, {"other.tar"}, LayoutMode::keep);
    ASSERT_EQ(restored.plan.refilled.size(), 2u);
    for (const auto& layer : restored.plan.refilled) {
      EXPECT_EQ(layer.method, RefillMethod::other_form);
      EXPECT_FALSE(layer.blob_digest.empty());
    }
    EXPECT_EQ(restored.plan.plan.renamed_blobs.size(), 2u);

    const auto target = read_tar(read_file(dir / "target.tar"));
    const auto output = read_tar(restored.written);
    const auto want = list_archive_images(target);
    const auto got = list_archive_images(output);
    ASSERT_EQ(want.size(), 1u);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(config_digest(output, got[0]), config_digest(target, want[0]));
    EXPECT_NE(got[0].manifest_digest, want[0].manifest_digest);
    EXPECT_EQ(got[0].diff_ids, want[0].diff_ids);
    ASSERT_EQ(got[0].layer_paths.size(), 3u);
    for (std::size_t l = 0; l < 3; ++l) {
      EXPECT_EQ(decompress(resolved_content(output, got[0].layer_paths[l])), decompress(resolved_content(target, want[0].layer_paths[l])));
    }
    EXPECT_EQ(got[0].layer_paths[2], want[0].layer_paths[2]);  // the kept layer is the original blob
    EXPECT_NE(got[0].layer_digests[0], want[0].layer_digests[0]);
    std::size_t checked = 0;
    EXPECT_EQ(check_layers_read_back(restored.written, &checked), std::vector<std::string>{});
    EXPECT_EQ(checked, 3u);
  }
}

TEST(RestoreForms, OnlySelectedLayersAreRefilled) {
  TempDir dir;
  const auto oci = with_layout(FixtureLayout::oci);
  write_fixture_file(dir / "target.tar", {app_image()}, oci);
  write_fixture_file(dir / "base.tar", {base_image()}, oci);
  write_fixture_file(dir / "os.tar", {{{"os:1"}, {layer("os")}}}, with_layout(FixtureLayout::oci, Compression::gzip));
  slim_file(dir, "target.tar", "base.tar");
  const auto chains = chain_ids_of({layer("os"), layer("lib"), layer("app")});

  // os.tar lacks lib: not selected, it stays empty, and that is no error.
  const auto restored = plan_and_write(dir, {"os.tar"}, LayoutMode::keep, std::set<std::string>{chains[0]});
  ASSERT_EQ(restored.plan.refilled.size(), 1u);
  EXPECT_EQ(restored.plan.refilled[0].chain_id, chains[0]);
  EXPECT_EQ(restored.plan.refilled[0].method, RefillMethod::decompressed);
  const auto output = read_tar(restored.written);
  const auto images = list_archive_images(output);
  ASSERT_EQ(images.size(), 1u);
  EXPECT_EQ(decompress(resolved_content(output, images[0].layer_paths[0])), layer("os"));
  EXPECT_TRUE(resolved_content(output, images[0].layer_paths[1]).empty());
  EXPECT_FALSE(resolved_content(output, images[0].layer_paths[2]).empty());

  // Nothing selected: the slim archive as it is, without its record.
  const auto none = plan_and_write(dir, {"os.tar"}, LayoutMode::keep, std::set<std::string>{});
  EXPECT_TRUE(none.plan.refilled.empty());
  EXPECT_EQ(empty_layers(none.written), 2u);

  // A selected layer that no base holds is still an error naming the layer and the image.
  try {
    plan_and_write(dir, {"os.tar"}, LayoutMode::keep, std::set<std::string>{chains[1]});
    FAIL() << "restore succeeded without the layer";
  } catch (const Error& error) {
    const std::string message = error.what();
    EXPECT_NE(message.find(diff_id_of(layer("lib"))), std::string::npos) << message;
    EXPECT_NE(message.find("app:1"), std::string::npos) << message;
  }
}

TEST(RestoreForms, ThroughTheBinaryFromAGzipBase) {
  TempDir dir;
  const auto oci = with_layout(FixtureLayout::oci);
  write_fixture_file(dir / "target.tar", {app_image()}, oci);
  write_fixture_file(dir / "base.tar", {base_image()}, oci);
  write_fixture_file(dir / "packed.tar", {base_image()}, with_layout(FixtureLayout::oci, Compression::gzip));
  const RunOptions in_dir{.cwd = dir.path()};
  const auto slim = run_program(DOCKERDIFF_BIN, {"slim", "target.tar", "-b", "base.tar", "-o", "slim.tar", "-q"}, in_dir);
  ASSERT_EQ(slim.status, 0) << slim.err;
  const auto restore =
      run_program(DOCKERDIFF_BIN, {"restore", "slim.tar", "-b", "packed.tar", "-o", "restored.tar", "--layout", "keep"}, in_dir);
  ASSERT_EQ(restore.status, 0) << restore.err;
  EXPECT_NE(restore.err.find("decompressed from"), std::string::npos) << restore.err;
  const auto verify = run_program(DOCKERDIFF_BIN, {"verify", "restored.tar"}, in_dir);
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  EXPECT_NE((verify.out + verify.err).find(": sound ("), std::string::npos) << verify.out << verify.err;
  // The same layer blobs (their paths name their digests), byte for byte.
  const auto target = read_tar(read_file(dir / "target.tar"));
  const auto restored = read_tar(read_file(dir / "restored.tar"));
  const auto want = list_archive_images(target);
  const auto got = list_archive_images(restored);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].layer_paths, want[0].layer_paths);
  expect_round_trip({read_file(dir / "target.tar"), read_file(dir / "slim.tar"), read_file(dir / "restored.tar")});
}

TEST(RestoreForms, ThroughTheBinaryAsAnotherForm) {
  TempDir dir;
  write_gzip_target_and_bases(dir);
  const RunOptions in_dir{.cwd = dir.path()};
  const auto slim = run_program(DOCKERDIFF_BIN, {"slim", "target.tar", "-b", "packed.tar", "-o", "slim.tar", "-q"}, in_dir);
  ASSERT_EQ(slim.status, 0) << slim.err;
  const auto restore = run_program(DOCKERDIFF_BIN, {"restore", "slim.tar", "-b", "plain.tar", "-o", "restored.tar"}, in_dir);
  ASSERT_EQ(restore.status, 0) << restore.err;
  EXPECT_NE(restore.err.find("2 layers refilled"), std::string::npos) << restore.err;
  EXPECT_NE(restore.err.find("descriptor rewritten"), std::string::npos) << restore.err;
  EXPECT_NE(restore.err.find(diff_id_of(layer("os"))), std::string::npos) << restore.err;
  const auto verify = run_program(DOCKERDIFF_BIN, {"verify", "restored.tar"}, in_dir);
  EXPECT_EQ(verify.status, 0) << verify.out << verify.err;
  EXPECT_NE((verify.out + verify.err).find(": sound ("), std::string::npos) << verify.out << verify.err;
}

// ---------------------------------------------------------------------------------------------
// Property: random images and bases, every layout; restore(slim(T, B), B) gives back T's layers.

constexpr std::uint32_t kSeed = 0x7e57043;
constexpr int kIterations = 200;

TEST(RestoreProperty, RoundTripOnRandomImagesAndBases) {
  const char* seed_text = std::getenv("DOCKERDIFF_PROPERTY_SEED");
  const char* iterations_text = std::getenv("DOCKERDIFF_PROPERTY_ITERATIONS");
  const auto seed = seed_text != nullptr ? static_cast<std::uint32_t>(std::stoul(seed_text)) : kSeed;
  const int iterations = iterations_text != nullptr ? std::stoi(iterations_text) : kIterations;
  std::mt19937 engine(seed);
  const auto between = [&](std::size_t low, std::size_t high) { return std::uniform_int_distribution<std::size_t>(low, high)(engine); };
  const auto chance = [&](double p) { return std::bernoulli_distribution(p)(engine); };

  std::vector<std::string> pool;
  for (int i = 0; i < 8; ++i) pool.push_back(layer("p" + std::to_string(i), 5 + static_cast<std::size_t>(i) * 3));
  const std::vector<FixtureLayout> layouts{FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci};

  std::size_t refilled = 0;
  for (int iteration = 0; iteration < iterations; ++iteration) {
    std::ostringstream trace;
    trace << "seed " << seed << " iteration " << iteration;
    SCOPED_TRACE(trace.str());

    Scenario setup;
    const auto target_layout = layouts[between(0, 2)];
    const auto layer_compression = target_layout == FixtureLayout::oci && chance(0.5) ? Compression::gzip : Compression::none;
    setup.target_options = with_layout(target_layout, layer_compression);
    setup.target_options.use_hardlinks = chance(0.3);
    setup.target_options.archive_compression = chance(0.2) ? Compression::gzip : Compression::none;
    const auto images = between(1, 3);
    for (std::size_t i = 0; i < images; ++i) {
      FixtureImage image{{"img" + std::to_string(i) + ":" + std::to_string(iteration)}, {}};
      const auto depth = between(1, 4);
      for (std::size_t l = 0; l < depth; ++l) image.layers.push_back(pool[between(0, pool.size() - 1)]);
      setup.target.push_back(std::move(image));
    }
    // Bases: prefixes of target images (so something is dropped) and random stacks.
    const auto base_count = between(1, 2);
    for (std::size_t b = 0; b < base_count; ++b) {
      std::vector<FixtureImage> base;
      const auto& from = setup.target[between(0, setup.target.size() - 1)];
      FixtureImage prefix{{"base" + std::to_string(b) + ":p"}, {}};
      prefix.layers.assign(from.layers.begin(), from.layers.begin() + static_cast<std::ptrdiff_t>(between(1, from.layers.size())));
      base.push_back(std::move(prefix));
      if (chance(0.5)) {
        FixtureImage random_image{{"base" + std::to_string(b) + ":r"}, {}};
        const auto depth = between(1, 3);
        for (std::size_t l = 0; l < depth; ++l) random_image.layers.push_back(pool[between(0, pool.size() - 1)]);
        base.push_back(std::move(random_image));
      }
      setup.bases.push_back(std::move(base));
      // A gzip OCI target needs its gzip blobs back: its bases are stored that way too.
      auto options = layer_compression == Compression::gzip ? with_layout(FixtureLayout::oci, Compression::gzip)
                                                             : with_layout(layouts[between(0, 2)]);
      options.archive_compression = chance(0.2) ? Compression::zstd : Compression::none;
      setup.base_options.push_back(options);
    }
    setup.base_as_directory = setup.base_options[0].layout != FixtureLayout::legacy && chance(0.3);
    setup.slim_layout = chance(0.5) ? LayoutMode::keep : LayoutMode::automatic;
    setup.restore_layout = chance(0.5) ? LayoutMode::keep : LayoutMode::automatic;

    TempDir dir;
    const auto outcome = slim_and_restore(dir, setup);
    refilled += empty_layers(outcome.slim);
    expect_round_trip(outcome);
    const bool keeps_names = target_layout != FixtureLayout::legacy ||
                             (setup.slim_layout == LayoutMode::keep && setup.restore_layout == LayoutMode::keep);
    const bool manifest_added = target_layout == FixtureLayout::oci &&
                                (setup.slim_layout == LayoutMode::automatic || setup.restore_layout == LayoutMode::automatic);
    if (keeps_names) expect_same_entries(outcome, manifest_added ? std::set<std::string>{"manifest.json"} : std::set<std::string>{});
    if (::testing::Test::HasFailure()) break;
  }
  std::cout << "[ property ] seed " << seed << ": " << iterations << " iterations, " << refilled << " empty layers refilled\n";
  EXPECT_GT(refilled, 0u);
}

}  // namespace
}  // namespace dockerdiff::testing
