// Faults around a run of the real executable: a signal in the middle of writing, a full disk, a
// reader that goes away, outputs that would overwrite an input or leave the output directory, and
// the limits no committed archive exercises (see tests/hostile/ for those). Whatever happens:
// exit non-zero, at most one line on stderr, no file at the output path, no temporary file left.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "dockerdiff/archive/byte_sink.hpp"
#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/json.hpp"
#include "dockerdiff/image/reader.hpp"
#include "dockerdiff/util/limits.hpp"
#include "support/fixture.hpp"
#include "support/harness.hpp"
#include "support/process.hpp"

namespace {

namespace fs = std::filesystem;
namespace fx = dockerdiff::testing;
namespace limits = dockerdiff::limits;
using dockerdiff::archive::Compression;
using dockerdiff::archive::EntryType;

// Every run goes through support/process.hpp; one that takes longer than this is killed (a failure).
constexpr int kTimeoutSeconds = 60;

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    out.push_back(text.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Images.

std::string pseudo_random_bytes(std::size_t size, std::uint32_t seed) {
  std::mt19937 generator(seed);
  std::string out(size, '\0');
  for (std::size_t i = 0; i + 4 <= size; i += 4) {
    const auto value = generator();
    out[i] = static_cast<char>(value & 0xffU);
    out[i + 1] = static_cast<char>((value >> 8) & 0xffU);
    out[i + 2] = static_cast<char>((value >> 16) & 0xffU);
    out[i + 3] = static_cast<char>((value >> 24) & 0xffU);
  }
  return out;
}

// An app whose top layer no compressor can shrink: writing it takes time, and its output is larger
// than a pipe holds.
fx::FixtureImage app_with_layer_of(std::size_t bytes) {
  return {{"app:1"}, {fx::sample_base_layer(), fx::make_layer_tar({{"app/blob.bin", pseudo_random_bytes(bytes, 7U)}})}};
}

// A layer that gzip -9 takes seconds over (random 'a' and 'b': deflate's longest hash chains, at a
// few hundred KiB/s): writing it compressed gives a signal a wide window, whatever the machine.
fx::FixtureImage app_slow_to_compress() {
  std::mt19937 generator(11U);
  std::string text(std::size_t{512} << 10, 'a');
  for (auto& c : text) c = (generator() & 1U) != 0 ? 'a' : 'b';
  return {{"app:1"}, {fx::sample_base_layer(), fx::make_layer_tar({{"app/ab.txt", text}})}};
}

fx::FixtureImage base_image() { return {{"base:1"}, {fx::sample_base_layer()}}; }

using Result = fx::RunResult;

class FaultsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    work_ = root_ / "work";
    io_ = root_ / "io";
    tmp_ = root_ / "tmp";
    bin_ = root_ / "bin";
    for (const auto& dir : {work_, io_, tmp_, bin_}) fs::create_directories(dir);
    fx::write_file(work_ / "base.tar", fx::write_fixture({base_image()}));
    fx::write_file(work_ / "app.tar", fx::write_fixture({{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}}));
  }

  // A run in the work directory, with TMPDIR the test's own and bin/ first on PATH; no daemon at
  // DOCKER_HOST, so that docker:REF goes through the stand-in CLI.
  fx::RunOptions options() const {
    fx::RunOptions o;
    o.cwd = work_;
    o.env = {"TMPDIR=" + tmp_.string(), fx::path_with(bin_), "DOCKER_HOST=unix://" + (work_ / "no-daemon.sock").string()};
    o.timeout_seconds = kTimeoutSeconds;
    return o;
  }

  static Result run(const std::vector<std::string>& args, const fx::RunOptions& o) {
    auto result = fx::run_program(DOCKERDIFF_BIN, args, o);
    EXPECT_FALSE(result.timed_out) << "timed out";
    return result;
  }

  Result run(const std::vector<std::string>& args) const { return run(args, options()); }

  // A `docker` on PATH that runs this shell script body.
  void fake_docker(const std::string& body) const { fx::write_script(bin_ / "docker", body); }

  // Nothing at `output`, no temporary file in the work directory, TMPDIR empty.
  void expect_nothing_left(const fs::path& output) const {
    EXPECT_FALSE(fs::exists(output)) << output;
    EXPECT_EQ(fx::temporary_files(work_), std::vector<std::string>{});
    EXPECT_EQ(fx::snapshot(tmp_), (std::map<std::string, std::string>{}));
  }

