// End to end through run_slim (and the real binary where the shell is part of the feature): every
// layout and compression in, every output form out, and the content of what comes out checked entry
// by entry with the fixture's independent reader.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "dockerdiff/commands/slim.hpp"
#include "dockerdiff/util/digest.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace dockerdiff::testing {
namespace {

namespace fs = std::filesystem;
using archive::Compression;
using archive::EntryType;
using commands::SlimOptions;
using nlohmann::json;
using plan::LayoutMode;

// ---------------------------------------------------------------------------------------------
// Helpers

// A small layer of `lines` lines of pseudo-random text seeded by its name: recognisable, sizes
// differ, and it barely compresses (so gzip layer blobs are not trivially small).
std::string layer(const std::string& name, std::size_t lines = 50) {
  std::uint64_t state = 1469598103934665603ULL;  // FNV-1a of the name
  for (const char c : name) state = (state ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  static constexpr char kAlphabet[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789+/";
  std::string data;
  for (std::size_t i = 0; i < lines; ++i) {
    data += name + " ";
    for (int c = 0; c < 40; ++c) {
      state = state * 6364136223846793005ULL + 1442695040888963407ULL;
      data += kAlphabet[(state >> 58) & 63];
    }
    data += "\n";
  }
  return make_layer_tar({{name + "/data.txt", data}, {name + "/id", name}});
}

std::vector<std::string> diff_ids(const std::vector<std::string>& layers) {
  std::vector<std::string> out;
  for (const auto& l : layers) out.push_back(diff_id_of(l));
  return out;
}

constexpr int kTimeoutSeconds = 120;

// The executable with `args`, through the suite's one runner (support/process.hpp), in `cwd`, a
// directory of its own.
RunResult run_dockerdiff(const TempDir& cwd, const std::vector<std::string>& args, RunOptions options = {}) {
  options.cwd = cwd.path();
  options.timeout_seconds = kTimeoutSeconds;
  return run_program(DOCKERDIFF_BIN, args, options);
}

struct Outcome {
  std::string path;
  std::string bytes;
  ArchiveContents contents;
  std::vector<ArchiveImage> images;
  json report;
};

struct SlimArgs {
  std::vector<std::string> targets;
  std::vector<std::string> bases;
  LayoutMode layout = LayoutMode::automatic;
  Compression compression = Compression::none;
  std::string output_name = "out.tar";
};

Outcome run_slim_into(const TempDir& dir, const SlimArgs& args) {
  SlimOptions options;
  options.targets = commands::parse_sources(args.targets);
  options.bases = commands::parse_sources(args.bases);
  options.output = dir / args.output_name;
  options.layout = args.layout;
  options.compression = args.compression;
  options.report_path = dir / (args.output_name + ".report.json");
  options.quiet = true;
  Outcome outcome;
  outcome.path = options.output;
  EXPECT_EQ(commands::run_slim(options), 0);
  outcome.bytes = read_file(outcome.path);
  outcome.contents = read_tar(outcome.bytes);
  outcome.images = list_archive_images(outcome.contents);
  outcome.report = json::parse(read_file(options.report_path));
  return outcome;
}

// The path exists as a zero-length regular file: a dropped layer.
void expect_empty_entry(const ArchiveContents& contents, const std::string& path) {
  const auto it = contents.find(path);
  ASSERT_NE(it, contents.end()) << path << " is missing";
  EXPECT_EQ(it->second.type, EntryType::regular) << path;
  EXPECT_TRUE(it->second.content.empty()) << path << " holds " << it->second.content.size() << " bytes";
}

// The path reads back (links followed, decompressed) as the layer with this diff_id.
void expect_whole_layer(const ArchiveContents& contents, const std::string& path, const std::string& diff_id) {
  ASSERT_TRUE(contents.contains(path)) << path << " is missing";
  std::string data;
  ASSERT_NO_THROW(data = resolved_content(contents, path)) << path;
  ASSERT_FALSE(data.empty()) << path << " is empty";
  EXPECT_EQ(diff_id_of(decompress(data)), diff_id) << path;
}

void expect_reads_back(const std::string& bytes, std::size_t expected_checked) {
  std::size_t checked = 0;
  const auto failures = check_layers_read_back(bytes, &checked);
  EXPECT_TRUE(failures.empty()) << ::testing::PrintToString(failures);
  EXPECT_EQ(checked, expected_checked);
}

// Every hard link follows its target in the stream and every symlink resolves inside the archive.
void expect_links_valid(const std::string& bytes) {
  const auto order = entry_order(bytes);
  const auto contents = read_tar(bytes);
  std::set<std::string> seen;
  for (const auto& path : order) {
    const auto& entry = contents.at(path);
    if (entry.type == EntryType::hardlink) {
      EXPECT_TRUE(seen.contains(entry.link_target)) << path << " -> " << entry.link_target;
    }
    if (entry.type == EntryType::symlink) {
      EXPECT_NO_THROW(resolved_content(contents, path)) << path;
    }
    seen.insert(path);
  }
}

// Every blob that has content is named by its digest.
void expect_blobs_content_addressed(const ArchiveContents& contents) {
  std::size_t blobs = 0;
  for (const auto& [path, entry] : contents) {
    if (!path.starts_with("blobs/sha256/") || entry.type != EntryType::regular || entry.content.empty()) continue;
    ++blobs;
    EXPECT_EQ(dockerdiff::sha256_digest(entry.content), "sha256:" + path.substr(13)) << path;
  }
  EXPECT_GT(blobs, 0U);
}

void expect_docker25_layout(const ArchiveContents& contents) {
  for (const char* path : {"index.json", "oci-layout", "manifest.json", "blobs", "blobs/sha256", "dockerdiff.json"}) {
    EXPECT_TRUE(contents.contains(path)) << path;
  }
  for (const auto& [path, entry] : contents) {
    const bool known = path == "blobs" || path == "blobs/sha256" || path.starts_with("blobs/sha256/") || path == "index.json" ||
                       path == "manifest.json" || path == "oci-layout" || path == "repositories" || path == "dockerdiff.json";
    EXPECT_TRUE(known) << "unexpected entry " << path;
  }
  expect_blobs_content_addressed(contents);
}

std::vector<bool> dropped_flags(const json& report_image) {
  std::vector<bool> out;
  for (const auto& l : report_image.at("layers")) out.push_back(l.at("dropped").get<bool>());
  return out;
}

const json& report_image(const json& report, const std::string& tag) {
  for (const auto& image : report.at("images")) {
    for (const auto& t : image.at("tags")) {
      if (t == tag) return image;
    }
  }
  throw std::runtime_error("no image tagged " + tag + " in the report");
}

const ArchiveImage& output_image(const std::vector<ArchiveImage>& images, const std::string& tag) {
  for (const auto& image : images) {
    if (std::find(image.tags.begin(), image.tags.end(), tag) != image.tags.end()) return image;
  }
  throw std::runtime_error("no image tagged " + tag + " in the output");
}

// Base B = [l0, l1]; app A = [l0, l1, app].
struct BaseAndApp {
  std::string l0 = layer("base-os", 80);
  std::string l1 = layer("base-runtime", 60);
  std::string app = layer("application", 40);
  FixtureImage base{{"example.com/base:1.0"}, {l0, l1}};
  FixtureImage application{{"example.com/app:2.0"}, {l0, l1, app}};
};

struct LayoutCase {
  std::string name;
  FixtureOptions options;
};

void PrintTo(const LayoutCase& layout_case, std::ostream* out) { *out << layout_case.name; }

std::vector<LayoutCase> layout_cases() {
  return {
      {"legacy", {.layout = FixtureLayout::legacy}},
      {"docker25", {.layout = FixtureLayout::docker25}},
      {"oci", {.layout = FixtureLayout::oci}},
      {"oci_gzip_layers", {.layout = FixtureLayout::oci, .layer_compression = Compression::gzip}},
      {"oci_zstd_layers", {.layout = FixtureLayout::oci, .layer_compression = Compression::zstd}},
      {"oci_nested_index", {.layout = FixtureLayout::oci, .nested_index = true}},
  };
}

// ---------------------------------------------------------------------------------------------
// Every layout x --layout auto / keep

class SlimEveryLayout : public ::testing::TestWithParam<std::tuple<LayoutCase, LayoutMode>> {};

TEST_P(SlimEveryLayout, DropsBaseLayersAndKeepsTheApp) {
  const auto& [layout_case, mode] = GetParam();
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base}, layout_case.options);
  write_fixture_file(dir / "app.tar", {fx.application}, layout_case.options);
  const auto input_bytes = read_file(dir / "app.tar");

  const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = mode});

  // The report: the base's two layers dropped, provided by the base as named; the app layer kept.
  const auto& image = report_image(out.report, "example.com/app:2.0");
  EXPECT_EQ(dropped_flags(image), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(image.at("layers")[0].at("provided_by"), (dir / "base.tar").string());
  EXPECT_EQ(image.at("layers")[1].at("provided_by"), (dir / "base.tar").string());
  EXPECT_TRUE(image.at("layers")[2].at("provided_by").is_null());
  const auto chains = chain_ids_of(fx.application.layers);
  for (std::size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(image.at("layers")[i].at("diff_id"), diff_id_of(fx.application.layers[i]));
    EXPECT_EQ(image.at("layers")[i].at("chain_id"), chains[i]);
  }

  // The output: the same image, dropped layers present as zero-length entries, the app layer whole.
  ASSERT_EQ(out.images.size(), 1U);
  const auto& listed = out.images[0];
  EXPECT_EQ(listed.tags, fx.application.tags);
  EXPECT_EQ(listed.diff_ids, diff_ids(fx.application.layers));
  ASSERT_EQ(listed.layer_paths.size(), 3U);
  expect_empty_entry(out.contents, listed.layer_paths[0]);
  expect_empty_entry(out.contents, listed.layer_paths[1]);
  expect_whole_layer(out.contents, listed.layer_paths[2], diff_id_of(fx.app));
  expect_reads_back(out.bytes, 1);
  expect_links_valid(out.bytes);
  EXPECT_LT(out.bytes.size(), input_bytes.size());

  const bool legacy_in = layout_case.options.layout == FixtureLayout::legacy;
  if (legacy_in && mode == LayoutMode::automatic) {
    EXPECT_EQ(out.report.at("outputs")[0].at("layout"), "docker25");
    expect_docker25_layout(out.contents);
    // Blobs of dropped layers are named by their diff_id, as containerd looks them up.
    EXPECT_EQ(listed.layer_paths[0], "blobs/sha256/" + std::string(dockerdiff::digest_hex(diff_id_of(fx.l0))));
    const auto index = json::parse(out.contents.at("index.json").content);
    ASSERT_EQ(index.at("manifests").size(), 1U);
    EXPECT_EQ(index.at("manifests")[0].at("annotations").at("io.containerd.image.name"), "example.com/app:2.0");
    EXPECT_EQ(index.at("manifests")[0].at("annotations").at("org.opencontainers.image.ref.name"), "2.0");
  } else {
    // The input's own entries in the same order, plus the slim record; with --layout auto, a pure
    // OCI input also gets the manifest.json of the Docker 25+ layout (docker's classic store needs it).
    const bool oci_in = layout_case.options.layout == FixtureLayout::oci;
    const bool manifest_added = oci_in && mode == LayoutMode::automatic;
    auto expected = entry_order(input_bytes);
    if (manifest_added) expected.emplace_back("manifest.json");
    expected.emplace_back("dockerdiff.json");
    EXPECT_EQ(entry_order(out.bytes), expected);
    const std::string layout_name =
        legacy_in ? "legacy" : layout_case.options.layout == FixtureLayout::docker25 || manifest_added ? "docker25" : "oci";
    EXPECT_EQ(out.report.at("outputs")[0].at("layout"), layout_name);
    if (manifest_added) {
      const auto manifest = json::parse(out.contents.at("manifest.json").content);
      ASSERT_EQ(manifest.size(), 1U);
      EXPECT_EQ(manifest[0].at("RepoTags"), json::array({"example.com/app:2.0"}));
      EXPECT_EQ(manifest[0].at("Layers").get<std::vector<std::string>>(), listed.layer_paths);
      const auto config = manifest[0].at("Config").get<std::string>();
      EXPECT_TRUE(config.starts_with("blobs/sha256/")) << config;
      EXPECT_TRUE(out.contents.contains(config)) << config;
    }
    // Everything that is not a dropped layer is byte for byte what the input had.
    const auto input = read_tar(input_bytes);
    for (const auto& [path, entry] : input) {
      if (path == listed.layer_paths[0] || path == listed.layer_paths[1]) continue;
      EXPECT_EQ(out.contents.at(path).content, entry.content) << path;
      EXPECT_EQ(out.contents.at(path).type, entry.type) << path;
    }
    if (!legacy_in) expect_blobs_content_addressed(out.contents);
  }
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SlimEveryLayout, ::testing::Combine(::testing::ValuesIn(layout_cases()), ::testing::Values(LayoutMode::automatic, LayoutMode::keep)),
    [](const auto& test_param) {
      return std::get<0>(test_param.param).name + (std::get<1>(test_param.param) == LayoutMode::keep ? "_keep" : "_auto");
    });

