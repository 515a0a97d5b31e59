#include "cache/prefetch.hpp"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <cstring>
#include <fstream>
#include <sstream>

#include "core/fd.hpp"
#include "core/output_file.hpp"

namespace coldbench::cache {
namespace {

constexpr std::size_t kReadChunk = 1 << 20;

int64_t system_page_size() {
  static const int64_t size = sysconf(_SC_PAGESIZE);
  return size;
}

bool parse_int(std::string_view text, int64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= 0;
}

PrefetchOutcome replay_with_buffer(const std::vector<PrefetchRange>& ranges, PrefetchMethod method,
                                   const std::atomic<bool>* stop, char* buffer,
                                   std::size_t buffer_size) {
  PrefetchOutcome outcome;
  const auto start = std::chrono::steady_clock::now();
  const std::string* open_path = nullptr;
  int fd = -1;
  for (const auto& range : ranges) {
    if (stop && stop->load(std::memory_order_relaxed)) {
      outcome.stopped = true;
      break;
    }
    if (!open_path || *open_path != range.path) {
      if (fd >= 0) ::close(fd);
      fd = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
      open_path = &range.path;
    }
    if (fd < 0) {
      ++outcome.failed;
      continue;
    }
    bool ok = true;
    if (method == PrefetchMethod::WillNeed) {
      ok = posix_fadvise(fd, range.offset, range.length, POSIX_FADV_WILLNEED) == 0;
      if (ok) outcome.bytes += range.length;
    } else {
      int64_t done = 0;
      while (done < range.length) {
        const std::size_t want =
            std::size_t(std::min<int64_t>(int64_t(buffer_size), range.length - done));
        ssize_t got = ::pread(fd, buffer, want, range.offset + done);
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) {
          ok = got == 0;  // a file that shrank since the recording: what is there is read
          break;
        }
        done += got;
      }
      outcome.bytes += done;
    }
    if (ok) {
      ++outcome.ranges;
    } else {
      ++outcome.failed;
    }
  }
  if (fd >= 0) ::close(fd);
  outcome.ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  return outcome;
}

}  // namespace

std::string format_prefetch_list(const std::vector<PrefetchRange>& ranges,
                                 const std::string& comment) {
  std::string text(kPrefetchListHeader);
  text += "\n# OFFSET LENGTH PATH, in bytes, in the order the start-up first touched them\n";
  if (!comment.empty()) {
    std::istringstream lines(comment);
    for (std::string line; std::getline(lines, line);) text += "# " + line + "\n";
  }
  for (const auto& r : ranges) text += fmt::format("{} {} {}\n", r.offset, r.length, r.path);
  return text;
}

Expected<std::vector<PrefetchRange>> parse_prefetch_list(std::string_view text,
                                                         const std::string& origin) {
  std::vector<PrefetchRange> ranges;
  std::size_t start = 0;
  int line_number = 0;
  bool header = false;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line_number == 1) {
      if (line != kPrefetchListHeader) {
        return make_error(
            "{}:1: not a prefetch list: the first line must be '{}' (write one with coldbench run "
            "--cache cold "
            "--record-prefetch FILE)",
            origin, kPrefetchListHeader);
      }
      header = true;
      continue;
    }
    if (line.empty() || line.front() == '#') continue;
    const std::size_t first = line.find(' ');
    const std::size_t second = first == std::string_view::npos ? first : line.find(' ', first + 1);
    PrefetchRange range;
    if (second == std::string_view::npos || !parse_int(line.substr(0, first), range.offset) ||
        !parse_int(line.substr(first + 1, second - first - 1), range.length) ||
        second + 1 >= line.size()) {
      return make_error(
          "{}:{}: expected 'OFFSET LENGTH PATH' (bytes, then an absolute path), got '{}'", origin,
          line_number, line);
    }
    range.path = std::string(line.substr(second + 1));
    if (range.path.front() != '/') {
      return make_error(
          "{}:{}: the path '{}' is not absolute; a prefetch list names files by absolute path",
          origin, line_number, range.path);
    }
    if (range.length == 0) continue;
    ranges.push_back(std::move(range));
  }
  if (!header) return make_error("{}: empty file, not a prefetch list", origin);
  return ranges;
}

Expected<std::vector<PrefetchRange>> read_prefetch_list(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read the prefetch list {}: {}", path, std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  return parse_prefetch_list(text.str(), path);
}

Expected<void> write_prefetch_list(const std::string& path,
                                   const std::vector<PrefetchRange>& ranges,
                                   const std::string& comment) {
  return write_file_atomically(path, format_prefetch_list(ranges, comment));
}