  static void expect_one_error_line(const Result& result, const std::vector<std::string>& parts) {
    EXPECT_EQ(result.status, 1) << result.err;
    const auto lines = lines_of(result.err);
    ASSERT_EQ(lines.size(), 1U) << result.err;
    EXPECT_TRUE(lines[0].starts_with("dockerdiff: ")) << lines[0];
    for (const auto& part : parts) EXPECT_NE(lines[0].find(part), std::string::npos) << "expected \"" << part << "\" in: " << lines[0];
  }

  void expect_usage_error(const std::vector<std::string>& args, const std::vector<std::string>& parts) const {
    SCOPED_TRACE(fx::command_line(args));
    const auto before = fx::snapshot(root_.path());
    const auto result = run(args);
    EXPECT_EQ(result.status, 2) << result.err;
    const auto lines = lines_of(result.err);
    ASSERT_EQ(lines.size(), 1U) << result.err;
    for (const auto& part : parts) EXPECT_NE(lines[0].find(part), std::string::npos) << "expected \"" << part << "\" in: " << lines[0];
    EXPECT_EQ(fx::snapshot(root_.path()), before);
  }

  const fx::TempDir root_{"dockerdiff-faults"};
  fs::path work_;
  fs::path io_;
  fs::path tmp_;
  fs::path bin_;
};

// ---------------------------------------------------------------------------------------------
// Signals: the temporary output is removed and the process dies of the signal (128 + N).

// Starts a run that writes a layer gzip -9 takes seconds over (app_slow_to_compress), stops the
// process (SIGSTOP) as soon as its temporary output exists, sends `signal_number` and lets it go on:
// the signal arrives while the output is being written, with no sleep and no race to lose.
Result signal_while_writing(const fs::path& work, const std::vector<std::string>& args, const fx::RunOptions& options,
                            int signal_number, const std::string& temporary_prefix) {
  fx::Process process(DOCKERDIFF_BIN, args, options);
  const auto temporary_exists = [&] {
    std::error_code error;
    for (auto it = fs::recursive_directory_iterator(work, error); !error && it != fs::recursive_directory_iterator();
         it.increment(error)) {
      if (it->path().filename().string().starts_with(temporary_prefix)) return true;
    }
    return false;
  };
  const bool writing = process.wait_until(temporary_exists);
  const bool stopped = process.stop();
  EXPECT_TRUE(writing) << "no temporary file appeared";
  EXPECT_TRUE(stopped) << "the run ended before it could be stopped: make its input larger";
  EXPECT_TRUE(temporary_exists());
  process.signal(signal_number);
  process.signal(SIGCONT);
  auto result = process.wait();
  EXPECT_FALSE(result.timed_out) << "timed out";
  return result;
}

TEST_F(FaultsTest, SigtermWhileWritingRemovesTheTemporaryFile) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_slow_to_compress()}));
  const auto result = signal_while_writing(work_,
                                           {"slim", "big.tar", "-b", "base.tar", "-o", "out.tar.gz", "--compress", "gzip", "--level",
                                            "9", "--report", "report.json"},
                                           options(), SIGTERM, ".out.tar.gz.tmp-");
  EXPECT_EQ(result.status, 128 + SIGTERM) << result.err;
  EXPECT_EQ(result.err, "");
  expect_nothing_left(work_ / "out.tar.gz");
  EXPECT_FALSE(fs::exists(work_ / "report.json"));
}

TEST_F(FaultsTest, SigintWhileWritingIntoANewOutputDirRemovesItToo) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_slow_to_compress()}));
  const auto result = signal_while_writing(
      work_, {"slim", "big.tar", "-b", "base.tar", "--output-dir", "new/dist", "--compress", "gzip", "--level", "9"}, options(),
      SIGINT, ".big.slim.tar.gz.tmp-");
  EXPECT_EQ(result.status, 128 + SIGINT) << result.err;
  EXPECT_EQ(result.err, "");
  expect_nothing_left(work_ / "new" / "dist" / "big.slim.tar.gz");
  EXPECT_FALSE(fs::exists(work_ / "new"));
}

