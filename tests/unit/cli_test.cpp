// The command line, run as the real executable: usage errors exit 2 with one line and touch nothing;
// --version, --help, the summary on stderr, -q, inspect's text, and where outputs may be written.

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
using dockerdiff::archive::Compression;
using nlohmann::json;
namespace fx = dockerdiff::testing;

using fx::RunResult;
using fx::snapshot;
using fx::temporary_files;

// A run that takes longer than this is killed (exit status 124): a hang is a failure, not a stuck suite.
constexpr int kTimeoutSeconds = 60;

fx::FixtureOptions layout_options(fx::FixtureLayout layout) {
  fx::FixtureOptions options;
  options.layout = layout;
  return options;
}

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = root_ / "work";
    fs::create_directories(work_);
    fx::write_file(work_ / "base.tar", fx::write_fixture({{{"base:1"}, {fx::sample_base_layer()}}}));
    fx::write_file(work_ / "app.tar", fx::write_fixture({{{"app:1", "app:latest"}, {fx::sample_base_layer(), fx::sample_app_layer()}}}));
  }

  // Runs `dockerdiff ARGS` in the work directory, stdin from /dev/null.
  RunResult run(const std::vector<std::string>& args) const {
    fx::RunOptions options;
    options.cwd = work_;
    options.timeout_seconds = kTimeoutSeconds;
    return fx::run_program(DOCKERDIFF_BIN, args, options);
  }

  static void expect_one_line(const RunResult& result) {
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << "stderr: " << result.err;
    EXPECT_TRUE(result.err.ends_with("\n")) << "stderr: " << result.err;
    EXPECT_TRUE(result.err.starts_with("dockerdiff: ")) << "stderr: " << result.err;
  }

  // Exit status 2, one line on stderr naming each of `parts`, nothing on stdout, and the work
  // directory exactly as it was (no output, no temporary file, inputs unchanged).
  void expect_usage_error(const std::vector<std::string>& args, const std::vector<std::string>& parts = {}) const {
    SCOPED_TRACE(fx::command_line(args));
    const auto before = snapshot(work_);
    const auto result = run(args);
    EXPECT_EQ(result.status, 2) << "stderr: " << result.err;
    expect_one_line(result);
    EXPECT_TRUE(result.out.empty()) << "stdout: " << result.out.substr(0, 200);
    for (const auto& part : parts) {
      EXPECT_NE(result.err.find(part), std::string::npos) << "expected \"" << part << "\" in: " << result.err;
    }
    EXPECT_EQ(snapshot(work_), before);
  }

  const fx::TempDir root_{"dockerdiff-cli"};
  fs::path work_;
};

// ---------------------------------------------------------------------------------------------
// Usage errors: exit 2, one line.

TEST_F(CliTest, NoSubcommand) { expect_usage_error({}); }

TEST_F(CliTest, UnknownSubcommand) { expect_usage_error({"frobnicate", "app.tar"}); }

TEST_F(CliTest, UnknownOption) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--frobnicate"}, {"--frobnicate"});
}

TEST_F(CliTest, UnknownOptionOfInspect) { expect_usage_error({"inspect", "app.tar", "--frobnicate"}, {"--frobnicate"}); }

TEST_F(CliTest, SlimWithoutBase) { expect_usage_error({"slim", "app.tar", "-o", "out.tar"}, {"base"}); }

TEST_F(CliTest, SlimWithoutTarget) { expect_usage_error({"slim", "-b", "base.tar", "-o", "out.tar"}, {"TARGET"}); }

TEST_F(CliTest, InspectWithoutArchive) { expect_usage_error({"inspect"}, {"ARCHIVE"}); }

TEST_F(CliTest, BothOutputAndOutputDir) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--output-dir", "outdir"}, {"-o", "--output-dir"});
}

TEST_F(CliTest, NeitherOutputNorOutputDir) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar"}, {"-o", "--output-dir"});
}

TEST_F(CliTest, TwoTargetsWithOutputAndNoBundle) {
  fx::write_file(work_ / "other.tar", fx::write_fixture({{{"other:1"}, {fx::sample_base_layer()}}}));
  expect_usage_error({"slim", "app.tar", "other.tar", "-b", "base.tar", "-o", "out.tar"}, {"--bundle"});
}

TEST_F(CliTest, BundleWithoutOutput) {
  fx::write_file(work_ / "other.tar", fx::write_fixture({{{"other:1"}, {fx::sample_base_layer()}}}));
  expect_usage_error({"slim", "app.tar", "other.tar", "-b", "base.tar", "--bundle", "--output-dir", "outdir"}, {"--bundle"});
}

TEST_F(CliTest, LayoutBogus) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--layout", "bogus"}, {"--layout", "bogus"});
}

