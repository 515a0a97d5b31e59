#include "proc/output_capture.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "core/clock.hpp"
#include "core/utf8.hpp"

namespace coldbench::proc {
namespace {

constexpr std::size_t kMaxOutputLine = 64 * 1024;         // longer output lines are split
constexpr std::size_t kMaxMarkerLine = 64 * 1024 * 1024;  // a metric may carry many values
constexpr std::size_t kMaxTailLineChars = 1000;
constexpr int kStdout = 0, kStderr = 1, kMarker = 2;

void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

}  // namespace

OutputCapture::OutputCapture(Fd out, Fd err, Fd marker, OutputObserver& observer, std::size_t tail_lines,
                             bool show_output, std::function<bool()> run_is_over)
    : sources_{Source{std::move(out), LineSplitter(kMaxOutputLine), true},
               Source{std::move(err), LineSplitter(kMaxOutputLine), true},
               Source{Fd(), LineSplitter(kMaxMarkerLine), bool(marker)}},
      observer_(observer),
      tail_lines_(tail_lines),
      show_output_(show_output),
      run_is_over_(std::move(run_is_over)) {
  sources_[kMarker].fd = std::move(marker);
}

nfds_t OutputCapture::add_to_poll(pollfd* fds, nfds_t count) {
  for (auto& source : sources_) {
    source.poll_index = -1;
    if (!source.open) continue;
    source.poll_index = static_cast<int>(count);
    fds[count++] = {source.fd.get(), POLLIN, 0};
  }
  return count;
}

void OutputCapture::on_ready(const pollfd* fds) {
  for (int which = 0; which < 3; ++which) {
    Source& source = sources_[which];
    if (source.poll_index < 0 || !fds[source.poll_index].revents) continue;
    if (pump(source, which) == Read::Closed) source.open = false;
  }
}

void OutputCapture::drain() {
  for (int which = 0; which < 3; ++which) {
    Source& source = sources_[which];
    if (source.open) {
      set_nonblocking(source.fd.get());
      while (pump(source, which) == Read::Data) {
      }
    }
  }
  for (int which = 0; which < 3; ++which) {
    sources_[which].lines.flush([&](std::string_view line) { deliver(which, line); });
  }
}

OutputCapture::Read OutputCapture::pump(Source& source, int which) {
  ssize_t n = ::read(source.fd.get(), buffer_.data(), buffer_.size());
  if (n < 0 && (errno == EINTR || errno == EAGAIN)) return Read::Again;
  if (n <= 0) return Read::Closed;
  received_ns_ = monotonic_ns();
  source.lines.feed(buffer_.data(), static_cast<std::size_t>(n), [&](std::string_view line) { deliver(which, line); });
  return Read::Data;
}

void OutputCapture::deliver(int which, std::string_view line) {
  if (which == kMarker) {  // only stored: cheap, and a timed-out run keeps its phases
    if (!interrupt_requested()) observer_.on_marker_line(line, received_ns_);
    return;
  }
  if (run_is_over_()) return;
  const Stream stream = which == kStdout ? Stream::Stdout : Stream::Stderr;
  if (!observer_.on_output_line(stream, line, received_ns_)) return;
  tail_.emplace_back(utf8_prefix(line, kMaxTailLineChars));  // cut at a character, not inside one
  while (tail_.size() > tail_lines_) tail_.pop_front();
  if (show_output_) {
    std::string copy(line);
    copy += '\n';
    ssize_t ignored = ::write(which == kStdout ? STDOUT_FILENO : STDERR_FILENO, copy.data(), copy.size());
    (void)ignored;
  }
}

}  // namespace coldbench::proc