TEST_F(FaultsTest, SighupWhileRestoringRemovesTheTemporaryFile) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_slow_to_compress()}));
  ASSERT_EQ(run({"slim", "big.tar", "-b", "base.tar", "-o", "big.slim.tar", "-q"}).status, 0);
  const auto result = signal_while_writing(
      work_, {"restore", "big.slim.tar", "-b", "base.tar", "-o", "restored.tar", "--compress", "gzip", "--level", "9"}, options(),
      SIGHUP, ".restored.tar.tmp-");
  EXPECT_EQ(result.status, 128 + SIGHUP) << result.err;
  expect_nothing_left(work_ / "restored.tar");
}

// -o - into a pipe nobody reads: the tool blocks once the pipe is full, and a signal then ends it.
TEST_F(FaultsTest, SigtermWhileBlockedOnAFullPipe) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_with_layer_of(std::size_t{1} << 20)}));
  int fds[2];
  ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
  auto o = options();
  o.stdout_fd = fds[1];
  fx::Process process(DOCKERDIFF_BIN, {"slim", "big.tar", "-b", "base.tar", "-o", "-", "--report", "report.json"}, o);
  ::close(fds[1]);
  const bool full = process.wait_until([&] {
    int queued = 0;
    return ::ioctl(fds[0], FIONREAD, &queued) == 0 && queued >= 65536;
  });
  EXPECT_TRUE(full);
  process.signal(SIGTERM);
  const auto result = process.wait();
  ::close(fds[0]);
  EXPECT_FALSE(result.timed_out) << "timed out";
  EXPECT_EQ(result.status, 128 + SIGTERM);
  EXPECT_EQ(result.err, "");
  EXPECT_FALSE(fs::exists(work_ / "report.json"));
  EXPECT_EQ(fx::temporary_files(work_), std::vector<std::string>{});
}

// A signal while `docker save` streams: the engine gets the signal too, and nothing is left behind.
TEST_F(FaultsTest, SigtermDuringAnEngineSaveStopsTheEngine) {
  const auto started = root_ / "started";
  const auto stopped = root_ / "stopped";
  // docker save REF, to stdout: half of an archive, then nothing for 30 s
  const auto archive = fx::read_file(work_ / "base.tar");
  fx::write_file(root_ / "half.tar", archive.substr(0, archive.size() / 2));
  fake_docker("[ \"$1\" = save ] || exit 3\n"
              "trap 'kill $! 2>/dev/null; echo terminated > " + fx::shell_quote(stopped.string()) + "; exit 143' TERM\n"
              "cat " + fx::shell_quote((root_ / "half.tar").string()) + "\n"
              "echo started > " + fx::shell_quote(started.string()) + "\n"
              "sleep 30 &\nwait");
  fx::Process process(DOCKERDIFF_BIN, {"slim", "docker:app:1", "-b", "base.tar", "-o", "out.tar"}, options());
  EXPECT_TRUE(process.wait_until([&] { return fs::exists(started); }));
  process.signal(SIGTERM);
  const auto result = process.wait();
  EXPECT_FALSE(result.timed_out) << "timed out";
  EXPECT_EQ(result.status, 128 + SIGTERM);
  EXPECT_EQ(result.err, "");
  EXPECT_TRUE(fs::exists(stopped)) << "the engine did not get the signal";
  expect_nothing_left(work_ / "out.tar");
}

// ---------------------------------------------------------------------------------------------
// A full disk: writes fail with EFBIG (RLIMIT_FSIZE; runs without root) or ENOSPC (a small tmpfs).

TEST_F(FaultsTest, FileSizeLimitWhileWriting) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_with_layer_of(std::size_t{1} << 20)}));
  ASSERT_EQ(run({"slim", "big.tar", "-b", "base.tar", "-o", "big.slim.tar", "-q"}).status, 0);
  const std::vector<std::pair<std::vector<std::string>, fs::path>> cases{
      {{"slim", "big.tar", "-b", "base.tar", "-o", "out.tar"}, work_ / "out.tar"},
      {{"slim", "big.tar", "-b", "base.tar", "-o", "out.tar.gz", "--compress", "gzip"}, work_ / "out.tar.gz"},
      {{"slim", "big.tar", "-b", "base.tar", "-o", "out.tar.zst", "--compress", "zstd"}, work_ / "out.tar.zst"},
      {{"slim", "big.tar", "-b", "base.tar", "--output-dir", "dist"}, work_ / "dist"},
      {{"restore", "big.slim.tar", "-b", "base.tar", "-o", "out.tar"}, work_ / "out.tar"},
  };
  for (const auto& [args, output] : cases) {
    SCOPED_TRACE(fx::command_line(args));
    auto o = options();
    o.file_size_limit = 256 << 10;
    const auto before = fx::snapshot(work_);
    const auto result = run(args, o);
    expect_one_error_line(result, {"write failed", "File too large"});
    expect_nothing_left(output);
    EXPECT_EQ(fx::snapshot(work_), before);
  }
}

