// Progress on stderr: the line's format, what each mode writes where (a pipe, a terminal), and
// --progress through the binary (ProgressCli, label cli): lines in plain mode, nothing from auto in a
// pipe or with -q, and the same archive whatever the mode.

#include <fcntl.h>
#include <pty.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "dockerdiff/util/progress.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace fx = dockerdiff::testing;
namespace progress = dockerdiff::progress;

constexpr std::uint64_t kMiB = std::uint64_t{1} << 20;

TEST(ProgressLine, KnownTotalHasRateAndEta) {
  EXPECT_EQ(progress::format_line("reading app.tar", 512 * kMiB, 1536 * kMiB, 4.0, 128.0 * kMiB, 0),
            "reading app.tar  512.0 MiB / 1.5 GiB  128.0 MiB/s  ETA 8s");
}

TEST(ProgressLine, UnknownTotalHasNoTotalAndNoEta) {
  EXPECT_EQ(progress::format_line("reading -", 512 * kMiB, 0, 4.0, 128.0 * kMiB, 0), "reading -  512.0 MiB  128.0 MiB/s");
}

TEST(ProgressLine, NoRateRightAfterTheStart) {
  EXPECT_EQ(progress::format_line("writing out.tar", 1024, 2048, 0.1, 10240.0, 0), "writing out.tar  1.0 KiB / 2.0 KiB");
}

TEST(ProgressLine, LongEtaInMinutesAndHours) {
  EXPECT_EQ(progress::format_line("x", 0, 600 * kMiB, 1.0, 1.0 * kMiB, 0), "x  0 B / 600.0 MiB  1.0 MiB/s  ETA 10m00s");
  EXPECT_EQ(progress::format_line("x", 0, 7200 * kMiB, 1.0, 1.0 * kMiB, 0), "x  0 B / 7.0 GiB  1.0 MiB/s  ETA 2h00m");
}

TEST(ProgressLine, NoEtaOnceDone) {
  EXPECT_EQ(progress::format_line("x", 2048, 2048, 1.0, 2048.0, 0), "x  2.0 KiB / 2.0 KiB  2.0 KiB/s");
}

TEST(ProgressLine, CutToTheWidthNameFirst) {
  const auto line = progress::format_line("reading a-very-long-archive-name.tar", 0, 0, 0, 0, 20);
  EXPECT_EQ(line, "reading a-ve...  0 B");
  EXPECT_EQ(progress::format_line("reading a.tar", 0, 0, 0, 0, 3).size(), 3U);
}

TEST(ProgressLine, ControlCharactersOfANameAreEscaped) {
  const auto line = progress::format_line("reading a\rb\x1b[2J.tar", 0, 0, 0, 0, 0);
  EXPECT_EQ(line.find('\r'), std::string::npos) << line;
  EXPECT_EQ(line.find('\x1b'), std::string::npos) << line;
}

// Everything readable from `fd` without waiting.
std::string drain(int fd) {
  ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
  std::string text;
  char buffer[4096];
  for (;;) {
    const auto n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) return text;
    text.append(buffer, static_cast<std::size_t>(n));
  }
}

class ProgressMeter : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(::pipe(pipe_), 0); }
  void TearDown() override {
    ::close(pipe_[0]);
    ::close(pipe_[1]);
    ::unsetenv("DOCKERDIFF_PROGRESS_INTERVAL_MS");
  }

  // A phase of `total` bytes that advances in a few steps over about 50 ms.
  static void run_phase(const std::string& name, std::uint64_t total) {
    const progress::Phase phase(name, total);
    for (int i = 0; i < 5; ++i) {
      progress::advance(total / 5);
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }

  int pipe_[2]{-1, -1};
};

