#pragma once
// A running child's stdout, stderr and marker pipe, read as they fill and
// handed on line by line: markers and output lines to the observer, output
// lines to the tail (and to our own terminal with --show-output).

#include <poll.h>

#include <array>
#include <cstdint>
#include <deque>
#include <functional>
#include <string>

#include "core/fd.hpp"
#include "proc/line_splitter.hpp"
#include "proc/spawn.hpp"

namespace coldbench::proc {

class OutputCapture {
 public:
  // `marker` may be empty (no marker pipe). `run_is_over` is asked per line:
  // once true (interrupted, or past the deadline), output lines are dropped
  // unread so Ctrl-C and --timeout act at once whatever the per-line cost.
  OutputCapture(Fd out, Fd err, Fd marker, OutputObserver& observer, std::size_t tail_lines, bool show_output,
                std::function<bool()> run_is_over);

  // Adds the pipes still open to `fds` (from index `count`); returns the new count.
  nfds_t add_to_poll(pollfd* fds, nfds_t count);
  // Reads the pipes that poll found ready (call after every poll, with the same array).
  void on_ready(const pollfd* fds);
  // After the reap: what the child wrote before it exited is still in the
  // pipes. Stray descendants may keep them open, so this reads without blocking.
  void drain();
  std::deque<std::string> take_tail() { return std::move(tail_); }

 private:
  enum class Read { Data, Again, Closed };
  struct Source {
    Fd fd;
    LineSplitter lines;
    bool open;
    int poll_index = -1;
  };
  Read pump(Source& source, int which);
  void deliver(int which, std::string_view line);

  std::array<Source, 3> sources_;  // stdout, stderr, marker
  OutputObserver& observer_;
  std::size_t tail_lines_;
  bool show_output_;
  std::function<bool()> run_is_over_;
  std::deque<std::string> tail_;
  int64_t received_ns_ = 0;
  std::array<char, 65536> buffer_;
};

}  // namespace coldbench::proc