TEST_F(CliTest, CompressBogus) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "bogus"}, {"--compress", "bogus"});
}

// The options of an enum type take its names only, not the numbers behind them.
TEST_F(CliTest, EnumOptionGivenANumber) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--layout", "1"}, {"--layout", "{auto,keep}"});
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "0"}, {"--compress", "zstd"});
  expect_usage_error({"restore", "app.tar", "-b", "base.tar", "-o", "out.tar", "--layout", "0"}, {"--layout"});
  expect_usage_error({"inventory", "--engine", "1"}, {"--engine", "{docker,podman}"});
  expect_usage_error({"check", "app.tar", "--engine", "0"}, {"--engine"});
}

TEST_F(CliTest, LevelWithoutCompress) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--level", "3"}, {"--level"});
}

TEST_F(CliTest, LevelWithCompressNone) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "none", "--level", "3"}, {"--level"});
}

TEST_F(CliTest, LevelTooHighForGzip) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "gzip", "--level", "30"}, {"--level"});
}

TEST_F(CliTest, LevelTooHighForZstd) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "zstd", "--level", "20"}, {"--level"});
}

TEST_F(CliTest, LevelNegative) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "gzip", "--level=-1"}, {"--level"});
}

TEST_F(CliTest, LevelNotANumber) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "gzip", "--level", "fast"}, {"--level"});
}

// "--level 0" is a level given without --compress, like any other.
TEST_F(CliTest, LevelZeroWithoutCompress) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--level", "0"}, {"--level"});
}

// gzip levels are 1..9: 0 is out of range like 30.
TEST_F(CliTest, LevelZeroWithGzip) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--compress", "gzip", "--level", "0"}, {"--level"});
}

TEST_F(CliTest, DockerWithEmptyReference) {
  expect_usage_error({"slim", "docker:", "-b", "base.tar", "-o", "out.tar"}, {"docker:"});
  expect_usage_error({"slim", "app.tar", "-b", "docker:", "-o", "out.tar"}, {"docker:"});
  expect_usage_error({"slim", "docker:", "-b", "base.tar", "--output-dir", "outdir"}, {"docker:"});
  expect_usage_error({"inspect", "docker:"}, {"docker:"});
}

TEST_F(CliTest, PodmanWithEmptyReference) {
  expect_usage_error({"slim", "podman:", "-b", "base.tar", "-o", "out.tar"}, {"podman:"});
  expect_usage_error({"inspect", "podman:"}, {"podman:"});
}

TEST_F(CliTest, LoadWithoutArchive) { expect_usage_error({"load"}, {"SLIM"}); }

TEST_F(CliTest, LoadOfAnEngineImage) { expect_usage_error({"load", "docker:app:1"}, {"docker:app:1", "slim archive file"}); }

TEST_F(CliTest, LoadEngineBogus) { expect_usage_error({"load", "app.tar", "--engine", "lxc"}, {"--engine"}); }

// The archive is read before any engine is asked: a missing file is one line, exit 1.
TEST_F(CliTest, LoadOfAMissingArchive) {
  const auto before = snapshot(work_);
  const auto result = run({"load", "missing.tar"});
  EXPECT_EQ(result.status, 1) << result.err;
  expect_one_line(result);
  EXPECT_NE(result.err.find("missing.tar"), std::string::npos) << result.err;
  EXPECT_EQ(snapshot(work_), before);
}

TEST_F(CliTest, StdinTwice) { expect_usage_error({"slim", "-", "-b", "-", "-o", "out.tar"}, {"stdin"}); }

TEST_F(CliTest, OutputEqualsTarget) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "app.tar"}, {"app.tar"});
}

TEST_F(CliTest, OutputEqualsTargetSpelledDifferently) {
  fs::create_directories(work_ / "sub");
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "sub/../app.tar"}, {"app.tar"});
  expect_usage_error({"slim", (work_ / "app.tar").string(), "-b", "base.tar", "-o", "./app.tar"}, {"app.tar"});
}

TEST_F(CliTest, OutputEqualsBase) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "base.tar"}, {"base.tar"});
}

// Refused before anything is read: an unreadable target gives the usage error (2), not a bad-input
// error (1), and stays as it was.
TEST_F(CliTest, OutputEqualsInputIsRefusedBeforeReading) {
  fx::write_file(work_ / "garbage.tar", std::string(3000, 'g'));
  expect_usage_error({"slim", "garbage.tar", "-b", "base.tar", "-o", "garbage.tar"}, {"garbage.tar"});
  expect_usage_error({"slim", "app.tar", "-b", "garbage.tar", "-o", "garbage.tar"}, {"garbage.tar"});
  expect_usage_error({"slim", "app.tar", "-b", "missing.tar", "-o", "app.tar"}, {"app.tar"});
}