// Regression: a layer tar is sniffed for compression from its first 8 bytes, which for an
// uncompressed tar are the first entry's name. Checking for "BZh" alone took an ordinary layer whose
// first file is named "BZh..." for bzip2, and --layout auto refused the whole archive.
TEST(SlimLayouts, LegacyLayerWhoseFirstFileNameStartsWithBZhConverts) {
  TempDir dir;
  const BaseAndApp fx;
  const auto odd = make_layer_tar({{"BZh_notes.txt", "an ordinary file\n"}});
  EXPECT_EQ(archive::compression_name(archive::detect_compression(odd.substr(0, 8))), "none")
      << "an uncompressed tar whose first file is named BZh_notes.txt is sniffed as bzip2";
  const FixtureImage image{{"odd:1"}, {fx.l0, fx.l1, odd}};
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "odd.tar", {image});
  SlimOptions options;
  options.targets = commands::parse_sources({dir / "odd.tar"});
  options.bases = commands::parse_sources({dir / "base.tar"});
  options.output = dir / "out.tar";
  options.quiet = true;
  ASSERT_NO_THROW(commands::run_slim(options));
  const auto bytes = read_file(dir / "out.tar");
  const auto contents = read_tar(bytes);
  expect_docker25_layout(contents);
  expect_whole_layer(contents, "blobs/sha256/" + std::string(dockerdiff::digest_hex(diff_id_of(odd))), diff_id_of(odd));
  expect_reads_back(bytes, 1);
}

// A Docker 25+ input is already in the layout every engine loads: auto and keep write the same bytes.
// A pure OCI input differs by the manifest.json that auto adds (SlimEveryLayout checks its content).
TEST(SlimLayouts, AutoAndKeepDifferOnlyByManifestJsonForOciInputs) {
  TempDir dir;
  const BaseAndApp fx;
  for (const auto layout : {FixtureLayout::docker25, FixtureLayout::oci}) {
    write_fixture_file(dir / "base.tar", {fx.base}, {.layout = layout});
    write_fixture_file(dir / "app.tar", {fx.application}, {.layout = layout});
    const auto automatic = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .output_name = "auto.tar"});
    const auto keep = run_slim_into(
        dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = LayoutMode::keep, .output_name = "keep.tar"});
    EXPECT_NE(automatic.bytes, read_file(dir / "app.tar"));
    if (layout == FixtureLayout::docker25) {
      EXPECT_EQ(automatic.bytes, keep.bytes);
      continue;
    }
    auto expected = keep.contents;
    EXPECT_FALSE(expected.contains("manifest.json"));
    for (const auto& [path, entry] : automatic.contents) {
      if (path == "manifest.json" || path == "dockerdiff.json") continue;
      ASSERT_TRUE(expected.contains(path)) << path;
      EXPECT_EQ(entry.content, expected.at(path).content) << path;
      expected.erase(path);
    }
    expected.erase("dockerdiff.json");
    EXPECT_TRUE(expected.empty());
  }
}

// ---------------------------------------------------------------------------------------------
// Compression in and out

class SlimCompressedInput : public ::testing::TestWithParam<Compression> {};

