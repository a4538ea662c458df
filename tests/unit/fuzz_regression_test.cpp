// Fuzz regressions: every input under tests/fuzz_regressions/<target>/ (something a fuzz target
// once found, kept after the fix) runs again through the harness the fuzz targets run
// (fuzz/harness.hpp): it must be refused with dockerdiff::Error or accepted, with every invariant
// of the harness holding. Under -DDOCKERDIFF_SANITIZE=ON a memory error is caught here as well.
// The seed corpora of every target run too, so the harness itself stays sound in every build.

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "dockerdiff/archive/archive_input.hpp"
#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/commands/plan_writer.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/image/base_set.hpp"
#include "dockerdiff/image/entry_index.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/plan/slim_plan.hpp"
#include "harness.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace fz = dockerdiff::fuzz;
namespace fx = dockerdiff::testing;

struct Regression {
  fz::Target target;
  fs::path path;
};

std::vector<Regression> regressions() {
  std::vector<Regression> out;
  const fs::path root = fs::path(DOCKERDIFF_SOURCE_DIR) / "tests" / "fuzz_regressions";
  for (const auto target : fz::kTargets) {
    const auto dir = root / std::string(fz::target_name(target));
    if (!fs::is_directory(dir)) continue;
    for (const auto& file : fs::directory_iterator(dir)) {
      if (file.is_regular_file()) out.push_back({target, file.path()});
    }
  }
  std::sort(out.begin(), out.end(), [](const Regression& a, const Regression& b) { return a.path < b.path; });
  return out;
}

std::string test_name(const std::string& text) {
  std::string out;
  for (const char c : text) out += std::isalnum(static_cast<unsigned char>(c)) != 0 ? c : '_';
  return out;
}

class FuzzRegression : public ::testing::TestWithParam<Regression> {};

TEST_P(FuzzRegression, RunsClean) {
  const auto& regression = GetParam();
  const auto bytes = fx::read_file(regression.path);
  EXPECT_NO_THROW(fz::run(regression.target, bytes)) << regression.path;
}

INSTANTIATE_TEST_SUITE_P(Inputs, FuzzRegression, ::testing::ValuesIn(regressions()),
                         [](const ::testing::TestParamInfo<Regression>& param_info) {
                           return test_name(std::string(fz::target_name(param_info.param.target)) + "_" +
                                            param_info.param.path.filename().string());
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(FuzzRegression);

// fuzz_entries and fuzz_archive: an entry whose name is not ASCII (UTF-8 or not) crashed slim
// --layout keep in libarchive's header encoder (a NULL strlen, in the C locale the tool runs in); a
// link target that is not ASCII was silently written empty. Both are refused now, naming the entry,
// before any output exists.
class NonAsciiNames : public ::testing::TestWithParam<fx::RawEntry> {};

// The cases below, in order.
std::string non_ascii_case_name(const ::testing::TestParamInfo<fx::RawEntry>& param_info) {
  static const char* const names[] = {"name_invalid_utf8", "long_name_invalid_utf8", "name_utf8",
                                      "directory_utf8",    "link_to_invalid_utf8",   "link_to_utf8",
                                      "long_link_to_invalid_utf8"};
  return param_info.index < std::size(names) ? std::string(names[param_info.index]) : "case" + std::to_string(param_info.index);
}

TEST_P(NonAsciiNames, SlimRefusesThemWithAnError) {
  const fx::TempDir dir("dockerdiff-fuzz-regression");
  auto entries = std::vector<fx::RawEntry>{};
  const auto fixture = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}},
                                         fx::FixtureOptions{fx::FixtureLayout::docker25});
  const auto contents = fx::read_tar(fixture);
  for (const auto& path : fx::entry_order(fixture)) {
    const auto& entry = contents.at(path);
    entries.push_back({path, entry.content, entry.type, entry.link_target});
  }
  entries.push_back(GetParam());
  const auto archive_path = dir / "bad.tar";
  fx::write_file(archive_path, fx::write_raw_tar(entries));
  const auto input = dockerdiff::archive::open_tar_archive(archive_path, "bad.tar");
  const dockerdiff::image::EntryIndex index(input->entries(), input->name());
  const auto images = dockerdiff::image::read_image_archive(index);
  dockerdiff::image::BaseSet bases;
  bases.add_image("base.tar", "base:1", {fx::diff_id_of(fx::sample_base_layer())});
  for (const auto mode : {dockerdiff::plan::LayoutMode::keep, dockerdiff::plan::LayoutMode::automatic}) {
    try {
      const auto plan = dockerdiff::plan::plan_slim({{"bad.tar", &input->entries(), &images}}, bases, mode);
      dockerdiff::archive::MemorySink out;
      dockerdiff::commands::write_plan(plan, {input.get()}, out);
      // The Docker 25+ conversion of a docker25 input keeps its entries: it must not get here.
      FAIL() << "slim wrote an archive with an entry name that is not ASCII";
    } catch (const dockerdiff::Error& error) {
      EXPECT_NE(std::string(error.what()).find("is not ASCII"), std::string::npos) << error.what();
      EXPECT_TRUE(std::string(error.what()).starts_with(GetParam().path + ": ")) << error.what();
    }
  }
}

