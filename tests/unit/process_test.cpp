// The tests' process runner (support/process.hpp), on /bin/sh: what the cli and faults suites rely on.

#include "support/process.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <string>
#include <vector>

#include "support/fixture.hpp"
#include "support/harness.hpp"

namespace {

namespace fs = std::filesystem;
namespace fx = dockerdiff::testing;

fx::RunResult sh(const std::string& script, fx::RunOptions options = {}) {
  return fx::run_program("/bin/sh", {"-c", script}, options);
}

TEST(ProcessRunner, CapturesStdoutStderrAndTheExitStatus) {
  const auto result = sh("printf 'out\\n'; printf 'err' >&2; exit 3");
  EXPECT_EQ(result.status, 3);
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.out, "out\n");
  EXPECT_EQ(result.err, "err");
}

TEST(ProcessRunner, StdinFromBytesFromAFileOrEmpty) {
  const std::string bytes("a\0b\xff\n", 5);
  EXPECT_EQ(sh("cat", {.stdin_bytes = bytes}).out, bytes);
  const fx::TempDir dir;
  fx::write_file(dir / "in", "from a file");
  EXPECT_EQ(sh("cat", {.stdin_path = dir / "in"}).out, "from a file");
  EXPECT_EQ(sh("cat").out, "");  // /dev/null
}

TEST(ProcessRunner, WorkingDirectoryAndEnvironmentAdditions) {
  const fx::TempDir dir;
  ::setenv("DOCKERDIFF_PROCESS_TEST", "inherited", 1);
  const auto inherited = sh("printf '%s' \"$DOCKERDIFF_PROCESS_TEST\"");
  const auto result = sh("printf '%s|%s|%s' \"$DOCKERDIFF_PROCESS_TEST\" \"$DOCKERDIFF_PROCESS_ADDED\" \"$(pwd -P)\"",
                         {.cwd = dir.path(), .env = {"DOCKERDIFF_PROCESS_TEST=replaced", "DOCKERDIFF_PROCESS_ADDED=added"}});
  ::unsetenv("DOCKERDIFF_PROCESS_TEST");
  EXPECT_EQ(inherited.out, "inherited");
  EXPECT_EQ(result.out, "replaced|added|" + fs::canonical(dir.path()).string());
}

TEST(ProcessRunner, DeathBySignalIs128PlusTheSignal) {
  EXPECT_EQ(sh("kill -KILL $$").status, 128 + SIGKILL);
}

TEST(ProcessRunner, AProgramThatCannotRunIs127) {
  EXPECT_EQ(fx::run_program("/nonexistent/program", {}).status, 127);
}

TEST(ProcessRunner, TimeoutEndsTheRunAndItsChildren) {
  const auto start = std::chrono::steady_clock::now();
  const auto result = sh("sleep 30 & wait; echo 'not reached'", {.timeout_seconds = 1});
  EXPECT_TRUE(result.timed_out);
  EXPECT_EQ(result.status, 124);
  EXPECT_EQ(result.out, "");
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(10));
}

TEST(ProcessRunner, StdoutIntoAGivenDescriptor) {
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  const auto result = sh("printf piped", {.stdout_fd = fds[1]});
  ::close(fds[1]);
  char buffer[16] = {};
  EXPECT_EQ(::read(fds[0], buffer, sizeof buffer), 5);
  ::close(fds[0]);
  EXPECT_EQ(std::string(buffer), "piped");
  EXPECT_EQ(result.out, "");
  EXPECT_EQ(result.status, 0);
}

TEST(ProcessRunner, FileSizeLimit) {
  const auto result = sh("head -c 100000 /dev/zero", {.file_size_limit = 4096});
  EXPECT_NE(result.status, 0);
  EXPECT_EQ(result.out.size(), 4096U);
}

TEST(ProcessRunner, StartedProcessCanBeWatchedStoppedAndSignalled) {
  const fx::TempDir dir;
  fx::Process process("/bin/sh", {"-c", "touch started; sleep 30"}, {.cwd = dir.path()});
  EXPECT_TRUE(process.wait_until([&] { return fs::exists(dir / "started"); }));
  EXPECT_TRUE(process.stop());
  process.signal(SIGTERM);
  process.signal(SIGCONT);
  const auto result = process.wait();
  EXPECT_FALSE(result.timed_out);
  EXPECT_EQ(result.status, 128 + SIGTERM);
  EXPECT_FALSE(process.stop());  // it has ended
}

TEST(ProcessRunner, WaitUntilIsFalseWhenTheRunEndsFirst) {
  fx::Process process("/bin/sh", {"-c", "exit 0"});
  EXPECT_FALSE(process.wait_until([] { return false; }));
  EXPECT_EQ(process.wait().status, 0);
}

}  // namespace