TEST_P(SlimCompressedInput, WholeArchiveCompressionIsDetectedFromContent) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base}, {.archive_compression = GetParam()});
  // A misleading name: detection must come from the bytes.
  write_fixture_file(dir / "app.tar", {fx.application}, {.archive_compression = GetParam()});
  ASSERT_EQ(archive::detect_compression(read_file(dir / "app.tar").substr(0, 8)), GetParam());
  for (const auto mode : {LayoutMode::automatic, LayoutMode::keep}) {
    const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = mode});
    EXPECT_EQ(archive::detect_compression(out.bytes.substr(0, 8)), Compression::none);
    EXPECT_EQ(dropped_flags(report_image(out.report, "example.com/app:2.0")), (std::vector<bool>{true, true, false}));
    ASSERT_EQ(out.images.size(), 1U);
    expect_empty_entry(out.contents, out.images[0].layer_paths[0]);
    expect_empty_entry(out.contents, out.images[0].layer_paths[1]);
    expect_whole_layer(out.contents, out.images[0].layer_paths[2], diff_id_of(fx.app));
    expect_reads_back(out.bytes, 1);
    EXPECT_EQ(out.report.at("input_bytes").get<std::uint64_t>(), fs::file_size(dir / "app.tar"));
  }
}

INSTANTIATE_TEST_SUITE_P(Compressions, SlimCompressedInput,
                         ::testing::Values(Compression::gzip, Compression::zstd, Compression::xz, Compression::bzip2),
                         [](const auto& test_param) { return std::string(archive::compression_name(test_param.param)); });

class SlimCompressedOutput : public ::testing::TestWithParam<Compression> {};

TEST_P(SlimCompressedOutput, CompressedOutputReadsBackAndIsDeterministic) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "app.tar", {fx.application});
  const auto first = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .compression = GetParam(), .output_name = "one"});
  const auto second = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .compression = GetParam(), .output_name = "two"});
  EXPECT_EQ(archive::detect_compression(first.bytes.substr(0, 8)), GetParam());
  EXPECT_EQ(first.bytes, second.bytes) << "two runs over the same inputs must give the same bytes";
  EXPECT_EQ(first.report.at("output_bytes").get<std::uint64_t>(), first.bytes.size());
  ASSERT_EQ(first.images.size(), 1U);
  expect_empty_entry(first.contents, first.images[0].layer_paths[0]);
  expect_empty_entry(first.contents, first.images[0].layer_paths[1]);
  expect_whole_layer(first.contents, first.images[0].layer_paths[2], diff_id_of(fx.app));
  expect_reads_back(first.bytes, 1);
  expect_docker25_layout(first.contents);
  if (GetParam() != Compression::none) {
    // The same tar as the uncompressed output, only compressed.
    const auto plain = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .output_name = "plain"});
    EXPECT_EQ(decompress(first.bytes), plain.bytes);
    EXPECT_LT(first.bytes.size(), plain.bytes.size());
  }
}

INSTANTIATE_TEST_SUITE_P(Compressions, SlimCompressedOutput, ::testing::Values(Compression::none, Compression::gzip, Compression::zstd),
                         [](const auto& test_param) { return std::string(archive::compression_name(test_param.param)); });

// ---------------------------------------------------------------------------------------------
// Chain IDs, not diff_ids

TEST(SlimChainIds, SameDiffIdAtAnotherPositionIsKept) {
  TempDir dir;
  const BaseAndApp fx;
  // The base's layers, but in the other order: no chain ID matches.
  const FixtureImage swapped{{"swapped:1"}, {fx.l1, fx.l0, fx.app}};
  // Compressed: read as a stream, the target first leaves out the layers the base has, then finds
  // it needs them at these positions and reads them again.
  for (const auto& [layout, compression] : {std::pair{FixtureLayout::legacy, Compression::none},
                                            std::pair{FixtureLayout::oci, Compression::none},
                                            std::pair{FixtureLayout::docker25, Compression::gzip},
                                            std::pair{FixtureLayout::oci, Compression::zstd}}) {
    write_fixture_file(dir / "base.tar", {fx.base}, {.layout = layout});
    write_fixture_file(dir / "app.tar", {swapped}, {.layout = layout, .archive_compression = compression});
    const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}});
    EXPECT_EQ(dropped_flags(report_image(out.report, "swapped:1")), (std::vector<bool>{false, false, false}));
    ASSERT_EQ(out.images.size(), 1U);
    for (std::size_t i = 0; i < 3; ++i) expect_whole_layer(out.contents, out.images[0].layer_paths[i], diff_id_of(swapped.layers[i]));
    expect_reads_back(out.bytes, 3);
    EXPECT_TRUE(json::parse(out.contents.at("dockerdiff.json").content).at("images")[0].at("required").empty());
  }
}

// A compressed legacy target does not spool a large layer of a base layer's size while it is
// hashed (its name gives no digest). One that is not the base's after all (another layer of the
// same size, or the base's layer at another position) is read again and kept whole.
TEST(SlimChainIds, ALayerOfABaseLayersSizeIsKeptWhenItIsNotTheBases) {
  TempDir dir;
  // Over the 1 MiB below which sizes are not guessed from; the same line lengths give the same size.
  const auto base_layer = layer("basebig", 30000);
  const auto other = layer("othrbig", 30000);
  ASSERT_EQ(base_layer.size(), other.size());
  ASSERT_GT(base_layer.size(), 1U << 20);
  write_fixture_file(dir / "base.tar", {FixtureImage{{"base:1"}, {base_layer}}});
  const FixtureImage on_base{{"app:1"}, {base_layer, other}};
  const FixtureImage swapped{{"app:2"}, {other, base_layer}};
  for (const auto& [image, dropped] : {std::pair{on_base, std::vector<bool>{true, false}},
                                       std::pair{swapped, std::vector<bool>{false, false}}}) {
    write_fixture_file(dir / "app.tar", {image}, {.archive_compression = Compression::gzip});
    const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}});
    EXPECT_EQ(dropped_flags(report_image(out.report, image.tags[0])), dropped);
    ASSERT_EQ(out.images.size(), 1U);
    for (std::size_t i = 0; i < 2; ++i) {
      if (!dropped[i]) expect_whole_layer(out.contents, out.images[0].layer_paths[i], diff_id_of(image.layers[i]));
    }
    expect_reads_back(out.bytes, dropped[0] ? 1 : 2);
  }
}

TEST(SlimChainIds, SameBottomDifferentSecondLayerDropsOnlyTheBottom) {
  TempDir dir;
  const BaseAndApp fx;
  const FixtureImage other_base{{"otherbase:1"}, {fx.l0, layer("other-runtime")}};
  for (const auto layout : {FixtureLayout::legacy, FixtureLayout::docker25, FixtureLayout::oci}) {
    write_fixture_file(dir / "base.tar", {other_base}, {.layout = layout});
    write_fixture_file(dir / "app.tar", {fx.application}, {.layout = layout});
    const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = LayoutMode::keep});
    EXPECT_EQ(dropped_flags(report_image(out.report, "example.com/app:2.0")), (std::vector<bool>{true, false, false}));
    ASSERT_EQ(out.images.size(), 1U);
    expect_empty_entry(out.contents, out.images[0].layer_paths[0]);
    expect_whole_layer(out.contents, out.images[0].layer_paths[1], diff_id_of(fx.l1));
    expect_whole_layer(out.contents, out.images[0].layer_paths[2], diff_id_of(fx.app));
    expect_reads_back(out.bytes, 2);
  }
}

// ---------------------------------------------------------------------------------------------
// docker save's links between repeated layers

class SlimRepeatedLayers : public ::testing::TestWithParam<std::tuple<bool, LayoutMode>> {};