TEST_F(CliTest, ReportOrSummaryEqualsInput) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--report", "base.tar"}, {"base.tar"});
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--summary", "app.tar"}, {"app.tar"});
}

TEST_F(CliTest, TwoTargetsWithTheSameOutputDirName) {
  fx::write_file(work_ / "a" / "app.tar", fx::read_file(work_ / "app.tar"));
  fx::write_file(work_ / "b" / "app.tar.gz", fx::write_fixture({{{"app:2"}, {fx::sample_base_layer(), fx::sample_app_layer()}}},
                                                               fx::FixtureOptions{fx::FixtureLayout::legacy, Compression::gzip}));
  // Refused before the output directory is made or anything is read.
  expect_usage_error({"slim", "a/app.tar", "b/app.tar.gz", "-b", "base.tar", "--output-dir", "outdir"}, {"app.slim.tar"});
  EXPECT_FALSE(fs::exists(work_ / "outdir"));
}

// ---------------------------------------------------------------------------------------------
// What succeeds.

TEST_F(CliTest, Version) {
  const auto result = run({"--version"});
  EXPECT_EQ(result.status, 0);
  EXPECT_EQ(result.out, "dockerdiff 0.1.0\n");
  EXPECT_EQ(result.err, "");
}

TEST_F(CliTest, Help) {
  const auto result = run({"--help"});
  EXPECT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.out.find("slim"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("inspect"), std::string::npos) << result.out;

  const auto slim = run({"slim", "--help"});
  EXPECT_EQ(slim.status, 0) << slim.err;
  EXPECT_NE(slim.out.find("--base"), std::string::npos) << slim.out;
  EXPECT_NE(slim.out.find("--output-dir"), std::string::npos) << slim.out;
}