TEST_F(FaultsTest, FileSizeLimitOnStdout) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_with_layer_of(std::size_t{1} << 20)}));
  auto o = options();
  o.file_size_limit = 256 << 10;
  const auto result = run({"slim", "big.tar", "-b", "base.tar", "-o", "-"}, o);
  expect_one_error_line(result, {"stdout: write failed", "File too large"});
}

// As root (CI, like the engine tests): a real ENOSPC on a 512 KiB tmpfs in a private mount namespace.
// A non-root run skips it; as root, a namespace or mount that fails is a failure, not a skip.
TEST_F(FaultsTest, DiskFullOnASmallTmpfs) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root for a private tmpfs";
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_with_layer_of(std::size_t{1} << 20)}));
  const auto mount_point = root_ / "full";
  fs::create_directories(mount_point);
  const auto script =
      "mount -t tmpfs -o size=512k dockerdiff-test \"$1\" || exit 77\n"
      "\"$2\" slim big.tar -b base.tar -o \"$1/out.tar\" 2> \"$3/stderr\"\n"
      "echo $? > \"$3/status\"\n"
      "ls -A \"$1\" > \"$3/listing\"\n";
  const fs::path unshare = "/usr/bin/unshare";
  ASSERT_TRUE(fs::exists(unshare)) << "no unshare (util-linux)";
  fx::RunOptions o;
  o.cwd = work_;
  o.env = {"TMPDIR=" + tmp_.string()};
  o.timeout_seconds = kTimeoutSeconds;
  const auto unshared = fx::run_program(
      unshare,
      {"--mount", "--propagation", "private", "/bin/sh", "-c", script, "sh", mount_point.string(), DOCKERDIFF_BIN, io_.string()}, o);
  EXPECT_FALSE(unshared.timed_out) << "timed out";
  ASSERT_EQ(unshared.status, 0) << "no private tmpfs (unshare/mount: " << unshared.err << ")";
  EXPECT_EQ(fx::read_file(io_ / "status"), "1\n");
  const auto err = fx::read_file(io_ / "stderr");
  EXPECT_EQ(lines_of(err).size(), 1U) << err;
  EXPECT_NE(err.find("No space left on device"), std::string::npos) << err;
  EXPECT_NE(err.find("out.tar"), std::string::npos) << err;
  EXPECT_EQ(fx::read_file(io_ / "listing"), "");  // neither the output nor a temporary file
}

// ---------------------------------------------------------------------------------------------
// A reader that goes away (-o - | head -c 1): exit 1 with one line, not a silent death by SIGPIPE.

TEST_F(FaultsTest, BrokenPipeBeforeTheFirstByte) {
  const std::vector<std::vector<std::string>> commands{
      {"slim", "app.tar", "-b", "base.tar", "-o", "-"},
      {"slim", "app.tar", "-b", "base.tar", "-o", "-", "--compress", "gzip"},
      {"slim", "app.tar", "-b", "base.tar", "-o", "-", "--compress", "zstd"},
      {"inspect", "app.tar"},
      {"verify", "--json", "app.tar"},
  };
  for (const auto& args : commands) {
    SCOPED_TRACE(fx::command_line(args));
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    ::close(fds[0]);
    auto o = options();
    o.stdout_fd = fds[1];
    const auto result = run(args, o);
    ::close(fds[1]);
    expect_one_error_line(result, {"stdout: write failed", "Broken pipe"});
    EXPECT_EQ(fx::temporary_files(work_), std::vector<std::string>{});
  }
}