TEST_F(ProgressMeter, PlainWritesWholeLinesToAPipe) {
  ::setenv("DOCKERDIFF_PROGRESS_INTERVAL_MS", "1", 1);
  {
    progress::Meter meter(progress::Mode::plain, pipe_[1]);
    run_phase("reading app.tar", 5000);
  }
  const auto text = drain(pipe_[0]);
  EXPECT_NE(text.find("reading app.tar  "), std::string::npos) << text;
  // The last line is the phase's end (a rate may follow on a slow machine).
  const auto last = text.rfind('\n', text.size() - 2) + 1;
  EXPECT_TRUE(text.substr(last).starts_with("reading app.tar  4.9 KiB / 4.9 KiB")) << text;
  EXPECT_TRUE(text.ends_with("\n")) << text;
  EXPECT_EQ(text.find('\r'), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
}

TEST_F(ProgressMeter, PlainEndLinesOfNestedPhasesKeepTheOuterCount) {
  ::setenv("DOCKERDIFF_PROGRESS_INTERVAL_MS", "100000", 1);
  {
    progress::Meter meter(progress::Mode::plain, pipe_[1]);
    const progress::Phase outer("outer", 0);
    progress::advance(1000);
    {
      const progress::Phase inner("inner", 0);
      progress::advance(5);
    }
    progress::advance(1);
  }
  EXPECT_EQ(drain(pipe_[0]), "inner  5 B\nouter  1001 B\n");
}

TEST_F(ProgressMeter, NothingAfterStop) {
  ::setenv("DOCKERDIFF_PROGRESS_INTERVAL_MS", "1", 1);
  progress::Meter meter(progress::Mode::plain, pipe_[1]);
  meter.stop();
  run_phase("reading app.tar", 5000);
  EXPECT_EQ(drain(pipe_[0]), "");
}

TEST_F(ProgressMeter, AutoWritesNothingToAPipe) {
  {
    progress::Meter meter(progress::Mode::automatic, pipe_[1]);
    const progress::Phase phase("reading app.tar", 100);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
  }
  EXPECT_EQ(drain(pipe_[0]), "");
}

TEST(ProgressTerminal, AutoRedrawsOneLineAndClearsIt) {
  int terminal = -1;
  int device = -1;
  ASSERT_EQ(::openpty(&terminal, &device, nullptr, nullptr, nullptr), 0);
  {
    progress::Meter meter(progress::Mode::automatic, device);
    const progress::Phase phase("reading app.tar", 100);
    progress::advance(50);
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
  }
  const auto text = drain(terminal);
  ::close(device);
  ::close(terminal);
  EXPECT_NE(text.find("\rreading app.tar  50 B / 100 B"), std::string::npos) << text;
  EXPECT_NE(text.find("\x1b[K"), std::string::npos) << text;
  // The line was cleared at the end: nothing after the last clear.
  EXPECT_TRUE(text.ends_with("\r\x1b[K")) << text;
  EXPECT_EQ(text.find('\n'), std::string::npos) << text;
}

// ---------------------------------------------------------------------------------------------
// --progress through the binary.

const fs::path kExamples = fs::path(DOCKERDIFF_SOURCE_DIR) / "examples";

class ProgressCli : public ::testing::Test {
 protected:
  fx::RunResult run(const fs::path& cwd, const std::vector<std::string>& args) const {
    fx::RunOptions options;
    options.cwd = cwd;
    options.env = {"DOCKERDIFF_PROGRESS_INTERVAL_MS=1"};
    return fx::run_program(DOCKERDIFF_BIN, args, options);
  }
  fx::RunResult slim(const fs::path& cwd, const std::vector<std::string>& extra) const {
    std::vector<std::string> args{"slim", (kExamples / "app.tar.gz").string(), "-b", (kExamples / "base.tar.gz").string(),
                                  "-o", "out.tar"};
    args.insert(args.end(), extra.begin(), extra.end());
    return run(cwd, args);
  }
  // slim --progress MODE in a directory of its own, named after the mode (same arguments, same summary).
  fx::RunResult slim_with(const std::string& mode) const {
    fs::create_directories(root_ / mode);
    return slim(root_ / mode, {"--progress", mode});
  }

  const fx::TempDir root_{"dockerdiff-progress"};
};

TEST_F(ProgressCli, PlainPrintsLinesAndWritesTheSameArchive) {
  const auto plain = slim_with("plain");
  const auto none = slim_with("none");
  ASSERT_EQ(plain.status, 0) << plain.err;
  ASSERT_EQ(none.status, 0) << none.err;
  EXPECT_NE(plain.err.find("reading " + (kExamples / "app.tar.gz").string() + "  "), std::string::npos) << plain.err;
  EXPECT_NE(plain.err.find("writing out.tar  "), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find('\r'), std::string::npos) << plain.err;
  EXPECT_EQ(plain.err.find('\x1b'), std::string::npos) << plain.err;
  // The planned total is what was written: "writing out.tar  68.5 KiB / 68.5 KiB" at the end.
  const auto last = plain.err.rfind("writing out.tar  ");
  ASSERT_NE(last, std::string::npos);
  const auto line = plain.err.substr(last, plain.err.find('\n', last) - last);
  const auto slash = line.find(" / ");
  ASSERT_NE(slash, std::string::npos) << line;
  EXPECT_EQ(line.substr(std::string_view("writing out.tar  ").size(), slash - std::string_view("writing out.tar  ").size()),
            line.substr(slash + 3, line.find("  ", slash + 3) - (slash + 3)))
      << line;
  // The summary is the same, after the progress lines.
  EXPECT_TRUE(plain.err.ends_with(none.err)) << plain.err;
  EXPECT_EQ(fx::read_file(root_ / "plain" / "out.tar"), fx::read_file(root_ / "none" / "out.tar"));
}

TEST_F(ProgressCli, AutoInAPipeAddsNothing) {
  const auto automatic = slim_with("auto");
  const auto none = slim_with("none");
  ASSERT_EQ(automatic.status, 0) << automatic.err;
  EXPECT_EQ(automatic.err, none.err);
}

TEST_F(ProgressCli, QuietWinsOverPlain) {
  const auto result = slim(root_.path(), {"-q", "--progress", "plain"});
  ASSERT_EQ(result.status, 0) << result.err;
  EXPECT_EQ(result.err, "");
}

TEST_F(ProgressCli, VerifyAndRestoreShowTheirPhases) {
  const auto verify = run(root_.path(), {"verify", (kExamples / "app.tar.gz").string(), "--progress", "plain"});
  ASSERT_EQ(verify.status, 0) << verify.err;
  EXPECT_NE(verify.err.find("verifying " + (kExamples / "app.tar.gz").string() + "  "), std::string::npos) << verify.err;
  ASSERT_EQ(slim(root_.path(), {"-q"}).status, 0);
  const auto restore = run(root_.path(), {"restore", "out.tar", "-b", (kExamples / "base.tar.gz").string(), "-o", "full.tar",
                                          "--progress", "plain"});
  ASSERT_EQ(restore.status, 0) << restore.err;
  EXPECT_NE(restore.err.find("writing full.tar  "), std::string::npos) << restore.err;
}

TEST_F(ProgressCli, UnknownModeIsAUsageError) {
  const std::vector<std::vector<std::string>> commands{{"slim", "x.tar", "-b", "y.tar", "-o", "z.tar"},
                                                        {"restore", "x.tar", "-b", "y.tar", "-o", "z.tar"},
                                                        {"verify", "x.tar"},
                                                        {"load", "x.tar"}};
  for (auto args : commands) {
    SCOPED_TRACE(args[0]);
    args.insert(args.end(), {"--progress", "bogus"});
    const auto result = run(root_.path(), args);
    EXPECT_EQ(result.status, 2) << result.err;
    EXPECT_TRUE(result.err.starts_with("dockerdiff: ")) << result.err;
    EXPECT_EQ(std::count(result.err.begin(), result.err.end(), '\n'), 1) << result.err;
    EXPECT_NE(result.err.find("--progress"), std::string::npos) << result.err;
  }
}

}  // namespace
