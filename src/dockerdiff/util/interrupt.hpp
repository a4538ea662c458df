#pragma once

#include <sys/types.h>

#include <cstdint>
#include <filesystem>

// What SIGINT, SIGTERM and SIGHUP do to a running command: every temporary file and directory
// registered here is removed and every registered child process gets the same signal; then the
// process dies of that signal (exit status 128 + N in a shell), as an uncaught signal would end it.
//
// install() blocks those signals before any other thread exists, so that every thread inherits the
// block, and starts one thread that waits for them (sigwait): the cleanup runs there as ordinary
// code, not in a signal handler. Without install() (the unit tests run commands in-process),
// registrations are simply kept and dropped.
namespace dockerdiff::interrupt {

void install();

// A file (or empty directory), or a directory and everything below it.
enum class Removal { path, tree };

// Undone (unregistered) when destroyed or released.
class Registration {
 public:
  Registration() = default;
  explicit Registration(std::uint64_t id) : id_(id) {}
  ~Registration() { release(); }
  Registration(Registration&& other) noexcept : id_(other.id_) { other.id_ = 0; }
  Registration& operator=(Registration&& other) noexcept;
  Registration(const Registration&) = delete;
  Registration& operator=(const Registration&) = delete;
  void release() noexcept;

 private:
  std::uint64_t id_ = 0;
};

[[nodiscard]] Registration remove_on_signal(const std::filesystem::path& path, Removal removal = Removal::path);
[[nodiscard]] Registration stop_on_signal(pid_t child);

// While a Hold lives, a signal's cleanup waits; it runs once the Hold is gone. Creating a temporary
// file and registering it, and renaming a command's outputs into place, happen under a Hold: a
// signal then finds every temporary file registered, and leaves either all outputs of a command in
// place or none.
class Hold {
 public:
  Hold();
  ~Hold();
  Hold(const Hold&) = delete;
  Hold& operator=(const Hold&) = delete;
};

// Returns at once, unless a signal's cleanup is under way: then it never returns (the process is
// about to die of the signal). main() calls it before it prints an error or exits, so that a run cut
// short by a signal reports nothing the cleanup itself caused.
void settle();

}  // namespace dockerdiff::interrupt