TEST_F(FaultsTest, BrokenPipeInTheMiddle) {
  fx::write_file(work_ / "big.tar", fx::write_fixture({app_with_layer_of(std::size_t{1} << 20)}));
  ASSERT_EQ(run({"slim", "big.tar", "-b", "base.tar", "-o", "big.slim.tar", "-q"}).status, 0);
  for (const auto& args : std::vector<std::vector<std::string>>{{"slim", "big.tar", "-b", "base.tar", "-o", "-"},
                                                                 {"restore", "big.slim.tar", "-b", "base.tar", "-o", "-"}}) {
    SCOPED_TRACE(fx::command_line(args));
    int fds[2];
    ASSERT_EQ(::pipe2(fds, O_CLOEXEC), 0);
    auto o = options();
    o.stdout_fd = fds[1];
    fx::Process process(DOCKERDIFF_BIN, args, o);
    ::close(fds[1]);
    char byte = 0;
    EXPECT_EQ(::read(fds[0], &byte, 1), 1);
    ::close(fds[0]);  // the output is over 1 MiB: the tool is still writing
    const auto result = process.wait();
    EXPECT_FALSE(result.timed_out) << "timed out";
    expect_one_error_line(result, {"stdout: write failed", "Broken pipe"});
  }
}

// ---------------------------------------------------------------------------------------------
// Outputs: never an input (however spelled), never inside an input directory, never another output.
// Refused before anything is read: usage errors (exit 2), nothing touched.

TEST_F(FaultsTest, OutputThatIsAnInputThroughALink) {
  fs::create_symlink("app.tar", work_ / "link.tar");
  fs::create_hard_link(work_ / "base.tar", work_ / "hard.tar");
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "link.tar"}, {"slim: output link.tar is also an input (app.tar)"});
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "hard.tar"}, {"hard.tar", "is also an input (base.tar)"});
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--summary", "./link.tar"}, {"--summary ./link.tar"});
  expect_usage_error({"slim", "link.tar", "-b", "base.tar", "-o", "app.tar"}, {"app.tar", "is also an input (link.tar)"});
}

TEST_F(FaultsTest, RestoreOutputThatIsAnInput) {
  fx::write_file(work_ / "garbage.tar", std::string(3000, 'g'));
  fs::create_directories(work_ / "sub");
  fs::create_symlink("garbage.tar", work_ / "link.tar");
  expect_usage_error({"restore", "garbage.tar", "-b", "base.tar", "-o", "./garbage.tar"}, {"restore: output ./garbage.tar is also an input"});
  expect_usage_error({"restore", "garbage.tar", "-b", "base.tar", "-o", "link.tar"}, {"link.tar", "is also an input (garbage.tar)"});
  expect_usage_error({"restore", "garbage.tar", "-b", "base.tar", "-o", "sub/../base.tar"}, {"is also an input (base.tar)"});
}

TEST_F(FaultsTest, OutputDirNameThatIsAnInput) {
  fs::create_directories(work_ / "dist");
  fx::write_file(work_ / "dist" / "app.slim.tar", fx::read_file(work_ / "base.tar"));
  expect_usage_error({"slim", "app.tar", "-b", "dist/app.slim.tar", "--output-dir", "dist"},
                     {"output dist/app.slim.tar is also an input (dist/app.slim.tar)"});
}

TEST_F(FaultsTest, TwoOutputsThatAreTheSameFile) {
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--report", "out.tar"},
                     {"--report out.tar is the same file as output out.tar"});
  expect_usage_error({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "--report", "r.json", "--summary", "./r.json"},
                     {"--summary ./r.json is the same file as --report r.json"});
}

TEST_F(FaultsTest, OutputInsideAnInputLayoutDirectory) {
  fx::FixtureOptions oci;
  oci.layout = fx::FixtureLayout::oci;
  fx::write_fixture_directory(work_ / "layout", {{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}}, oci);
  expect_usage_error({"slim", "layout", "-b", "base.tar", "-o", "layout/out.tar"}, {"inside the input directory layout"});
  expect_usage_error({"slim", "layout", "-b", "base.tar", "--output-dir", "layout/blobs/new"}, {"inside the input directory layout"});
  expect_usage_error({"slim", "app.tar", "-b", "layout", "-o", "out.tar", "--report", "layout/../layout/r.json"},
                     {"inside the input directory layout"});
  expect_usage_error({"restore", "app.tar", "-b", "layout", "-o", "layout/restored.tar"}, {"inside the input directory layout"});
}