TEST_P(SlimRepeatedLayers, DroppedFirstCopyMovesDataToTheKeptCopy) {
  const auto& [hardlinks, mode] = GetParam();
  TempDir dir;
  const auto l0 = layer("bottom", 90);
  const auto a = layer("middle", 30);
  const FixtureImage base{{"base:1"}, {l0}};
  const FixtureImage app{{"app:1"}, {l0, a, l0}};  // l0 again on top: another chain ID
  write_fixture_file(dir / "base.tar", {base});
  write_fixture_file(dir / "app.tar", {app}, {.use_hardlinks = hardlinks});
  {
    // The input really has the link this test is about.
    const auto input = read_tar(read_file(dir / "app.tar"));
    const auto listed = list_archive_images(input);
    ASSERT_EQ(input.at(listed[0].layer_paths[2]).type, hardlinks ? EntryType::hardlink : EntryType::symlink);
  }

  const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = mode});
  EXPECT_EQ(dropped_flags(report_image(out.report, "app:1")), (std::vector<bool>{true, false, false}));
  ASSERT_EQ(out.images.size(), 1U);
  const auto& paths = out.images[0].layer_paths;
  if (mode == LayoutMode::keep) {
    // Position 0 names the data directly and is dropped: emptied, the data now lives at position 2.
    expect_empty_entry(out.contents, paths[0]);
    EXPECT_EQ(out.contents.at(paths[2]).type, EntryType::regular);
  } else {
    // One blob per diff_id: still needed by position 2, so it stays whole.
    EXPECT_EQ(paths[0], paths[2]);
  }
  expect_whole_layer(out.contents, paths[1], diff_id_of(a));
  expect_whole_layer(out.contents, paths[2], diff_id_of(l0));
  expect_reads_back(out.bytes, mode == LayoutMode::keep ? 2 : 3);
  expect_links_valid(out.bytes);
  // l0's bytes are in the output once.
  std::size_t copies = 0;
  for (const auto& [path, entry] : out.contents) copies += entry.content == l0;
  EXPECT_EQ(copies, 1U);
}

INSTANTIATE_TEST_SUITE_P(Links, SlimRepeatedLayers,
                         ::testing::Combine(::testing::Bool(), ::testing::Values(LayoutMode::keep, LayoutMode::automatic)),
                         [](const auto& test_param) {
                           return std::string(std::get<0>(test_param.param) ? "hardlinks" : "symlinks") +
                                  (std::get<1>(test_param.param) == LayoutMode::keep ? "_keep" : "_auto");
                         });

TEST(SlimRepeatedLayers, ThreeCopiesTwoKeptLinkToOneHome) {
  TempDir dir;
  const auto l0 = layer("bottom", 90);
  const auto a = layer("middle", 30);
  const auto b = layer("upper", 20);
  const FixtureImage base{{"base:1"}, {l0}};
  const FixtureImage app{{"app:1"}, {l0, a, l0, b, l0}};
  write_fixture_file(dir / "base.tar", {base});
  for (const bool hardlinks : {false, true}) {
    SCOPED_TRACE(hardlinks ? "hard links" : "symlinks");
    write_fixture_file(dir / "app.tar", {app}, {.use_hardlinks = hardlinks});
    const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = LayoutMode::keep});
    EXPECT_EQ(dropped_flags(report_image(out.report, "app:1")), (std::vector<bool>{true, false, false, false, false}));
    const auto& paths = out.images.at(0).layer_paths;
    expect_empty_entry(out.contents, paths[0]);
    expect_whole_layer(out.contents, paths[2], diff_id_of(l0));
    expect_whole_layer(out.contents, paths[4], diff_id_of(l0));
    EXPECT_NE(out.contents.at(paths[4]).type, EntryType::regular) << "the second kept copy links to the first";
    expect_reads_back(out.bytes, 4);
    expect_links_valid(out.bytes);
  }
}

// ---------------------------------------------------------------------------------------------
// Several images in one archive

TEST(SlimMultiImage, SharedBlobDroppedByOneImageKeptByAnotherStaysWhole) {
  const auto l0 = layer("os", 70);
  const auto l1 = layer("shared", 50);
  const FixtureImage base{{"base:1"}, {l0, l1}};
  const FixtureImage x{{"x:1"}, {l0, l1}};                 // all of it in the base
  const FixtureImage y{{"y:1"}, {l1, layer("y-top")}};     // l1 at the bottom: another chain
  struct Case {
    std::string name;
    FixtureOptions options;
    LayoutMode mode;
  };
  const std::vector<Case> cases{
      {"legacy keep", {.layout = FixtureLayout::legacy}, LayoutMode::keep},
      {"legacy keep hardlinks", {.layout = FixtureLayout::legacy, .use_hardlinks = true}, LayoutMode::keep},
      {"legacy auto", {.layout = FixtureLayout::legacy}, LayoutMode::automatic},
      {"docker25", {.layout = FixtureLayout::docker25}, LayoutMode::keep},
      {"oci", {.layout = FixtureLayout::oci}, LayoutMode::keep},
      {"oci gzip", {.layout = FixtureLayout::oci, .layer_compression = Compression::gzip}, LayoutMode::keep},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    TempDir dir;
    write_fixture_file(dir / "base.tar", {base});
    write_fixture_file(dir / "both.tar", {x, y}, c.options);  // docker save x y
    const auto out = run_slim_into(dir, {.targets = {dir / "both.tar"}, .bases = {dir / "base.tar"}, .layout = c.mode});
    EXPECT_EQ(dropped_flags(report_image(out.report, "x:1")), (std::vector<bool>{true, true}));
    EXPECT_EQ(dropped_flags(report_image(out.report, "y:1")), (std::vector<bool>{false, false}));
    const auto& out_x = output_image(out.images, "x:1");
    const auto& out_y = output_image(out.images, "y:1");
    expect_empty_entry(out.contents, out_x.layer_paths[0]);
    expect_whole_layer(out.contents, out_y.layer_paths[0], diff_id_of(l1));
    expect_whole_layer(out.contents, out_y.layer_paths[1], diff_id_of(y.layers[1]));
    expect_reads_back(out.bytes, out_x.layer_paths[1] == out_y.layer_paths[0] ? 3U : 2U);
    expect_links_valid(out.bytes);
  }
}

TEST(SlimMultiImage, SameChainInTwoImagesWrittenOnceAndDroppedForBoth) {
  TempDir dir;
  const BaseAndApp fx;
  const FixtureImage second{{"example.com/worker:2.0"}, {fx.l0, fx.l1, layer("worker")}};
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "both.tar", {fx.application, second});
  const auto out = run_slim_into(dir, {.targets = {dir / "both.tar"}, .bases = {dir / "base.tar"}, .layout = LayoutMode::keep});
  EXPECT_EQ(dropped_flags(report_image(out.report, "example.com/app:2.0")), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(dropped_flags(report_image(out.report, "example.com/worker:2.0")), (std::vector<bool>{true, true, false}));
  ASSERT_EQ(out.images.size(), 2U);
  EXPECT_EQ(out.images[0].layer_paths[0], out.images[1].layer_paths[0]);
  expect_empty_entry(out.contents, out.images[0].layer_paths[0]);
  expect_empty_entry(out.contents, out.images[0].layer_paths[1]);
  expect_reads_back(out.bytes, 2);
  const auto record = json::parse(out.contents.at("dockerdiff.json").content);
  ASSERT_EQ(record.at("images").size(), 2U);
  EXPECT_EQ(record.at("images")[1].at("required").size(), 2U);
}

// ---------------------------------------------------------------------------------------------
// Bases: several, directories, inventories

