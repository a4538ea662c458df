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

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv) {
  Pipe out, err;
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&actions, out.write, 1);
  posix_spawn_file_actions_adddup2(&actions, err.write, 2);
  // The child starts with nothing blocked and SIGPIPE / SIGXFSZ at their defaults: this process
  // blocks the signals its interrupt thread waits for, and ignores those two.
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
  pid_t pid = 0;
  interrupt::Registration stop;
  int status = 0;
  {
    interrupt::Hold hold;  // a signal finds the child registered, or not yet started
    status = ::posix_spawnp(&pid, args[0], &actions, &attributes, args.data(), environ);
    if (status == 0) stop = interrupt::stop_on_signal(pid);
  }
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (status != 0) throw Error(argv[0], std::string("cannot run: ") + std::strerror(status));
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
  int wait_status = 0;
  while (::waitpid(pid, &wait_status, 0) < 0 && errno == EINTR) {
  }
  if (too_much) {
    const auto command = argv[0] + (argv.size() > 1 ? " " + argv[1] : std::string());
    throw Error(command, "printed more than " + std::to_string(limits::kMaxCommandOutputBytes >> 20) +
                " MiB, the limit for what an engine command may print");
  }
  result.exit_code = WIFEXITED(wait_status) ? WEXITSTATUS(wait_status) : 128 + WTERMSIG(wait_status);
  return result;
}

}  // namespace dockerdiff::engine