// A device, FIFO or directory is no place for an archive: refused before reading (as root, a rename
// over /dev/null would replace it), exit 1 like any output that cannot be created.
TEST_F(FaultsTest, OutputThatIsNotARegularFile) {
  ASSERT_EQ(::mkfifo((work_ / "fifo").c_str(), 0644), 0);
  fx::write_file(work_ / "garbage.tar", std::string(3000, 'g'));
  for (const auto& [output, problem] : std::vector<std::pair<std::string, std::string>>{
           {"/dev/null", "not a regular file"}, {"fifo", "not a regular file"}, {"adir", "is a directory"}}) {
    SCOPED_TRACE(output);
    fs::create_directories(work_ / "adir");
    const auto before = fx::snapshot(work_);
    const auto result = run({"slim", "garbage.tar", "-b", "base.tar", "-o", output});
    expect_one_error_line(result, {output, problem});  // not the garbage input: refused before reading it
    EXPECT_EQ(fx::snapshot(work_), before);
  }
  struct stat info {};
  ASSERT_EQ(::stat("/dev/null", &info), 0);
  EXPECT_TRUE(S_ISCHR(info.st_mode));
}

// A symlink at the destination is replaced by the output, never written through.
TEST_F(FaultsTest, OutputThatIsASymlinkIsReplacedNotFollowed) {
  fx::write_file(root_ / "victim", "precious\n");
  fs::create_symlink("../victim", work_ / "out.tar");
  fs::create_directories(work_ / "dist");
  fs::create_symlink("../../victim", work_ / "dist" / "app.slim.tar");
  ASSERT_EQ(run({"slim", "app.tar", "-b", "base.tar", "-o", "out.tar", "-q"}).status, 0);
  ASSERT_EQ(run({"slim", "app.tar", "-b", "base.tar", "--output-dir", "dist", "-q"}).status, 0);
  EXPECT_EQ(fx::read_file(root_ / "victim"), "precious\n");
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(work_ / "out.tar")));
  EXPECT_TRUE(fs::is_regular_file(fs::symlink_status(work_ / "dist" / "app.slim.tar")));
  EXPECT_EQ(fx::check_layers_read_back(fx::read_file(work_ / "out.tar")), std::vector<std::string>{});
}

// ---------------------------------------------------------------------------------------------
// --output-dir names: one path component, whatever the reference or the archive's tags say.

TEST_F(FaultsTest, OutputDirNamesFromHostileReferencesStayInTheDirectory) {
  // docker save REF (to stdout)
  fake_docker("[ \"$1\" = save ] || exit 3\ncat " + fx::shell_quote((work_ / "app.tar").string()));
  const std::string long_reference(300, 'r');
  const auto result = run({"slim", "docker:../../etc/x", "docker:a/b:1", "docker:..", "docker:" + long_reference, "-b", "base.tar",
                           "--output-dir", "dist", "-q"});
  ASSERT_EQ(result.status, 0) << result.err;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(work_ / "dist")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{".._.._etc_x.slim.tar", "a_b_1.slim.tar", "image.slim.tar",
                                             std::string(200, 'r') + ".slim.tar"}));
  // Nothing anywhere else: the test's whole tree holds only what it made, dist/ and the outputs.
  for (const auto& [path, what] : fx::snapshot(root_.path())) {
    const bool known = path.starts_with("work/") || path == "work" || path.starts_with("io") || path.starts_with("bin") || path == "tmp";
    EXPECT_TRUE(known) << path;
  }
  EXPECT_FALSE(fs::exists(root_.path().parent_path() / "etc" / "x.slim.tar"));
}

TEST_F(FaultsTest, TagsInsideTheArchiveNameNothing) {
  fx::write_file(work_ / "tags.tar", fx::write_fixture({{{"../../../../etc/evil:1", "a/b:c", "/abs:1"},
                                                         {fx::sample_base_layer(), fx::sample_app_layer()}}}));
  const auto before = fx::snapshot(root_.path());
  const auto result = run({"slim", "tags.tar", "-b", "base.tar", "--output-dir", "dist", "-q"});
  ASSERT_EQ(result.status, 0) << result.err;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(work_ / "dist")) names.push_back(entry.path().filename().string());
  EXPECT_EQ(names, std::vector<std::string>{"tags.slim.tar"});
  auto after = fx::snapshot(root_.path());
  for (const auto& path : {"work/dist", "work/dist/tags.slim.tar"}) after.erase(path);
  EXPECT_EQ(after, before);
}

// ---------------------------------------------------------------------------------------------
// Limits that no committed archive exercises.

TEST_F(FaultsTest, MoreEntriesThanTheLimit) {
  std::vector<fx::RawEntry> entries;
  entries.reserve(limits::kMaxEntries + 1);
  for (std::size_t i = 0; i <= limits::kMaxEntries; ++i) entries.push_back({"e/" + std::to_string(i), {}, EntryType::regular, {}});
  fx::write_file(work_ / "many.tar", fx::write_raw_tar(entries));
  const auto result = run({"inspect", "many.tar"});
  expect_one_error_line(result, {"many.tar: more than 100000 entries, over the limit for one archive"});
}

