#include "dockerdiff/engine/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <functional>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/interrupt.hpp"
#include "dockerdiff/util/limits.hpp"
#include "dockerdiff/util/posix.hpp"

extern char** environ;

namespace dockerdiff::engine {

namespace {

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw Error("", "cannot create a pipe: " + errno_text());
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    if (read >= 0) ::close(read);
    if (write >= 0) ::close(write);
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
  void close_write() {
    ::close(write);
    write = -1;
  }
};

// The redirections of a child's standard streams, freed with it.
class FileActions {
 public:
  FileActions() { posix_spawn_file_actions_init(&actions_); }
  ~FileActions() { posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  FileActions& dup2(int fd, int to) {
    posix_spawn_file_actions_adddup2(&actions_, fd, to);
    return *this;
  }
  FileActions& open_null(int to) {
    posix_spawn_file_actions_addopen(&actions_, to, "/dev/null", O_RDONLY, 0);
    return *this;
  }
  const posix_spawn_file_actions_t* get() const { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Starts `argv` (found on PATH, no shell) with `actions` applied, registered to receive the
// signals that end this process. The child starts with nothing blocked and SIGPIPE / SIGXFSZ at
// their defaults: this process blocks the signals its interrupt thread waits for, and ignores those two.
struct Child {
  pid_t pid = 0;
  interrupt::Registration stop;
};

Child spawn(const std::vector<std::string>& argv, const FileActions& actions) {
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&attributes, &none);
  sigset_t defaults;
  sigemptyset(&defaults);
  sigaddset(&defaults, SIGPIPE);
  sigaddset(&defaults, SIGXFSZ);
  posix_spawnattr_setsigdefault(&attributes, &defaults);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  std::vector<char*> args;
  for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  Child child;
  int status = 0;
  {
    interrupt::Hold hold;  // a signal finds the child registered, or not yet started
    status = ::posix_spawnp(&child.pid, args[0], actions.get(), &attributes, args.data(), environ);
    if (status == 0) child.stop = interrupt::stop_on_signal(child.pid);
  }
  posix_spawnattr_destroy(&attributes);
  if (status != 0) throw Error(argv[0], std::string("cannot run: ") + std::strerror(status));
  return child;
}

int wait_for(pid_t pid) {
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  return WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
  Pipe out, err;
  FileActions actions;
  actions.open_null(0).dup2(out.write, 1).dup2(err.write, 2);
  const auto child = spawn(argv, actions);
  const pid_t pid = child.pid;
  out.close_write();
  err.close_write();

  CommandResult result;
  std::array<pollfd, 2> fds{{{out.read, POLLIN, 0}, {err.read, POLLIN, 0}}};
  std::array<std::string*, 2> targets{&result.out, &result.err};
  int open_streams = 2;
  char buffer[65536];
  bool too_much = false;
  while (open_streams > 0 && !too_much) {
    if (::poll(fds.data(), fds.size(), -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    for (std::size_t i = 0; i < fds.size(); ++i) {
      if (fds[i].fd < 0 || fds[i].revents == 0) continue;
      const auto n = ::read(fds[i].fd, buffer, sizeof buffer);
      if (n > 0) {
        targets[i]->append(buffer, static_cast<std::size_t>(n));
        too_much = targets[i]->size() > limits::kMaxCommandOutputBytes;
      } else if (n == 0 || errno != EINTR) {
        fds[i].fd = -1;
        --open_streams;
      }
    }
  }
  // Output beyond the limit is not read: the child would block writing it, so it is stopped.
  if (too_much) ::kill(pid, SIGKILL);
  const int exit_code = wait_for(pid);
  if (too_much) {
    const auto command = argv[0] + (argv.size() > 1 ? " " + argv[1] : std::string());
    throw Error(command, "printed more than " + std::to_string(limits::kMaxCommandOutputBytes >> 20) +
                " MiB, the limit for what an engine command may print");
  }
  result.exit_code = exit_code;
  return result;
}

int run_feeding_stdin(const std::vector<std::string>& argv, const std::function<void(int fd)>& feed) {
  Pipe in;
  FileActions actions;
  actions.dup2(in.read, 0);
  const auto child = spawn(argv, actions);
  ::close(in.read);
  in.read = -1;
  try {
    feed(in.write);
  } catch (const Error&) {
    in.close_write();
    // A child that ended closed the pipe (the write failed with EPIPE): its status and its own
    // message tell what happened. One still running after a moment is stopped: it must not take a
    // stream this process gave up on (cut short, it is no complete archive either).
    int wait_status = 0;
    pid_t ended = 0;
    for (int tries = 0; tries < 20 && ended == 0; ++tries) {
      ended = ::waitpid(child.pid, &wait_status, WNOHANG);
      if (ended < 0 && errno == EINTR) ended = 0;
      if (ended == 0) ::usleep(100'000);
    }
    if (ended == 0) {
      ::kill(child.pid, SIGKILL);
      wait_for(child.pid);
    } else if (ended == child.pid && WIFEXITED(wait_status) && WEXITSTATUS(wait_status) != 0) {
      return WEXITSTATUS(wait_status);
    }
    throw;
  }
  in.close_write();
  return wait_for(child.pid);
}

CommandResult run_reading_stdout(const std::vector<std::string>& argv, const std::function<void(int fd)>& read) {
  Pipe out;
  // A file, not a pipe: a program writing much to stderr cannot block while stdout is being read.
  const auto err = unnamed_temp_file(argv[0]);
  FileActions actions;
  actions.open_null(0).dup2(out.write, 1).dup2(err.get(), 2);
  const auto child = spawn(argv, actions);
  out.close_write();
  std::exception_ptr failure;
  try {
    read(out.read);
  } catch (const Error&) {
    failure = std::current_exception();
  }
  ::close(out.read);  // a program still writing gets EPIPE (SIGPIPE) and ends
  out.read = -1;
  CommandResult result;
  result.exit_code = wait_for(child.pid);
  if (failure && result.exit_code == 0) std::rethrow_exception(failure);
  char buffer[4096];
  const auto n = ::pread(err.get(), buffer, sizeof buffer, 0);
  if (n > 0) result.err.assign(buffer, static_cast<std::size_t>(n));
  return result;
}

}  // namespace dockerdiff::engine
