// The hostile corpus (tests/hostile/): each committed archive, given to the real executable in the
// role tests/hostile/expected.txt names, is refused with exit status 1 and the expected one line,
// and leaves nothing behind. The files themselves must be what tests/support/hostile.cpp makes.

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"
#include "support/hostile.hpp"

namespace {

namespace fs = std::filesystem;
namespace fx = dockerdiff::testing;

const fs::path kCorpus = fs::path(DOCKERDIFF_SOURCE_DIR) / "tests" / "hostile";
constexpr int kTimeoutSeconds = 60;

struct Expectation {
  std::string file;
  std::string role;
  std::string pattern;
  int line = 0;
};

void PrintTo(const Expectation& e, std::ostream* os) { *os << e.file << " " << e.role; }

std::vector<Expectation> expectations() {
  std::vector<Expectation> out;
  std::ifstream in(kCorpus / "expected.txt");
  std::string text;
  for (int number = 1; std::getline(in, text); ++number) {
    if (text.empty() || text.front() == '#') continue;
    std::istringstream fields(text);
    Expectation e;
    fields >> e.file >> e.role;
    std::getline(fields >> std::ws, e.pattern);
    e.line = number;
    out.push_back(e);
  }
  return out;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

TEST(HostileCorpus, CommittedFilesAreWhatTheGeneratorMakes) {
  std::set<std::string> made;
  for (const auto& [name, bytes] : fx::hostile_archives()) {
    SCOPED_TRACE(name);
    made.insert(name);
    ASSERT_TRUE(fs::exists(kCorpus / name)) << "regenerate with: cmake --build build --target dockerdiff_make_hostile";
    EXPECT_TRUE(fx::read_file(kCorpus / name) == bytes) << "regenerate with: cmake --build build --target dockerdiff_make_hostile";
  }
  std::uintmax_t total = 0;
  for (const auto& entry : fs::directory_iterator(kCorpus)) {
    const auto name = entry.path().filename().string();
    total += entry.file_size();
    if (name != "expected.txt") {
      EXPECT_TRUE(made.contains(name)) << name << " is not made by tests/support/hostile.cpp";
    }
  }
  EXPECT_LT(total, std::uintmax_t{1} << 20) << "the corpus is meant to stay small";
}

TEST(HostileCorpus, ExpectedListsEveryFileAndOnlyThem) {
  std::set<std::string> listed;
  for (const auto& e : expectations()) {
    listed.insert(e.file);
    EXPECT_TRUE(fs::exists(kCorpus / e.file)) << "expected.txt:" << e.line << ": no file " << e.file;
    EXPECT_TRUE(e.role == "slim" || e.role == "base" || e.role == "restore" || e.role == "inspect" || e.role == "verify")
        << "expected.txt:" << e.line << ": unknown role " << e.role;
    EXPECT_FALSE(e.pattern.empty()) << "expected.txt:" << e.line;
  }
  for (const auto& [name, bytes] : fx::hostile_archives()) EXPECT_TRUE(listed.contains(name)) << name << " is in no line of expected.txt";
}

class HostileCorpusTest : public ::testing::TestWithParam<Expectation> {
 protected:
  void SetUp() override {
    work_ = root_ / "work";
    tmp_ = root_ / "tmp";
    for (const auto& dir : {work_, tmp_}) fs::create_directories(dir);
    fx::write_file(work_ / "base.tar", fx::hostile_base_archive());
    fx::write_file(work_ / "good.tar", fx::hostile_good_archive());
  }

  const fx::TempDir root_{"dockerdiff-hostile"};
  fs::path work_;
  fs::path tmp_;  // TMPDIR of the run: must be empty afterwards
};

TEST_P(HostileCorpusTest, RefusedWithTheExpectedLine) {
  const auto& e = GetParam();
  SCOPED_TRACE("tests/hostile/expected.txt:" + std::to_string(e.line));
  fs::copy_file(kCorpus / e.file, work_ / e.file);
  const std::map<std::string, std::vector<std::string>> roles{
      {"slim", {"slim", e.file, "-b", "base.tar", "-o", "out.tar"}},
      {"base", {"slim", "good.tar", "-b", e.file, "-o", "out.tar"}},
      {"restore", {"restore", e.file, "-b", "base.tar", "-o", "out.tar"}},
      {"inspect", {"inspect", e.file}},
      {"verify", {"verify", e.file}},
  };
  const auto& args = roles.at(e.role);
  const auto before = fx::snapshot(work_);
  fx::RunOptions options;
  options.cwd = work_;
  options.env = {"TMPDIR=" + tmp_.string()};
  options.timeout_seconds = kTimeoutSeconds;
  const auto result = fx::run_program(DOCKERDIFF_BIN, args, options);
  const std::regex pattern(e.pattern, std::regex::ECMAScript);

  EXPECT_EQ(result.status, 1) << "stderr: " << result.err;
  const auto err = lines_of(result.err);
  ASSERT_EQ(err.size(), 1U) << "stderr: " << result.err;
  EXPECT_TRUE(result.err.ends_with("\n"));
  if (e.role == "verify") {
    EXPECT_TRUE(std::regex_match(err[0], std::regex(".*: [0-9]+ problems?"))) << err[0];
    const auto problems = lines_of(result.out);
    EXPECT_FALSE(problems.empty());
    for (const auto& line : problems) EXPECT_TRUE(line.starts_with(e.file + ": ")) << line;
    EXPECT_TRUE(std::any_of(problems.begin(), problems.end(), [&](const std::string& line) { return std::regex_search(line, pattern); }))
        << "no problem line matches /" << e.pattern << "/ in:\n" << result.out;
  } else {
    EXPECT_TRUE(result.out.empty()) << "stdout: " << result.out.substr(0, 200);
    EXPECT_TRUE(std::regex_search(err[0], pattern)) << "/" << e.pattern << "/ does not match: " << err[0];
  }
  EXPECT_FALSE(fs::exists(work_ / "out.tar"));
  EXPECT_EQ(fx::temporary_files(work_), std::vector<std::string>{});
  EXPECT_EQ(fx::snapshot(work_), before);
  EXPECT_EQ(fx::snapshot(tmp_), (std::map<std::string, std::string>{}));
}

std::string test_name(const ::testing::TestParamInfo<Expectation>& param) {
  std::string name = param.param.file + "_" + param.param.role;
  for (auto& c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  }
  return name;
}

INSTANTIATE_TEST_SUITE_P(Corpus, HostileCorpusTest, ::testing::ValuesIn(expectations()), test_name);

}  // namespace