TEST_F(CliTest, SlimPrintsTheSummaryOnStderr) {
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.out, "");
  EXPECT_NE(result.err.find("kept"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("dropped"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("app:1"), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("out.tar"), std::string::npos) << result.err;
  ASSERT_TRUE(fs::exists(work_ / "out.tar"));
  std::size_t checked = 0;
  EXPECT_EQ(fx::check_layers_read_back(fx::read_file(work_ / "out.tar"), &checked), std::vector<std::string>{});
  EXPECT_EQ(checked, 1U);  // the app layer; the base layer is dropped
  EXPECT_EQ(temporary_files(work_), std::vector<std::string>{});
}

// The image line counts uncompressed layer bytes, the archive line the files as stored: with a
// compressed archive on either side the two differ, and the summary says why.
TEST_F(CliTest, SummaryNamesTheCompressionOfEachArchive) {
  fx::FixtureOptions gzip;
  gzip.archive_compression = Compression::gzip;
  fx::write_file(work_ / "app.tar.gz",
                 fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}}, gzip));
  const auto compressed = run({"slim", "app.tar.gz", "-b", "base.tar", "-o", "out.tar.zst", "--compress", "zstd"});
  ASSERT_EQ(compressed.status, 0) << compressed.err;
  EXPECT_NE(compressed.err.find(" gzip -> "), std::string::npos) << compressed.err;
  EXPECT_NE(compressed.err.find(" zstd (saved "), std::string::npos) << compressed.err;
  EXPECT_NE(compressed.err.find("layer figures are uncompressed bytes"), std::string::npos) << compressed.err;
  EXPECT_NE(compressed.err.find(" of layers (saved "), std::string::npos) << compressed.err;

  const auto plain = run({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--summary", "summary.md"});
  ASSERT_EQ(plain.status, 0) << plain.err;
  EXPECT_EQ(plain.err.find("gzip"), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find("layer figures are uncompressed bytes"), std::string::npos) << plain.err;
  EXPECT_EQ(fx::read_file(work_ / "summary.md").find("(compressed)"), std::string::npos);

  const auto markdown = run({"slim", "app.tar.gz", "-b", "base.tar", "-o", "out2.tar", "--summary", "gz.md", "-q"});
  ASSERT_EQ(markdown.status, 0) << markdown.err;
  const auto summary = fx::read_file(work_ / "gz.md");
  EXPECT_NE(summary.find(" gzip | "), std::string::npos) << summary;
  EXPECT_NE(summary.find("Artifact sizes are the files as stored (compressed)"), std::string::npos) << summary;
}

TEST_F(CliTest, QuietPrintsNothing) {
  for (const char* quiet : {"-q", "--quiet"}) {
    SCOPED_TRACE(quiet);
    fs::remove(work_ / "out.tar");
    const auto result = run({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", quiet});
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.err, "");
    EXPECT_EQ(result.out, "");
    EXPECT_TRUE(fs::exists(work_ / "out.tar"));
  }
}

TEST_F(CliTest, SlimToStdout) {
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "-o", "-"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_NE(result.err.find("kept"), std::string::npos) << result.err;
  std::size_t checked = 0;
  EXPECT_EQ(fx::check_layers_read_back(result.out, &checked), std::vector<std::string>{});
  EXPECT_EQ(checked, 1U);
}

TEST_F(CliTest, InspectTextNamesTheLayoutAndTheTags) {
  const struct {
    fx::FixtureLayout layout;
    const char* name;
  } layouts[] = {{fx::FixtureLayout::legacy, "legacy layout"},
                 {fx::FixtureLayout::docker25, "docker25 layout"},
                 {fx::FixtureLayout::oci, "oci layout"}};
  for (const auto& [layout, name] : layouts) {
    SCOPED_TRACE(name);
    fx::write_file(work_ / "image.tar", fx::write_fixture({{{"registry.example/app:1.0", "registry.example/app:latest"},
                                                            {fx::sample_base_layer(), fx::sample_app_layer()}}},
                                                          layout_options(layout)));
    const auto result = run({"inspect", "image.tar"});
    EXPECT_EQ(result.status, 0) << result.err;
    EXPECT_EQ(result.err, "");
    EXPECT_NE(result.out.find("image.tar"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find(name), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("registry.example/app:1.0"), std::string::npos) << result.out;
    EXPECT_NE(result.out.find("registry.example/app:latest"), std::string::npos) << result.out;
  }
}

TEST_F(CliTest, InspectJson) {
  const auto result = run({"inspect", "--json", "app.tar"});
  ASSERT_EQ(result.status, 0) << result.err;
  const auto document = json::parse(result.out);
  EXPECT_EQ(document.at("layout"), "legacy");
  ASSERT_EQ(document.at("images").size(), 1U);
  EXPECT_EQ(document.at("images")[0].at("tags"), json::array({"app:1", "app:latest"}));
  EXPECT_EQ(document.at("images")[0].at("layers").size(), 2U);
}

TEST_F(CliTest, OutputDirIsCreated) {
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "--output-dir", "new/nested/dir", "-q"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_TRUE(fs::is_regular_file(work_ / "new" / "nested" / "dir" / "app.slim.tar"));
  EXPECT_EQ(temporary_files(work_), std::vector<std::string>{});
}

TEST_F(CliTest, OutputDirNamesFollowTheCompression) {
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "--output-dir", "dist", "--compress", "zstd", "-q"});
  ASSERT_EQ(result.status, 0) << result.err;
  ASSERT_TRUE(fs::is_regular_file(work_ / "dist" / "app.slim.tar.zst"));
  EXPECT_EQ(fx::check_layers_read_back(fx::read_file(work_ / "dist" / "app.slim.tar.zst")), std::vector<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// Outputs that cannot be written: exit 1, one line, nothing left.

TEST_F(CliTest, OutputIntoMissingDirectory) {
  const auto before = snapshot(work_);
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "-o", "nodir/out.tar"});
  EXPECT_EQ(result.status, 1) << result.err;
  expect_one_line(result);
  EXPECT_NE(result.err.find("nodir/out.tar"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(work_ / "nodir"));
  EXPECT_EQ(snapshot(work_), before);
}

TEST_F(CliTest, OutputIsAnExistingDirectory) {
  fs::create_directories(work_ / "adir");
  const auto before = snapshot(work_);
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "-o", "adir"});
  EXPECT_EQ(result.status, 1) << result.err;
  expect_one_line(result);
  EXPECT_NE(result.err.find("adir"), std::string::npos) << result.err;
  EXPECT_EQ(snapshot(work_), before);
}

TEST_F(CliTest, ReportIntoMissingDirectory) {
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--report", "nodir/report.json"});
  EXPECT_EQ(result.status, 1) << result.err;
  expect_one_line(result);
  EXPECT_NE(result.err.find("nodir/report.json"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(work_ / "nodir"));
  EXPECT_EQ(temporary_files(work_), std::vector<std::string>{});
}

TEST_F(CliTest, OutputDirThatIsAFile) {
  fx::write_file(work_ / "afile", "x");
  const auto before = snapshot(work_);
  const auto result = run({"slim", "app.tar", "-b", "base.tar", "--output-dir", "afile"});
  EXPECT_EQ(result.status, 1) << result.err;
  expect_one_line(result);
  EXPECT_NE(result.err.find("afile"), std::string::npos) << result.err;
  EXPECT_EQ(snapshot(work_), before);
}

}  // namespace
