#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <thread>

// Progress on stderr for the long steps (reading, writing, hashing): the code that does the work
// opens a Phase and calls advance() per chunk; the command decides whether anything is shown by
// running a Meter (--progress auto|plain|none). Without a Meter, phases cost an atomic add per chunk.
namespace dockerdiff::progress {

enum class Mode {
  automatic,  // a line redrawn in place on a terminal; nothing when stderr is not one
  plain,      // a full line every few seconds and one at the end of each phase, for CI logs
  none,
};

// "reading app.tar  412.0 MiB / 1.6 GiB  187.0 MiB/s  ETA 6s"; `total` 0 is unknown (no "/ total",
// no ETA). The rate (bytes per second) is left out while `elapsed_seconds` is too short to mean
// anything. `width` > 0: the line is cut to that many columns (the phase name first).
std::string format_line(std::string_view phase, std::uint64_t done, std::uint64_t total, double elapsed_seconds,
                        double rate, std::size_t width);

// The step shown while it lives: `total` bytes (0 unknown) counted by advance(). A phase opened
// inside another replaces it, and the outer one is shown again (with its count) once this one ends.
class Phase {
 public:
  Phase(std::string name, std::uint64_t total);
  ~Phase();
  Phase(const Phase&) = delete;
  Phase& operator=(const Phase&) = delete;

 private:
  int exceptions_ = 0;  // std::uncaught_exceptions() at the start: a phase ended by an error says nothing
};

// Counts `bytes` done in the current phase; from any thread, cheap enough for every chunk.
void advance(std::uint64_t bytes);

// Shows the current phase on `fd` (stderr) until stop() or its end, in a thread of its own. In auto
// mode, only where `fd` is a terminal: "\r" + the line + clear-to-end of line, several times a
// second, and the line cleared as soon as the outermost phase ends (whatever the command prints
// next starts on a clean line). In plain mode: whole lines, never a "\r" or an escape
// code, every DOCKERDIFF_PROGRESS_INTERVAL_MS milliseconds (default 3000). One Meter at a time.
class Meter {
 public:
  explicit Meter(Mode mode, int fd = 2);
  ~Meter() { stop(); }
  Meter(const Meter&) = delete;
  Meter& operator=(const Meter&) = delete;

  // Clears the line and ends the thread; nothing is shown after. Call before printing a summary.
  void stop();

 private:
  std::thread thread_;
};

}  // namespace dockerdiff::progress