INSTANTIATE_TEST_SUITE_P(
    Entries, NonAsciiNames,
    ::testing::Values(fx::RawEntry{"blobs/x\xff", "data", dockerdiff::archive::EntryType::regular, {}},
                      fx::RawEntry{"blobs/" + std::string(120, 'x') + "\xff", "data", dockerdiff::archive::EntryType::regular, {}},
                      fx::RawEntry{"blobs/caf\xc3\xa9", "data", dockerdiff::archive::EntryType::regular, {}},
                      fx::RawEntry{"caf\xc3\xa9", {}, dockerdiff::archive::EntryType::directory, {}},
                      fx::RawEntry{"blobs/link", {}, dockerdiff::archive::EntryType::symlink, "x\xff"},
                      fx::RawEntry{"blobs/link", {}, dockerdiff::archive::EntryType::symlink, "caf\xc3\xa9"},
                      fx::RawEntry{"blobs/longlink", {}, dockerdiff::archive::EntryType::symlink, std::string(120, 'x') + "\xff"}),
    non_ascii_case_name);

// Found while fuzzing (by reading what the fuzzers reach): JSON output that quotes a name which
// is not UTF-8 (a tar entry name, a file named on the command line) threw nlohmann's type_error
// 316 and ended the command with "internal error". Such bytes now become U+FFFD.
class NonUtf8JsonOutput : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto fixture = fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}});
    const auto contents = fx::read_tar(fixture);
    for (const auto& path : fx::entry_order(fixture)) {
      const auto& entry = contents.at(path);
      entries_.push_back({path, entry.content, entry.type, entry.link_target});
    }
    fx::write_file(dir_ / "base.tar", fx::write_fixture({{{"base:1"}, {fx::sample_base_layer()}}}));
  }

  fx::RunResult run(const std::vector<std::string>& args) const {
    return fx::run_program(DOCKERDIFF_BIN, args, {.cwd = dir_.path()});
  }

  static void expect_json(const std::string& text) {
    EXPECT_TRUE(nlohmann::json::accept(text)) << text;
    EXPECT_NE(text.find("\xef\xbf\xbd"), std::string::npos) << "no U+FFFD in " << text;
  }

  fx::TempDir dir_{"dockerdiff-fuzz-regression"};
  std::vector<fx::RawEntry> entries_;
};

TEST_F(NonUtf8JsonOutput, InspectJsonOfALayerStoredUnderSuchAName) {
  // The first layer's data moves to a name with a stray byte; its old name links there.
  const auto it = std::find_if(entries_.begin(), entries_.end(),
                               [](const fx::RawEntry& e) { return e.path.ends_with("/layer.tar"); });
  ASSERT_NE(it, entries_.end());
  const auto old_path = it->path;
  it->path = old_path.substr(0, old_path.size() - 9) + "\xff.tar";
  entries_.insert(it + 1, fx::RawEntry{old_path, {}, dockerdiff::archive::EntryType::symlink, "\xff.tar"});
  fx::write_file(dir_ / "app.tar", fx::write_raw_tar(entries_));
  const auto result = run({"inspect", "app.tar", "--json"});
  EXPECT_EQ(result.status, 0) << result.err;
  expect_json(result.out);
}

TEST_F(NonUtf8JsonOutput, VerifyJsonOfAProblemWithSuchAName) {
  entries_.push_back({"blobs/sha256/\xff", "x", dockerdiff::archive::EntryType::regular, {}});
  fx::write_file(dir_ / "app.tar", fx::write_raw_tar(entries_));
  const auto result = run({"verify", "app.tar", "--json"});
  EXPECT_EQ(result.status, 1) << result.err;
  expect_json(result.out);
}

TEST_F(NonUtf8JsonOutput, SlimRecordAndReportOfABaseWithSuchAFileName) {
  fx::write_file(dir_ / "app.tar", fx::write_raw_tar(entries_));
  fs::copy_file(dir_ / "base.tar", dir_ / "b\xff.tar");
  const auto result = run({"slim", "app.tar", "-b", "b\xff.tar", "-o", "out.tar", "--report", "report.json", "-q"});
  ASSERT_EQ(result.status, 0) << result.err;
  expect_json(fx::read_tar(fx::read_file(dir_ / "out.tar")).at("dockerdiff.json").content);
  expect_json(fx::read_file(dir_ / "report.json"));
}

class FuzzSeeds : public ::testing::TestWithParam<fz::Target> {};

TEST_P(FuzzSeeds, EverySeedRunsClean) {
  const auto seeds = fz::seeds(GetParam());
  EXPECT_GE(seeds.size(), 3U);
  for (const auto& [name, bytes] : seeds) EXPECT_NO_THROW(fz::run(GetParam(), bytes)) << name;
}

INSTANTIATE_TEST_SUITE_P(Targets, FuzzSeeds, ::testing::ValuesIn(fz::kTargets),
                         [](const ::testing::TestParamInfo<fz::Target>& param_info) {
                           return std::string(fz::target_name(param_info.param));
                         });

}  // namespace