TEST(SlimBases, SeveralBasesAreAUnion) {
  TempDir dir;
  const BaseAndApp fx;
  const auto m0 = layer("alpine", 60);
  const FixtureImage other_base{{"alpine:3"}, {m0}};
  const FixtureImage tool{{"tool:1"}, {m0, layer("tool")}};
  write_fixture_file(dir / "base1.tar", {fx.base}, {.layout = FixtureLayout::docker25});
  write_fixture_file(dir / "base2.tar", {other_base}, {.layout = FixtureLayout::oci});
  write_fixture_file(dir / "apps.tar", {fx.application, tool});
  const auto out = run_slim_into(dir, {.targets = {dir / "apps.tar"}, .bases = {dir / "base1.tar", dir / "base2.tar"}});
  const auto& app = report_image(out.report, "example.com/app:2.0");
  const auto& t = report_image(out.report, "tool:1");
  EXPECT_EQ(dropped_flags(app), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(dropped_flags(t), (std::vector<bool>{true, false}));
  EXPECT_EQ(app.at("layers")[0].at("provided_by"), (dir / "base1.tar").string());
  EXPECT_EQ(t.at("layers")[0].at("provided_by"), (dir / "base2.tar").string());
  expect_empty_entry(out.contents, output_image(out.images, "tool:1").layer_paths[0]);
  expect_reads_back(out.bytes, 2);

  // Each base alone drops only its own part.
  const auto only_first = run_slim_into(dir, {.targets = {dir / "apps.tar"}, .bases = {dir / "base1.tar"}, .output_name = "first.tar"});
  EXPECT_EQ(dropped_flags(report_image(only_first.report, "tool:1")), (std::vector<bool>{false, false}));
  expect_reads_back(only_first.bytes, 3);
}

TEST(SlimBases, BaseAsOciLayoutDirectory) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_directory(dir / "base-layout", {fx.base}, {.layout = FixtureLayout::oci, .layer_compression = Compression::gzip});
  write_fixture_file(dir / "app.tar", {fx.application});
  const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base-layout"}});
  const auto& image = report_image(out.report, "example.com/app:2.0");
  EXPECT_EQ(dropped_flags(image), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(image.at("layers")[0].at("provided_by"), (dir / "base-layout").string());
  expect_empty_entry(out.contents, out.images.at(0).layer_paths[0]);
  expect_empty_entry(out.contents, out.images.at(0).layer_paths[1]);
  expect_reads_back(out.bytes, 1);
}

class SlimInventory : public ::testing::TestWithParam<std::string> {};

TEST_P(SlimInventory, EveryAcceptedShapeDropsTheBaseLayers) {
  TempDir dir;
  const BaseAndApp fx;
  const auto ids = diff_ids(fx.base.layers);
  const auto chains = chain_ids_of(fx.base.layers);
  json inventory;
  if (GetParam() == "chain_id_list") inventory = chains;
  if (GetParam() == "diff_id_lists") inventory = json::array({ids, json::array({diff_id_of(layer("unrelated"))})});
  if (GetParam() == "chain_ids_object") inventory = {{"chain_ids", chains}};
  if (GetParam() == "images_object") {
    json base_image = json::object();
    base_image["tags"] = json::array({"example.com/base:1.0"});
    base_image["diff_ids"] = ids;
    inventory = json::object();
    inventory["images"] = json::array({base_image});
  }
  if (GetParam() == "docker_inspect") {
    json inspected = json::object();
    inspected["Id"] = "sha256:" + std::string(64, 'a');
    inspected["RepoTags"] = json::array({"example.com/base:1.0"});
    inspected["RootFS"] = json::object();
    inspected["RootFS"]["Type"] = "layers";
    inspected["RootFS"]["Layers"] = ids;
    inventory = json::array({inspected});
  }
  ASSERT_FALSE(inventory.is_null());
  write_file(dir / "inventory.json", inventory.dump(2));
  write_fixture_file(dir / "app.tar", {fx.application});
  const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "inventory.json"}, .layout = LayoutMode::keep});
  const auto& image = report_image(out.report, "example.com/app:2.0");
  EXPECT_EQ(dropped_flags(image), (std::vector<bool>{true, true, false}));
  EXPECT_EQ(image.at("layers")[1].at("provided_by"), (dir / "inventory.json").string());
  expect_empty_entry(out.contents, out.images.at(0).layer_paths[0]);
  expect_empty_entry(out.contents, out.images.at(0).layer_paths[1]);
  expect_reads_back(out.bytes, 1);
}

// Regression: `docker image inspect` leaves out RootFS.Layers for an image without layers (the
// Engine API's RootFS.Layers is `json:",omitempty"`), e.g. one built FROM scratch with only metadata.
// Such an image in the list must not make the whole inventory unreadable: it provides no chain ID.
TEST(SlimInventoryDockerInspect, LayerlessImageInTheListIsAccepted) {
  TempDir dir;
  const BaseAndApp fx;
  json base = json::object();
  base["Id"] = "sha256:" + std::string(64, 'a');
  base["RepoTags"] = json::array({"example.com/base:1.0"});
  base["RootFS"] = json::object();
  base["RootFS"]["Type"] = "layers";
  base["RootFS"]["Layers"] = diff_ids(fx.base.layers);
  json layerless = json::object();
  layerless["Id"] = "sha256:" + std::string(64, 'c');
  layerless["RepoTags"] = json::array({"labels-only:1"});
  layerless["RootFS"] = json::object();
  layerless["RootFS"]["Type"] = "layers";  // no "Layers": omitted when empty
  write_file(dir / "inspect.json", json::array({base, layerless}).dump(2));
  write_fixture_file(dir / "app.tar", {fx.application});
  SlimOptions options;
  options.targets = commands::parse_sources({dir / "app.tar"});
  options.bases = commands::parse_sources({dir / "inspect.json"});
  options.output = dir / "out.tar";
  options.report_path = dir / "report.json";
  options.quiet = true;
  ASSERT_NO_THROW(commands::run_slim(options));
  const auto report = json::parse(read_file(dir / "report.json"));
  EXPECT_EQ(dropped_flags(report_image(report, "example.com/app:2.0")), (std::vector<bool>{true, true, false}));
  expect_reads_back(read_file(dir / "out.tar"), 1);
}

// An inventory of a containerd image store records the blobs the host holds. A dropped layer held
// there only in another form (pulled gzip-compressed, say) is named as that blob, so that plain
// docker load gives a complete image there; a layer held in the archive's own form stays as it is.
// The host holds the bottom layer as a gzip blob only, the next one in the archive's own form.
class SlimHostBlobs : public ::testing::TestWithParam<FixtureLayout> {
 protected:
  void SetUp() override {
    json inventory{{"chain_ids", chain_ids_of(fx.base.layers)},
                   {"blobs", {{{"diff_id", ids[0]}, {"digest", host_form}, {"media_type", "application/vnd.oci.image.layer.v1.tar+gzip"}, {"size", 111}},
                              {{"diff_id", ids[1]}, {"digest", ids[1]}, {"media_type", "application/vnd.oci.image.layer.v1.tar"}, {"size", fx.l1.size()}}}}};
    write_file(dir / "inventory.json", inventory.dump(2));
    write_fixture_file(dir / "app.tar", {fx.application}, {.layout = GetParam()});
  }

  TempDir dir;
  const BaseAndApp fx{};
  const std::vector<std::string> ids = diff_ids(fx.base.layers);
  const std::string host_form = dockerdiff::sha256_digest("the host's gzip form of " + fx.l0);
};

TEST_P(SlimHostBlobs, DroppedLayerNamesTheBlobTheHostHolds) {

  const auto out = run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "inventory.json"}});
  const auto blob = [&](const std::string& digest) { return "blobs/sha256/" + std::string(dockerdiff::digest_hex(digest)); };
  const auto index = json::parse(out.contents.at("index.json").content);
  const auto manifest = json::parse(out.contents.at(blob(index.at("manifests")[0].at("digest"))).content);
  const auto& layers = manifest.at("layers");
  ASSERT_EQ(layers.size(), 3U);
  EXPECT_EQ(layers[0].at("digest"), host_form);
  EXPECT_EQ(layers[0].at("mediaType"), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_EQ(layers[0].at("size"), 111);
  if (GetParam() == FixtureLayout::legacy) {
    EXPECT_EQ(layers[1].at("digest"), ids[1]);  // held in the archive's form: unchanged
  }
  expect_empty_entry(out.contents, blob(host_form));
  EXPECT_FALSE(out.contents.contains(blob(ids[0])));
  const auto docker_manifest = json::parse(out.contents.at("manifest.json").content);
  EXPECT_EQ(docker_manifest[0].at("Layers")[0], blob(host_form));
  EXPECT_EQ(docker_manifest[0].at("Config"), blob(manifest.at("config").at("digest")));  // the same config
  const auto& renamed = out.report.at("outputs")[0].at("host_blobs");
  ASSERT_EQ(renamed.size(), 1U);
  EXPECT_EQ(renamed[0].at("diff_id"), ids[0]);
  EXPECT_EQ(renamed[0].at("host_blob"), host_form);
  expect_reads_back(out.bytes, 1);
  const auto verified = run_dockerdiff(dir, {"verify", out.path, "-b", (dir / "inventory.json").string()});
  EXPECT_EQ(verified.status, 0) << verified.out << verified.err;

  // --keep-descriptors: the input's descriptors, as without blob information.
  SlimOptions options;
  options.targets = commands::parse_sources({dir / "app.tar"});
  options.bases = commands::parse_sources({dir / "inventory.json"});
  options.output = dir / "kept.tar";
  options.descriptors = plan::DroppedDescriptors::keep;
  options.quiet = true;
  ASSERT_EQ(commands::run_slim(options), 0);
  const auto kept = read_tar(read_file(dir / "kept.tar"));
  EXPECT_FALSE(kept.contains(blob(host_form)));
  const auto kept_layer = json::parse(kept.at("manifest.json").content)[0].at("Layers")[0].get<std::string>();
  if (GetParam() == FixtureLayout::legacy) {
    EXPECT_EQ(kept_layer, blob(ids[0]));
  }
  expect_empty_entry(kept, kept_layer);
}

