#include "dockerdiff/util/interrupt.hpp"

#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <mutex>
#include <system_error>
#include <thread>
#include <utility>
#include <vector>

namespace dockerdiff::interrupt {

namespace {

struct Item {
  std::uint64_t id = 0;
  std::filesystem::path path;  // empty for a child process
  Removal removal = Removal::path;
  pid_t child = 0;
};

// Never destroyed: the signal thread may still use them while the process exits.
std::recursive_mutex& registry_mutex() {
  static auto* mutex = new std::recursive_mutex;
  return *mutex;
}

std::vector<Item>& registry() {
  static auto* items = new std::vector<Item>;
  return *items;
}

std::uint64_t next_id = 0;  // under registry_mutex()

constexpr int kHandled[] = {SIGINT, SIGTERM, SIGHUP};

// How long a child gets to exit after the signal, before its directories are removed anyway.
constexpr auto kChildGrace = std::chrono::seconds(2);

std::uint64_t add(Item item) {
  std::lock_guard lock(registry_mutex());
  const auto id = ++next_id;
  item.id = id;
  registry().push_back(std::move(item));
  return id;
}

[[noreturn]] void clean_up_and_die(int signal_number) {
  // Never unlocked: the process ends here. Commits under a Hold finish first.
  registry_mutex().lock();
  auto& items = registry();
  for (const auto& item : items) {
    if (item.child > 0) ::kill(item.child, signal_number);
  }
  // Let the children stop writing into the directories about to be removed.
  const auto deadline = std::chrono::steady_clock::now() + kChildGrace;
  for (const auto& item : items) {
    if (item.child <= 0) continue;
    while (::waitpid(item.child, nullptr, WNOHANG) == 0 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  for (auto it = items.rbegin(); it != items.rend(); ++it) {
    if (it->path.empty()) continue;
    std::error_code ignored;
    if (it->removal == Removal::tree) {
      std::filesystem::remove_all(it->path, ignored);
    } else {
      std::filesystem::remove(it->path, ignored);  // a directory only when empty
    }
  }
  struct sigaction default_action {};
  default_action.sa_handler = SIG_DFL;
  sigemptyset(&default_action.sa_mask);
  ::sigaction(signal_number, &default_action, nullptr);
  sigset_t only;
  sigemptyset(&only);
  sigaddset(&only, signal_number);
  ::pthread_sigmask(SIG_UNBLOCK, &only, nullptr);
  ::raise(signal_number);
  ::_exit(128 + signal_number);
}

}  // namespace

void install() {
  sigset_t handled;
  sigemptyset(&handled);
  for (const int signal_number : kHandled) {
    // A signal ignored when the tool starts (nohup, a background job) stays ignored.
    struct sigaction current {};
    if (::sigaction(signal_number, nullptr, &current) == 0 && current.sa_handler == SIG_IGN) continue;
    sigaddset(&handled, signal_number);
  }
  if (::pthread_sigmask(SIG_BLOCK, &handled, nullptr) != 0) return;
  std::thread([handled] {
    while (true) {
      int signal_number = 0;
      if (::sigwait(&handled, &signal_number) == 0) clean_up_and_die(signal_number);
    }
  }).detach();
}

Registration& Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    release();
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void Registration::release() noexcept {
  if (id_ == 0) return;
  std::lock_guard lock(registry_mutex());
  std::erase_if(registry(), [&](const Item& item) { return item.id == id_; });
  id_ = 0;
}

Registration remove_on_signal(const std::filesystem::path& path, Removal removal) {
  std::error_code error;
  auto absolute = std::filesystem::absolute(path, error);
  return Registration(add(Item{0, error ? path : absolute, removal, 0}));
}

Registration stop_on_signal(pid_t child) { return Registration(add(Item{0, {}, Removal::path, child})); }

Hold::Hold() { registry_mutex().lock(); }
Hold::~Hold() { registry_mutex().unlock(); }

void settle() { std::lock_guard lock(registry_mutex()); }

}  // namespace dockerdiff::interrupt
