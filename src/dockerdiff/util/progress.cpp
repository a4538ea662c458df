#include "dockerdiff/util/progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <exception>
#include <mutex>
#include <vector>

#include "dockerdiff/util/error.hpp"
#include "dockerdiff/util/units.hpp"

namespace dockerdiff::progress {

namespace {

using Clock = std::chrono::steady_clock;

// Below this, a rate is mostly noise.
constexpr double kMinRateSeconds = 0.5;
constexpr auto kRedraw = std::chrono::milliseconds(125);
constexpr auto kPlainInterval = std::chrono::milliseconds(3000);

struct Shown {
  std::string name;
  std::uint64_t total = 0;
  Clock::time_point start;
  std::uint64_t done = 0;  // saved while an inner phase is shown
};

// What the running Meter shows, and where; mode none while no Meter runs.
struct Display {
  Mode mode = Mode::none;
  int fd = 2;
  std::chrono::milliseconds interval{};
  bool stopping = false;
  bool drawn = false;  // auto: a line stands on the terminal
};

// One lock for the phases and the output, so that lines never interleave; advance() needs none.
std::mutex mutex;
std::condition_variable stopping_changed;
std::vector<Shown> phases;  // outermost first
Display display;
std::atomic<std::uint64_t> done{0};

void write_all(int fd, std::string_view text) {
  while (!text.empty()) {
    const auto n = ::write(fd, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // progress is never worth an error of its own
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string duration_text(double seconds) {
  const auto total = static_cast<std::uint64_t>(seconds + 0.5);
  if (total < 60) return std::to_string(total) + "s";
  // Appended, not `"0" + std::to_string(n)`: GCC 12 warns (-Wrestrict, a false positive) on that at -O3.
  const auto two_digits = [](std::uint64_t n) {
    std::string text = n < 10 ? "0" : "";
    text += std::to_string(n);
    return text;
  };
  if (total < 3600) return std::to_string(total / 60) + "m" + two_digits(total % 60) + "s";
  return std::to_string(total / 3600) + "h" + two_digits(total / 60 % 60) + "m";
}

std::size_t terminal_width(int fd) {
  winsize size{};
  if (::ioctl(fd, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) return size.ws_col;
  return 80;
}

// The current phase's line (the lock held); empty when there is none.
std::string current_line(std::size_t width) {
  if (phases.empty()) return {};
  const auto& phase = phases.back();
  const double elapsed = std::chrono::duration<double>(Clock::now() - phase.start).count();
  const auto count = done.load(std::memory_order_relaxed);
  const double rate = elapsed > 0 ? static_cast<double>(count) / elapsed : 0;
  return format_line(phase.name, count, phase.total, elapsed, rate, width);
}

void clear_drawn() {
  if (!display.drawn) return;
  write_all(display.fd, "\r\x1b[K");
  display.drawn = false;
}

void draw() {
  if (display.mode == Mode::automatic) {
    // One column short of the width: a full line would wrap on some terminals.
    const auto line = current_line(terminal_width(display.fd) - 1);
    if (line.empty()) return clear_drawn();
    write_all(display.fd, "\r" + line + "\x1b[K");
    display.drawn = true;
  } else if (const auto line = current_line(0); !line.empty()) {
    write_all(display.fd, line + "\n");
  }
}

std::chrono::milliseconds plain_interval() {
  const char* text = std::getenv("DOCKERDIFF_PROGRESS_INTERVAL_MS");
  if (text == nullptr || *text == '\0') return kPlainInterval;
  char* end = nullptr;
  const long value = std::strtol(text, &end, 10);
  if (*end != '\0' || value <= 0) return kPlainInterval;
  return std::chrono::milliseconds(value);
}

}  // namespace

std::string format_line(std::string_view phase, std::uint64_t done_bytes, std::uint64_t total, double elapsed_seconds,
                        double rate, std::size_t width) {
  std::string counts = "  " + human_bytes(done_bytes);
  if (total > 0) counts += " / " + human_bytes(total);
  const bool rate_known = elapsed_seconds >= kMinRateSeconds && rate >= 1;
  if (rate_known) counts += "  " + human_bytes(static_cast<std::uint64_t>(rate)) + "/s";
  if (rate_known && total > done_bytes) counts += "  ETA " + duration_text(static_cast<double>(total - done_bytes) / rate);
  // Names come from the command line and archives: no control character reaches the terminal.
  auto name = printable_line(phase);
  if (width > 0 && name.size() + counts.size() > width) {
    constexpr std::string_view kEllipsis = "...";
    const auto room = width > counts.size() ? width - counts.size() : 0;
    name = room > kEllipsis.size() ? name.substr(0, room - kEllipsis.size()) + std::string(kEllipsis) : std::string();
  }
  auto line = name + counts;
  if (width > 0 && line.size() > width) line.resize(width);
  return line;
}

Phase::Phase(std::string name, std::uint64_t total) : exceptions_(std::uncaught_exceptions()) {
  const std::lock_guard lock(mutex);
  if (!phases.empty()) phases.back().done = done.load();
  phases.push_back({std::move(name), total, Clock::now(), 0});
  done.store(0);
}

Phase::~Phase() {
  const std::lock_guard lock(mutex);
  if (display.mode == Mode::plain && std::uncaught_exceptions() == exceptions_) draw();
  phases.pop_back();
  done.store(phases.empty() ? 0 : phases.back().done);
  if (phases.empty()) clear_drawn();
}

void advance(std::uint64_t bytes) { done.fetch_add(bytes, std::memory_order_relaxed); }

Meter::Meter(Mode mode, int fd) {
  if (mode == Mode::none || (mode == Mode::automatic && ::isatty(fd) == 0)) return;
  const std::lock_guard lock(mutex);
  display = Display{mode, fd, mode == Mode::plain ? plain_interval() : kRedraw, false, false};
  thread_ = std::thread([] {
    std::unique_lock lock_in_thread(mutex);
    while (!stopping_changed.wait_for(lock_in_thread, display.interval, [] { return display.stopping; })) draw();
  });
}

void Meter::stop() {
  if (!thread_.joinable()) return;
  {
    const std::lock_guard lock(mutex);
    display.stopping = true;
  }
  stopping_changed.notify_all();
  thread_.join();
  const std::lock_guard lock(mutex);
  clear_drawn();
  display = Display{};
}

}  // namespace dockerdiff::progress