// dockerdiff.json says which blob each dropped layer is named as and, where that is the host's, which
// one the input named; slimming the output again keeps the original.
TEST_P(SlimHostBlobs, TheRecordNamesTheHostBlobAndTheOriginal) {
  const auto required_layers = [&](const std::vector<std::string>& args) {
    const auto result = run_dockerdiff(dir, args);
    EXPECT_EQ(result.status, 0) << command_line(args) << "\n" << result.err;
    return json::parse(read_tar(read_file(dir / args.at(5))).at("dockerdiff.json").content).at("images")[0].at("required");
  };

  const auto required = required_layers({"slim", "app.tar", "-b", "inventory.json", "-o", "out.tar", "-q"});
  ASSERT_EQ(required.size(), 2U);
  EXPECT_EQ(required[0].at("blob"), host_form);
  EXPECT_EQ(required[0].at("original_blob"), ids[0]);
  EXPECT_EQ(required[0].at("size"), 111);
  EXPECT_EQ(required[1].at("blob"), ids[1]);  // held in the archive's form: as the input names it
  EXPECT_FALSE(required[1].contains("original_blob")) << required[1];
  EXPECT_EQ(required[1].at("size"), fx.l1.size());

  const auto again = required_layers({"slim", "out.tar", "-b", "inventory.json", "-o", "again.tar", "-q"});
  ASSERT_EQ(again.size(), 2U);
  EXPECT_EQ(again[0].at("blob"), host_form);
  EXPECT_EQ(again[0].at("original_blob"), ids[0]);
  EXPECT_EQ(again[0].at("size"), 111);

  const auto kept = required_layers({"slim", "app.tar", "-b", "inventory.json", "-o", "kept.tar", "-q", "--keep-descriptors"});
  ASSERT_EQ(kept.size(), 2U);
  EXPECT_EQ(kept[0].at("blob"), ids[0]);
  EXPECT_FALSE(kept[0].contains("original_blob")) << kept[0];
  EXPECT_EQ(kept[0].at("size"), fx.l0.size());
}

INSTANTIATE_TEST_SUITE_P(Inputs, SlimHostBlobs, ::testing::Values(FixtureLayout::legacy, FixtureLayout::oci),
                         [](const auto& param_info) { return param_info.param == FixtureLayout::legacy ? "legacy" : "oci"; });

INSTANTIATE_TEST_SUITE_P(Shapes, SlimInventory,
                         ::testing::Values("chain_id_list", "diff_id_lists", "chain_ids_object", "images_object", "docker_inspect"));

// ---------------------------------------------------------------------------------------------
// Targets: directories, stdin, stdout, several

TEST(SlimTargets, OciLayoutDirectoryTarget) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_directory(dir / "app-layout", {fx.application}, {.layout = FixtureLayout::oci});
  std::uint64_t stored = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "app-layout")) {
    if (entry.is_regular_file()) stored += entry.file_size();
  }
  const auto out = run_slim_into(dir, {.targets = {dir / "app-layout"}, .bases = {dir / "base.tar"}, .layout = LayoutMode::keep});
  EXPECT_EQ(out.report.at("outputs")[0].at("layout"), "oci");
  EXPECT_EQ(out.report.at("input_bytes").get<std::uint64_t>(), stored);
  EXPECT_EQ(dropped_flags(report_image(out.report, "example.com/app:2.0")), (std::vector<bool>{true, true, false}));
  ASSERT_EQ(out.images.size(), 1U);
  expect_empty_entry(out.contents, out.images[0].layer_paths[0]);
  expect_empty_entry(out.contents, out.images[0].layer_paths[1]);
  expect_whole_layer(out.contents, out.images[0].layer_paths[2], diff_id_of(fx.app));
  EXPECT_TRUE(out.contents.contains("oci-layout"));
  EXPECT_FALSE(out.contents.contains("manifest.json"));
  expect_reads_back(out.bytes, 1);
  expect_blobs_content_addressed(out.contents);
}

TEST(SlimTargets, StdinTargetThroughTheBinary) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "app.tar.gz", {fx.application}, {.archive_compression = Compression::gzip});
  const TempDir io;
  const std::vector<std::string> args{"slim", "-", "-b", (dir / "base.tar").string(), "-o", (dir / "from-stdin.tar").string(),
                                      "--report", (dir / "report.json").string(), "-q"};
  const auto result = run_dockerdiff(io, args, {.stdin_path = dir / "app.tar.gz"});
  ASSERT_EQ(result.status, 0) << command_line(args) << "\n" << result.err;
  const auto bytes = read_file(dir / "from-stdin.tar");
  const auto contents = read_tar(bytes);
  const auto images = list_archive_images(contents);
  ASSERT_EQ(images.size(), 1U);
  expect_empty_entry(contents, images[0].layer_paths[0]);
  expect_empty_entry(contents, images[0].layer_paths[1]);
  expect_whole_layer(contents, images[0].layer_paths[2], diff_id_of(fx.app));
  expect_reads_back(bytes, 1);
  const auto report = json::parse(read_file(dir / "report.json"));
  EXPECT_EQ(report.at("input_bytes").get<std::uint64_t>(), fs::file_size(dir / "app.tar.gz"));
  EXPECT_EQ(report.at("images")[0].at("input"), "-");
  // The same archive as from the file itself.
  const auto from_file = run_slim_into(dir, {.targets = {dir / "app.tar.gz"}, .bases = {dir / "base.tar"}});
  EXPECT_EQ(bytes, from_file.bytes);
}

TEST(SlimTargets, StdoutOutputEqualsFileOutput) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "app.tar", {fx.application});
  for (const std::string compress : {"none", "gzip"}) {
    SCOPED_TRACE(compress);
    const TempDir io;
    const std::vector<std::string> common{"slim", (dir / "app.tar").string(), "-b", (dir / "base.tar").string(), "-q", "--compress", compress};
    auto to_stdout = common;
    to_stdout.insert(to_stdout.end(), {"-o", "-"});
    auto to_file = common;
    to_file.insert(to_file.end(), {"-o", (dir / "file.tar").string()});
    const auto written = run_dockerdiff(io, to_stdout);  // stdout: a file
    ASSERT_EQ(written.status, 0) << written.err;
    ASSERT_EQ(run_dockerdiff(io, to_file).status, 0);
    const auto& piped = written.out;
    EXPECT_FALSE(piped.empty());
    EXPECT_EQ(piped, read_file(dir / "file.tar"));
    // Through a pipe too (no file to copy ranges into).
    std::string pipeline = shell_quote(DOCKERDIFF_BIN);
    for (const auto& arg : to_stdout) pipeline += " " + shell_quote(arg);
    const auto through_pipe = run_program("/bin/sh", {"-c", pipeline + " | cat"}, {.cwd = io.path(), .timeout_seconds = kTimeoutSeconds});
    EXPECT_EQ(through_pipe.status, 0);
    EXPECT_EQ(through_pipe.out, piped);
    expect_reads_back(decompress(piped), 1);
  }
}