TEST_F(FaultsTest, LayoutDirectoryWhoseBlobDirectoryIsASymlinkOutside) {
  fx::FixtureOptions oci;
  oci.layout = fx::FixtureLayout::oci;
  fx::write_fixture_directory(work_ / "layout", {{{"app:1"}, {fx::sample_base_layer(), fx::sample_app_layer()}}}, oci);
  fs::rename(work_ / "layout" / "blobs" / "sha256", work_ / "elsewhere");
  fs::create_directory_symlink("../../elsewhere", work_ / "layout" / "blobs" / "sha256");
  const auto result = run({"inspect", "layout"});
  expect_one_error_line(result, {"layout: symlink 'blobs/sha256' -> '../../elsewhere' leaves the archive"});
}

TEST_F(FaultsTest, InventoryOverTheLimit) {
  fx::write_file(work_ / "inventory.json", "[");
  fs::resize_file(work_ / "inventory.json", limits::kMaxInventoryBytes + 1);  // sparse: costs no disk
  const auto result = run({"slim", "app.tar", "-b", "inventory.json", "-o", "out.tar"});
  expect_one_error_line(result, {"inventory.json: larger than 64 MiB, not an inventory"});
  expect_nothing_left(work_ / "out.tar");
}

TEST_F(FaultsTest, EngineThatPrintsTooMuch) {
  fake_docker("exec head -c 100000000 /dev/zero");
  const auto result = run({"slim", "app.tar", "-b", "docker:base:1", "-o", "out.tar"});
  expect_one_error_line(result, {"docker image: printed more than 64 MiB"});
  expect_nothing_left(work_ / "out.tar");
}

// ---------------------------------------------------------------------------------------------
// The limits themselves.

TEST(Limits, DecompressionLimitHasAFloorAndARatio) {
  EXPECT_EQ(limits::decompression_limit(0), limits::kDecompressionFloor);
  EXPECT_EQ(limits::decompression_limit(1024), limits::kDecompressionFloor);
  EXPECT_EQ(limits::decompression_limit(std::uint64_t{3} << 30), std::uint64_t{3} << 40);  // 3 GiB compressed: 3 TiB
  EXPECT_EQ(limits::decompression_limit(~std::uint64_t{0}), ~std::uint64_t{0});
  // A 10 GiB layer compressed to 3 GiB is normal; a 1 KiB stream that expands to 100 GiB is not.
  EXPECT_GT(limits::decompression_limit(std::uint64_t{3} << 30), std::uint64_t{10} << 30);
  EXPECT_LT(limits::decompression_limit(1024), std::uint64_t{100} << 30);
}

TEST(Limits, JsonDepthAndValues) {
  using dockerdiff::parse_json;
  EXPECT_NO_THROW(parse_json(std::string(64, '[') + std::string(64, ']'), "doc"));
  EXPECT_NO_THROW(parse_json(std::string(63, '[') + "{\"a\":0}" + std::string(63, ']'), "doc"));
  EXPECT_THROW(parse_json(std::string(65, '[') + std::string(65, ']'), "doc"), dockerdiff::Error);
  EXPECT_THROW(parse_json(std::string(64, '[') + "{\"a\":0}" + std::string(64, ']'), "doc"), dockerdiff::Error);
  std::string values = "[0";
  for (std::size_t i = 2; i < limits::kMaxJsonValues; ++i) values += ",0";
  EXPECT_NO_THROW(parse_json(values + "]", "doc"));  // the list and its values: exactly the limit
  try {
    parse_json(values + ",0]", "doc");
    ADD_FAILURE() << "no error";
  } catch (const dockerdiff::Error& error) {
    EXPECT_EQ(std::string(error.what()), "doc: more than 2000000 JSON values, over the limit for one document");
  }
}

TEST(Limits, ErrorsArePrintedAsOneLine) {
  EXPECT_EQ(dockerdiff::printable_line("a\nb\tc\x1b[0m\\d\x7f"), "a\\nb\\tc\\x1b[0m\\\\d\\x7f");
  EXPECT_EQ(dockerdiff::printable_line("caf\xc3\xa9: ok"), "caf\xc3\xa9: ok");  // UTF-8 passes
}

}  // namespace