std::vector<PrefetchRange> ranges_from_first_touches(std::vector<FirstTouch> touches,
                                                     const std::vector<std::string>& files,
                                                     int64_t page_bytes,
                                                     const std::vector<int64_t>& file_sizes) {
  std::sort(touches.begin(), touches.end(), [](const FirstTouch& a, const FirstTouch& b) {
    if (a.sample != b.sample) return a.sample < b.sample;
    if (a.file != b.file) return a.file < b.file;
    return a.page < b.page;
  });
  std::vector<PrefetchRange> ranges;
  int32_t last_sample = -1, last_file = -1;
  int64_t last_page = -2;
  for (const auto& t : touches) {
    const int64_t size = file_sizes[std::size_t(t.file)];
    const int64_t offset = t.page * page_bytes;
    if (offset >= size) continue;
    const int64_t length = std::min(page_bytes, size - offset);
    if (!ranges.empty() && t.sample == last_sample && t.file == last_file &&
        t.page == last_page + 1) {
      ranges.back().length += length;
    } else {
      ranges.push_back(PrefetchRange{files[std::size_t(t.file)], offset, length});
    }
    last_sample = t.sample;
    last_file = t.file;
    last_page = t.page;
  }
  return ranges;
}

struct FirstTouchRecorder::Tracked {
  std::string path;
  int64_t size = 0;
  void* address = MAP_FAILED;
  std::vector<unsigned char> pages;  // mincore's answer, reused every sample
  std::vector<int32_t>
      first_seen;  // sample that first saw the page; -1 not yet; -2 resident at start
};

FirstTouchRecorder::FirstTouchRecorder(const std::vector<std::string>& files, double interval_ms)
    : interval_ms_(interval_ms) {
  for (const auto& path : files) {
    Fd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    struct stat st {};
    if (!fd || fstat(fd.get(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size == 0) continue;
    Tracked t;
    t.path = path;
    t.size = st.st_size;
    // Mapping faults nothing in; mincore on the mapping only looks.
    t.address = ::mmap(nullptr, std::size_t(t.size), PROT_READ, MAP_SHARED, fd.get(), 0);
    if (t.address == MAP_FAILED) continue;
    const auto pages = std::size_t((t.size + system_page_size() - 1) / system_page_size());
    t.pages.assign(pages, 0);
    t.first_seen.assign(pages, -1);
    files_.push_back(std::move(t));
  }
}

FirstTouchRecorder::~FirstTouchRecorder() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  for (auto& t : files_) {
    if (t.address != MAP_FAILED) ::munmap(t.address, std::size_t(t.size));
  }
}

void FirstTouchRecorder::sample_once() {
  for (auto& t : files_) {
    if (mincore(t.address, std::size_t(t.size), t.pages.data()) != 0) continue;
    for (std::size_t i = 0; i < t.pages.size(); ++i) {
      if ((t.pages[i] & 1) && t.first_seen[i] == -1) t.first_seen[i] = samples_;
    }
  }
  ++samples_;
}

void FirstTouchRecorder::start() {
  // What is resident now was not read by the workload.
  for (auto& t : files_) {
    if (mincore(t.address, std::size_t(t.size), t.pages.data()) != 0) continue;
    for (std::size_t i = 0; i < t.pages.size(); ++i) {
      if (t.pages[i] & 1) t.first_seen[i] = -2;
    }
  }
  stop_ = false;
  thread_ = std::thread([this] {
    const auto ns = int64_t(interval_ms_ * 1e6);
    timespec pause{time_t(ns / 1000000000), long(ns % 1000000000)};
    while (!stop_.load(std::memory_order_relaxed)) {
      sample_once();
      nanosleep(&pause, nullptr);
    }
  });
}

std::vector<PrefetchRange> FirstTouchRecorder::stop() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  sample_once();
  std::vector<FirstTouch> touches;
  std::vector<std::string> paths;
  std::vector<int64_t> sizes;
  for (std::size_t f = 0; f < files_.size(); ++f) {
    paths.push_back(files_[f].path);
    sizes.push_back(files_[f].size);
    for (std::size_t i = 0; i < files_[f].first_seen.size(); ++i) {
      if (files_[f].first_seen[i] >= 0)
        touches.push_back({files_[f].first_seen[i], int32_t(f), int64_t(i)});
    }
  }
  return ranges_from_first_touches(std::move(touches), paths, system_page_size(), sizes);
}

PrefetchOutcome replay_prefetch(const std::vector<PrefetchRange>& ranges, PrefetchMethod method,
                                const std::atomic<bool>* stop) {
  std::vector<char> buffer(kReadChunk);
  return replay_with_buffer(ranges, method, stop, buffer.data(), buffer.size());
}

ConcurrentPrefetch::ConcurrentPrefetch(std::shared_ptr<const std::vector<PrefetchRange>> ranges,
                                       PrefetchMethod method)
    : ranges_(std::move(ranges)), buffer_(kReadChunk) {
  thread_ = std::thread([this, method] {
    outcome_ = replay_with_buffer(*ranges_, method, &stop_, buffer_.data(), buffer_.size());
  });
}

ConcurrentPrefetch::~ConcurrentPrefetch() {
  (void)finish();
}

PrefetchOutcome ConcurrentPrefetch::finish() {
  if (thread_.joinable()) {
    stop_ = true;
    thread_.join();
  }
  return outcome_;
}

}  // namespace coldbench::cache