TEST(SlimTargets, OutputDirWritesOneArchivePerTarget) {
  TempDir dir;
  const BaseAndApp fx;
  const FixtureImage worker{{"worker:1"}, {fx.l0, layer("worker")}};
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "in/app.tar", {fx.application});
  write_fixture_file(dir / "in/worker.tar.gz", {worker}, {.archive_compression = Compression::gzip});
  SlimOptions options;
  options.targets = commands::parse_sources({dir / "in/app.tar", dir / "in/worker.tar.gz"});
  options.bases = commands::parse_sources({dir / "base.tar"});
  options.output_dir = dir / "out";
  options.report_path = dir / "report.json";
  options.quiet = true;
  ASSERT_EQ(commands::run_slim(options), 0);
  std::set<std::string> written;
  for (const auto& entry : fs::directory_iterator(dir / "out")) written.insert(entry.path().filename().string());
  EXPECT_EQ(written, (std::set<std::string>{"app.slim.tar", "worker.slim.tar"}));

  const auto app_bytes = read_file(dir / "out/app.slim.tar");
  const auto app_images = list_archive_images(read_tar(app_bytes));
  ASSERT_EQ(app_images.size(), 1U);
  EXPECT_EQ(app_images[0].tags, fx.application.tags);
  expect_reads_back(app_bytes, 1);
  const auto worker_bytes = read_file(dir / "out/worker.slim.tar");
  const auto worker_contents = read_tar(worker_bytes);
  const auto worker_images = list_archive_images(worker_contents);
  ASSERT_EQ(worker_images.size(), 1U);
  EXPECT_EQ(worker_images[0].tags, worker.tags);
  expect_empty_entry(worker_contents, worker_images[0].layer_paths[0]);
  expect_reads_back(worker_bytes, 1);

  const auto report = json::parse(read_file(dir / "report.json"));
  ASSERT_EQ(report.at("outputs").size(), 2U);
  EXPECT_EQ(report.at("outputs")[0].at("path"), (dir / "out/app.slim.tar").string());
  EXPECT_EQ(report.at("outputs")[1].at("path"), (dir / "out/worker.slim.tar").string());
  EXPECT_EQ(report.at("outputs")[1].at("input_bytes").get<std::uint64_t>(), fs::file_size(dir / "in/worker.tar.gz"));
  EXPECT_EQ(report.at("outputs")[1].at("output_bytes").get<std::uint64_t>(), worker_bytes.size());
  EXPECT_EQ(report.at("input_bytes").get<std::uint64_t>(), fs::file_size(dir / "in/app.tar") + fs::file_size(dir / "in/worker.tar.gz"));
  EXPECT_EQ(report.at("output_bytes").get<std::uint64_t>(), app_bytes.size() + worker_bytes.size());

  // With --compress the names carry the suffix.
  options.output_dir = dir / "out-gz";
  options.compression = Compression::gzip;
  ASSERT_EQ(commands::run_slim(options), 0);
  EXPECT_TRUE(fs::is_regular_file(dir / "out-gz/app.slim.tar.gz"));
  EXPECT_TRUE(fs::is_regular_file(dir / "out-gz/worker.slim.tar.gz"));
  expect_reads_back(read_file(dir / "out-gz/worker.slim.tar.gz"), 1);
}

class SlimBundle : public ::testing::TestWithParam<std::tuple<LayoutCase, LayoutMode>> {};

TEST_P(SlimBundle, OneArchiveWithEveryImageEachBlobOnce) {
  const auto& [layout_case, mode] = GetParam();
  // Legacy kept as legacy names layers by chain; everything else names blobs by digest, one per diff_id.
  const bool by_digest = layout_case.options.layout != FixtureLayout::legacy || mode == LayoutMode::automatic;
  TempDir dir;
  const BaseAndApp fx;
  const FixtureImage worker{{"example.com/worker:1"}, {fx.l0, fx.l1, layer("worker")}};
  const FixtureImage lone{{"lone:1"}, {layer("lone-bottom"), fx.l1}};
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "app.tar", {fx.application}, layout_case.options);
  write_fixture_file(dir / "worker.tar", {worker, lone}, layout_case.options);
  SlimOptions options;
  options.targets = commands::parse_sources({dir / "app.tar", dir / "worker.tar"});
  options.bases = commands::parse_sources({dir / "base.tar"});
  options.output = dir / "bundle.tar";
  options.bundle = true;
  options.layout = mode;
  options.report_path = dir / "report.json";
  options.quiet = true;
  ASSERT_EQ(commands::run_slim(options), 0);
  const auto bytes = read_file(dir / "bundle.tar");
  const auto order = entry_order(bytes);
  const std::set<std::string> unique(order.begin(), order.end());
  EXPECT_EQ(unique.size(), order.size()) << "an entry name appears twice";
  const auto contents = read_tar(bytes);
  const auto images = list_archive_images(contents);
  ASSERT_EQ(images.size(), 3U);
  const auto& app = output_image(images, "example.com/app:2.0");
  const auto& w = output_image(images, "example.com/worker:1");
  const auto& l = output_image(images, "lone:1");
  expect_empty_entry(contents, app.layer_paths[0]);
  expect_empty_entry(contents, w.layer_paths[0]);
  if (by_digest) {
    // l1 is one blob that lone:1 keeps: whole, though the other two images drop it.
    EXPECT_EQ(app.layer_paths[1], l.layer_paths[1]);
    expect_whole_layer(contents, w.layer_paths[1], diff_id_of(fx.l1));
  } else {
    EXPECT_EQ(app.layer_paths[1], w.layer_paths[1]);  // the same chain: the same layer directory
    EXPECT_NE(app.layer_paths[1], l.layer_paths[1]);
    expect_empty_entry(contents, w.layer_paths[1]);
  }
  expect_whole_layer(contents, app.layer_paths[2], diff_id_of(fx.application.layers[2]));
  expect_whole_layer(contents, w.layer_paths[2], diff_id_of(worker.layers[2]));
  expect_whole_layer(contents, l.layer_paths[0], diff_id_of(lone.layers[0]));
  expect_whole_layer(contents, l.layer_paths[1], diff_id_of(fx.l1));  // l1 on another chain: kept
  expect_reads_back(bytes, by_digest ? 6U : 4U);
  expect_links_valid(bytes);
  if (contents.contains("manifest.json")) {
    EXPECT_EQ(json::parse(contents.at("manifest.json").content).size(), 3U);
  }
  if (contents.contains("index.json")) {
    std::set<std::string> tags;
    const auto index = json::parse(contents.at("index.json").content);
    for (const auto& d : index.at("manifests")) {
      tags.insert(d.at("annotations").at("org.opencontainers.image.ref.name").get<std::string>() + " " +
                  d.at("annotations").at("io.containerd.image.name").get<std::string>());
    }
    // A converted legacy archive names images as docker does (docker.io/library/ for a bare name);
    // an OCI input's own index is passed through as it was.
    const bool converted = layout_case.options.layout == FixtureLayout::legacy;
    EXPECT_EQ(tags, (std::set<std::string>{"2.0 example.com/app:2.0", "1 example.com/worker:1",
                                           converted ? "1 docker.io/library/lone:1" : "1 lone:1"}));
  }
  // l1's bytes once, though two images keep or drop it in two inputs.
  std::size_t copies = 0;
  for (const auto& [path, entry] : contents) copies += !entry.content.empty() && decompress(entry.content) == fx.l1;
  EXPECT_EQ(copies, 1U);
  const auto report = json::parse(read_file(dir / "report.json"));
  ASSERT_EQ(report.at("outputs").size(), 1U);
  EXPECT_EQ(report.at("outputs")[0].at("inputs").size(), 2U);
  EXPECT_EQ(report.at("images").size(), 3U);
  EXPECT_EQ(report.at("input_bytes").get<std::uint64_t>(), fs::file_size(dir / "app.tar") + fs::file_size(dir / "worker.tar"));
  const auto record = json::parse(contents.at("dockerdiff.json").content);
  EXPECT_EQ(record.at("images").size(), 3U);
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SlimBundle, ::testing::Combine(::testing::ValuesIn(layout_cases()), ::testing::Values(LayoutMode::automatic, LayoutMode::keep)),
    [](const auto& test_param) {
      return std::get<0>(test_param.param).name + (std::get<1>(test_param.param) == LayoutMode::keep ? "_keep" : "_auto");
    });

// ---------------------------------------------------------------------------------------------
// Reports

