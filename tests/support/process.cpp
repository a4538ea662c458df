#include "support/process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <system_error>
#include <thread>

#include "support/fixture.hpp"

extern char** environ;

namespace dockerdiff::testing {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

[[noreturn]] void throw_errno(const std::string& what) { throw std::system_error(errno, std::generic_category(), what); }

// An unlinked file in the temporary directory (closed on exec: the child gets it only through
// dup2). A regular file on the filesystem of the tests' own files, as an output redirected to a
// file would be (the tool copies ranges into such a stdout; see SlimTargets.StdoutOutputEqualsFileOutput).
int anonymous_file(const char* name) {
  std::string pattern = (fs::temp_directory_path() / (std::string(name) + "-XXXXXX")).string();
  const int fd = ::mkostemp(pattern.data(), O_CLOEXEC);
  if (fd < 0) throw_errno("mkostemp " + pattern);
  ::unlink(pattern.c_str());
  return fd;
}

std::string read_all(int fd) {
  std::string out;
  char buffer[65536];
  off_t offset = 0;
  while (true) {
    const ssize_t n = ::pread(fd, buffer, sizeof buffer, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("reading a run's output");
    if (n == 0) return out;
    out.append(buffer, static_cast<std::size_t>(n));
    offset += n;
  }
}

void write_all(int fd, const std::string& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw_errno("writing a run's stdin");
    done += static_cast<std::size_t>(n);
  }
}

int status_of(int raw) {
  if (WIFEXITED(raw)) return WEXITSTATUS(raw);
  if (WIFSIGNALED(raw)) return 128 + WTERMSIG(raw);
  return -1;
}

}  // namespace

Process::Process(const fs::path& program, const std::vector<std::string>& args, const RunOptions& options) {
  // Everything the child needs is made before fork: between fork and exec only async-signal-safe calls.
  std::vector<std::string> argv_text{program.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = options.env;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto name = entry.substr(0, entry.find('=') + 1);
    bool replaced = false;
    for (const auto& mine : options.env) replaced = replaced || mine.starts_with(name);
    if (!replaced) env_text.push_back(entry);
  }
  std::vector<char*> envp;
  for (auto& e : env_text) envp.push_back(e.data());
  envp.push_back(nullptr);
  const auto cwd = options.cwd.string();
  rlimit limit{};
  if (options.file_size_limit) limit = {*options.file_size_limit, *options.file_size_limit};

  int in = -1;
  if (options.stdin_bytes) {
    in = anonymous_file("dockerdiff-test-stdin");
    write_all(in, *options.stdin_bytes);
    if (::lseek(in, 0, SEEK_SET) != 0) throw_errno("lseek");
  } else {
    in = ::open(options.stdin_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (in < 0) throw_errno("open " + options.stdin_path.string());
  }
  out_fd_ = options.stdout_fd >= 0 ? -1 : anonymous_file("dockerdiff-test-stdout");
  err_fd_ = anonymous_file("dockerdiff-test-stderr");
  const int out = options.stdout_fd >= 0 ? options.stdout_fd : out_fd_;

  pid_ = ::fork();
  if (pid_ == 0) {
    ::setpgid(0, 0);
    // What the test process may have set is no concern of the run.
    struct sigaction default_action {};
    default_action.sa_handler = SIG_DFL;
    for (const int s : {SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGCHLD}) ::sigaction(s, &default_action, nullptr);
    sigset_t none;
    ::sigemptyset(&none);
    ::sigprocmask(SIG_SETMASK, &none, nullptr);
    if (!cwd.empty() && ::chdir(cwd.c_str()) != 0) ::_exit(126);
    if (::dup2(in, 0) < 0 || ::dup2(out, 1) < 0 || ::dup2(err_fd_, 2) < 0) ::_exit(126);
    if (options.file_size_limit && ::setrlimit(RLIMIT_FSIZE, &limit) != 0) ::_exit(126);
    ::execve(argv[0], argv.data(), envp.data());
    ::_exit(127);
  }
  const int fork_errno = errno;
  ::close(in);
  if (pid_ < 0) {
    if (out_fd_ >= 0) ::close(out_fd_);
    ::close(err_fd_);
    errno = fork_errno;
    throw_errno("fork");
  }
  ::setpgid(pid_, pid_);  // as the child does: whichever runs first
  deadline_ = std::chrono::steady_clock::now() + std::chrono::seconds(options.timeout_seconds);
}

Process::~Process() {
  if (!result_) {
    ::kill(-pid_, SIGKILL);
    int raw = 0;
    ::waitpid(pid_, &raw, 0);
  }
  if (out_fd_ >= 0) ::close(out_fd_);
  if (err_fd_ >= 0) ::close(err_fd_);
}

void Process::reap(int raw_status) {
  RunResult result;
  result.status = status_of(raw_status);
  if (out_fd_ >= 0) result.out = read_all(out_fd_);
  result.err = read_all(err_fd_);
  result_ = std::move(result);
}

bool Process::ended_without_reaping() const {
  if (result_) return true;
  siginfo_t info{};
  return ::waitid(P_PID, static_cast<id_t>(pid_), &info, WEXITED | WNOHANG | WNOWAIT) == 0 && info.si_pid == pid_;
}

bool Process::wait_until(const std::function<bool()>& ready) {
  while (std::chrono::steady_clock::now() < deadline_) {
    if (ready()) return true;
    if (ended_without_reaping()) return ready();
    std::this_thread::sleep_for(1ms);
  }
  return false;
}

void Process::signal(int signal_number) const {
  if (!result_) ::kill(pid_, signal_number);
}

bool Process::stop() {
  if (result_) return false;
  ::kill(pid_, SIGSTOP);
  int raw = 0;
  if (::waitpid(pid_, &raw, WUNTRACED) != pid_) return false;
  if (WIFSTOPPED(raw)) return true;
  reap(raw);
  return false;
}

RunResult Process::wait() {
  while (!result_) {
    int raw = 0;
    const pid_t done = ::waitpid(pid_, &raw, WNOHANG);
    if (done == pid_) {
      reap(raw);
      break;
    }
    if (std::chrono::steady_clock::now() < deadline_) {
      std::this_thread::sleep_for(2ms);
      continue;
    }
    // Timed out: SIGTERM to the whole group (woken if stopped), SIGKILL 5 seconds later.
    ::kill(-pid_, SIGTERM);
    ::kill(-pid_, SIGCONT);
    const auto grace = std::chrono::steady_clock::now() + 5s;
    while (::waitpid(pid_, &raw, WNOHANG) != pid_) {
      if (std::chrono::steady_clock::now() > grace) {
        ::kill(-pid_, SIGKILL);
        ::waitpid(pid_, &raw, 0);
        break;
      }
      std::this_thread::sleep_for(2ms);
    }
    reap(raw);
    result_->status = 124;
    result_->timed_out = true;
  }
  return *result_;
}

RunResult run_program(const fs::path& program, const std::vector<std::string>& args, const RunOptions& options) {
  Process process(program, args, options);
  return process.wait();
}

std::string path_with(const fs::path& dir) {
  const char* path = std::getenv("PATH");
  return "PATH=" + dir.string() + ":" + (path != nullptr ? path : "/usr/bin:/bin");
}

void write_script(const fs::path& path, const std::string& body) {
  write_file(path, "#!/bin/sh\n" + body + "\n");
  fs::permissions(path, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec);
}

}  // namespace dockerdiff::testing
