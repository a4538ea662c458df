// The engine layer's child processes: a program fed through its stdin, as `docker load` is.
#include <gtest/gtest.h>

#include <csignal>
#include <string>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/engine/subprocess.hpp"
#include "dockerdiff/util/error.hpp"

namespace dockerdiff::engine {
namespace {

constexpr std::size_t kFed = 4 << 20;  // more than a pipe holds

// dockerdiff ignores SIGPIPE (main): a closed pipe is a write error, as here.
class RunFeedingStdinTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { std::signal(SIGPIPE, SIG_IGN); }
};

void feed_bytes(int fd, std::size_t count) {
  auto sink = archive::make_fd_sink(fd, "test pipe");
  const std::string chunk(64 << 10, 'x');
  for (std::size_t done = 0; done < count; done += chunk.size()) sink->write(chunk.data(), chunk.size());
  sink->finish();
}

TEST_F(RunFeedingStdinTest, TheProgramReadsEverythingAndItsStatusComesBack) {
  const auto script = "test \"$(wc -c)\" -eq " + std::to_string(kFed);
  EXPECT_EQ(run_feeding_stdin({"sh", "-c", script}, [](int fd) { feed_bytes(fd, kFed); }), 0);
  EXPECT_EQ(run_feeding_stdin({"sh", "-c", "cat >/dev/null; exit 7"}, [](int fd) { feed_bytes(fd, kFed); }), 7);
}

// The engine refuses the stream half way: its exit status, not the broken pipe, is the outcome.
TEST_F(RunFeedingStdinTest, AProgramThatFailsEarlyKeepsItsStatus) {
  EXPECT_EQ(run_feeding_stdin({"sh", "-c", "head -c 1000 >/dev/null; exit 3"}, [](int fd) { feed_bytes(fd, kFed); }), 3);
}

// This side gives up (a layer fails its digest): the error stands, and the program is not left
// waiting for the rest.
TEST_F(RunFeedingStdinTest, AFeedThatFailsIsReportedAndTheProgramStopped) {
  EXPECT_THROW(run_feeding_stdin({"sleep", "30"},
                                 [](int) { throw Error("layer", "does not match its diff_id"); }),
               Error);
  EXPECT_THROW(run_feeding_stdin({"sh", "-c", "cat >/dev/null"},
                                 [](int fd) {
                                   feed_bytes(fd, 1 << 20);
                                   throw Error("layer", "does not match its diff_id");
                                 }),
               Error);
}

TEST_F(RunFeedingStdinTest, AMissingProgramIsAnError) {
  EXPECT_THROW(run_feeding_stdin({"dockerdiff-no-such-program"}, [](int) {}), Error);
}

}  // namespace
}  // namespace dockerdiff::engine