TEST(SlimReport, JsonReportSummaryAndSlimRecord) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "app.tar", {fx.application});
  SlimOptions options;
  options.targets = commands::parse_sources({dir / "app.tar"});
  options.bases = commands::parse_sources({dir / "base.tar"});
  options.output = dir / "app.slim.tar";
  options.report_path = dir / "report.json";
  options.summary_path = dir / "summary.md";
  options.quiet = true;
  ASSERT_EQ(commands::run_slim(options), 0);

  const auto report = json::parse(read_file(dir / "report.json"));
  const auto in = fs::file_size(dir / "app.tar");
  const auto out = fs::file_size(dir / "app.slim.tar");
  EXPECT_EQ(report.at("schema"), "dockerdiff.report/v1");
  EXPECT_EQ(report.at("input_bytes").get<std::uint64_t>(), in);
  EXPECT_EQ(report.at("output_bytes").get<std::uint64_t>(), out);
  EXPECT_EQ(report.at("saved_bytes").get<std::int64_t>(), static_cast<std::int64_t>(in) - static_cast<std::int64_t>(out));
  const double ratio = static_cast<double>(in - out) / static_cast<double>(in);
  EXPECT_NEAR(report.at("saved_ratio").get<double>(), ratio, 0.0001);
  EXPECT_GT(report.at("saved_ratio").get<double>(), 0.0);
  ASSERT_EQ(report.at("outputs").size(), 1U);
  EXPECT_EQ(report.at("outputs")[0].at("path"), (dir / "app.slim.tar").string());
  EXPECT_EQ(report.at("outputs")[0].at("inputs"), json::array({(dir / "app.tar").string()}));
  EXPECT_EQ(report.at("outputs")[0].at("layout"), "docker25");

  ASSERT_EQ(report.at("images").size(), 1U);
  const auto& image = report.at("images")[0];
  EXPECT_EQ(image.at("input"), (dir / "app.tar").string());
  EXPECT_EQ(image.at("tags"), json(fx.application.tags));
  // The config digest is the sha256 of the config the input holds.
  const auto input = read_tar(read_file(dir / "app.tar"));
  const auto input_image = list_archive_images(input).at(0);
  EXPECT_EQ(image.at("config_digest"), dockerdiff::sha256_digest(input.at(input_image.config_path).content));
  const auto chains = chain_ids_of(fx.application.layers);
  ASSERT_EQ(image.at("layers").size(), 3U);
  std::uint64_t before = 0;
  for (std::size_t i = 0; i < 3; ++i) {
    const auto& l = image.at("layers")[i];
    EXPECT_EQ(l.at("diff_id"), diff_id_of(fx.application.layers[i]));
    EXPECT_EQ(l.at("chain_id"), chains[i]);
    EXPECT_EQ(l.at("size").get<std::uint64_t>(), fx.application.layers[i].size());
    EXPECT_EQ(l.at("dropped").get<bool>(), i < 2);
    if (i < 2) {
      EXPECT_EQ(l.at("provided_by"), (dir / "base.tar").string());
    } else {
      EXPECT_TRUE(l.at("provided_by").is_null());
    }
    before += fx.application.layers[i].size();
  }
  EXPECT_EQ(image.at("bytes_before").get<std::uint64_t>(), before);
  EXPECT_EQ(image.at("bytes_after").get<std::uint64_t>(), fx.app.size());

  const auto summary = read_file(dir / "summary.md");
  EXPECT_NE(summary.find("| Image |"), std::string::npos) << summary;
  EXPECT_NE(summary.find("|---|"), std::string::npos) << summary;
  EXPECT_NE(summary.find("example.com/app:2.0"), std::string::npos) << summary;
  EXPECT_NE(summary.find(std::string(dockerdiff::digest_hex(chains[1])).substr(0, 12)), std::string::npos) << summary;

  // The record in the archive: what the host must have, per image.
  const auto contents = read_tar(read_file(dir / "app.slim.tar"));
  const auto record = json::parse(contents.at("dockerdiff.json").content);
  EXPECT_EQ(record.at("schema"), "dockerdiff.slim/v1");
  ASSERT_EQ(record.at("images").size(), 1U);
  EXPECT_EQ(record.at("images")[0].at("tags"), json(fx.application.tags));
  const auto& required = record.at("images")[0].at("required");
  ASSERT_EQ(required.size(), 2U);
  for (std::size_t i = 0; i < 2; ++i) {
    EXPECT_EQ(required[i].at("chain_id"), chains[i]);
    EXPECT_EQ(required[i].at("diff_id"), diff_id_of(fx.application.layers[i]));
    EXPECT_EQ(required[i].at("provided_by"), (dir / "base.tar").string());
    EXPECT_EQ(required[i].at("base_images"), json::array({"example.com/base:1.0"}));
  }
}

TEST(SlimReport, CompressedOutputReportCountsCompressedBytes) {
  TempDir dir;
  const BaseAndApp fx;
  write_fixture_file(dir / "base.tar", {fx.base});
  write_fixture_file(dir / "app.tar.zst", {fx.application}, {.archive_compression = Compression::zstd});
  const auto out = run_slim_into(dir, {.targets = {dir / "app.tar.zst"}, .bases = {dir / "base.tar"}, .compression = Compression::zstd});
  EXPECT_EQ(out.report.at("input_bytes").get<std::uint64_t>(), fs::file_size(dir / "app.tar.zst"));
  EXPECT_EQ(out.report.at("output_bytes").get<std::uint64_t>(), out.bytes.size());
  EXPECT_EQ(out.report.at("saved_bytes").get<std::int64_t>(),
            static_cast<std::int64_t>(fs::file_size(dir / "app.tar.zst")) - static_cast<std::int64_t>(out.bytes.size()));
}

// ---------------------------------------------------------------------------------------------
// inspect --json

json inspect(const std::string& path) {
  const TempDir io;
  const auto result = run_dockerdiff(io, {"inspect", "--json", path});
  EXPECT_EQ(result.status, 0) << result.err;
  return json::parse(result.out);
}

TEST(Inspect, JsonReportsLayoutAndLayerFlags) {
  TempDir dir;
  const auto l0 = layer("bottom", 90);
  const auto a = layer("middle", 30);
  const FixtureImage app{{"app:1"}, {l0, a, l0}};
  write_fixture_file(dir / "app.tar", {app});
  const auto doc = inspect(dir / "app.tar");
  EXPECT_EQ(doc.at("layout"), "legacy");
  EXPECT_EQ(doc.at("kind"), "tar");
  EXPECT_EQ(doc.at("stored_bytes").get<std::uint64_t>(), fs::file_size(dir / "app.tar"));
  ASSERT_EQ(doc.at("images").size(), 1U);
  const auto& layers = doc.at("images")[0].at("layers");
  ASSERT_EQ(layers.size(), 3U);
  EXPECT_EQ(layers[0].at("diff_id"), diff_id_of(l0));
  EXPECT_EQ(layers[2].at("chain_id"), chain_ids_of(app.layers)[2]);
  EXPECT_FALSE(layers[0].at("linked").get<bool>());
  EXPECT_TRUE(layers[2].at("linked").get<bool>());
  EXPECT_TRUE(layers[0].at("shared").get<bool>());
  EXPECT_TRUE(layers[2].at("shared").get<bool>());
  EXPECT_FALSE(layers[1].at("shared").get<bool>());
  for (const auto& l : layers) EXPECT_FALSE(l.at("empty").get<bool>());

  // A slim archive: the dropped layer shows as empty.
  const FixtureImage base{{"base:1"}, {l0}};
  write_fixture_file(dir / "base.tar", {base});
  run_slim_into(dir, {.targets = {dir / "app.tar"}, .bases = {dir / "base.tar"}, .layout = LayoutMode::keep, .output_name = "slim.tar"});
  const auto slim = inspect(dir / "slim.tar");
  EXPECT_EQ(slim.at("layout"), "legacy");
  const auto& slim_layers = slim.at("images")[0].at("layers");
  EXPECT_TRUE(slim_layers[0].at("empty").get<bool>());
  EXPECT_EQ(slim_layers[0].at("size").get<std::uint64_t>(), 0U);
  EXPECT_FALSE(slim_layers[1].at("empty").get<bool>());
  EXPECT_FALSE(slim_layers[2].at("empty").get<bool>());
  EXPECT_EQ(slim_layers[2].at("size").get<std::uint64_t>(), l0.size());

  // An OCI archive: layout and blob digests.
  write_fixture_file(dir / "oci.tar", {app}, {.layout = FixtureLayout::oci, .layer_compression = Compression::gzip});
  const auto oci = inspect(dir / "oci.tar");
  EXPECT_EQ(oci.at("layout"), "oci");
  const auto& oci_layers = oci.at("images")[0].at("layers");
  EXPECT_EQ(oci_layers[1].at("media_type"), "application/vnd.oci.image.layer.v1.tar+gzip");
  EXPECT_TRUE(oci_layers[0].at("shared").get<bool>());  // one blob for positions 0 and 2
  EXPECT_FALSE(oci_layers[0].at("linked").get<bool>());
  EXPECT_NE(oci_layers[0].at("blob_digest"), oci_layers[0].at("diff_id"));
}

}  // namespace
}  // namespace dockerdiff::testing
