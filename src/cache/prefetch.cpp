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
constexpr int kReaders = 4;  // concurrent readers of a replay (class Replay)

int64_t system_page_size() {
  static const int64_t size = sysconf(_SC_PAGESIZE);
  return size;
}

bool parse_int(std::string_view text, int64_t& value) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  return error == std::errc() && end == text.data() + text.size() && value >= 0;
}

}  // namespace

// A list replayed by several readers together: each takes the next piece
// (at most kReadChunk bytes of a range) in list order, so the disk has
// several requests in flight while the order is kept to within a few pieces.
// One reader at a time left this machine's virtio disk mostly idle: a cold
// 120 MB libtorch_cpu.so read in 0.23 s by `cat`, in 0.07 s by 4 concurrent
// readers. Everything is allocated before the readers start; they allocate
// nothing (safe beside a harness that forks).
class Replay {
 public:
  // Readers stop at the next piece once either flag (either may be null) is set.
  Replay(const std::vector<PrefetchRange>& ranges, PrefetchMethod method,
         const std::atomic<bool>* stop, const std::atomic<bool>* other_stop)
      : ranges_(ranges),
        method_(method),
        stops_{stop, other_stop},
        first_piece_(ranges.size() + 1, 0),
        pieces_left_(ranges.size()),
        range_failed_(ranges.size()) {
    for (std::size_t i = 0; i < ranges.size(); ++i) {
      const int64_t pieces =
          std::max<int64_t>(1, (ranges[i].length + int64_t(kReadChunk) - 1) / int64_t(kReadChunk));
      first_piece_[i + 1] = first_piece_[i] + pieces;
      pieces_left_[i] = pieces;
    }
  }

  // One reader's loop, until the list or `stop` ends it.
  void read(char* buffer) {
    const std::string* open_path = nullptr;
    int fd = -1;
    while (true) {
      if (stop_requested()) {
        stopped_ = true;
        break;
      }
      const int64_t piece = next_.fetch_add(1);
      if (piece >= first_piece_.back()) break;
      const auto at = std::upper_bound(first_piece_.begin(), first_piece_.end(), piece);
      const std::size_t index = std::size_t(at - first_piece_.begin()) - 1;
      const PrefetchRange& range = ranges_[index];
      if (!open_path || *open_path != range.path) {
        if (fd >= 0) ::close(fd);
        fd = ::open(range.path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
        open_path = &range.path;
      }
      const int64_t offset = range.offset + (piece - first_piece_[index]) * int64_t(kReadChunk);
      const int64_t length = std::min<int64_t>(int64_t(kReadChunk), range.offset + range.length - offset);
      bool ok = fd >= 0;
      if (ok && length > 0) ok = read_piece(fd, offset, length, buffer);
      if (!ok) range_failed_[index] = true;
      if (pieces_left_[index].fetch_sub(1) == 1) (range_failed_[index] ? failed_ : done_) += 1;
    }
    if (fd >= 0) ::close(fd);
  }

  PrefetchOutcome outcome(double ms) const {
    PrefetchOutcome outcome;
    outcome.bytes = bytes_;
    outcome.ranges = done_;
    outcome.failed = failed_;
    outcome.stopped = stopped_;
    outcome.ms = ms;
    return outcome;
  }

 private:
  bool stop_requested() const {
    for (const std::atomic<bool>* stop : stops_) {
      if (stop && stop->load(std::memory_order_relaxed)) return true;
    }
    return false;
  }

  bool read_piece(int fd, int64_t offset, int64_t length, char* buffer) {
    if (method_ == PrefetchMethod::WillNeed) {
      if (posix_fadvise(fd, offset, length, POSIX_FADV_WILLNEED) != 0) return false;
      bytes_ += length;
      return true;
    }
    int64_t done = 0;
    bool ok = true;
    while (done < length) {
      ssize_t got = ::pread(fd, buffer, std::size_t(length - done), offset + done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) {
        ok = got == 0;  // a file that shrank since the recording: what is there is read
        break;
      }
      done += got;
    }
    bytes_ += done;
    return ok;
  }

  const std::vector<PrefetchRange>& ranges_;
  const PrefetchMethod method_;
  const std::atomic<bool>* stops_[2];
  std::vector<int64_t> first_piece_;  // per range, then the total
  std::vector<std::atomic<int64_t>> pieces_left_;
  std::vector<std::atomic<bool>> range_failed_;
  std::atomic<int64_t> next_{0};
  std::atomic<int64_t> bytes_{0};
  std::atomic<int64_t> done_{0};
  std::atomic<int64_t> failed_{0};
  std::atomic<bool> stopped_{false};
};


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
  ConcurrentPrefetch replay(std::make_shared<const std::vector<PrefetchRange>>(ranges), method, stop);
  return replay.finish(false);
}

ConcurrentPrefetch::ConcurrentPrefetch(std::shared_ptr<const std::vector<PrefetchRange>> ranges,
                                       PrefetchMethod method, const std::atomic<bool>* stop)
    : ranges_(std::move(ranges)),
      buffers_(kReaders, std::vector<char>(kReadChunk)),
      start_(std::chrono::steady_clock::now()) {
  replay_ = std::make_unique<Replay>(*ranges_, method, &stop_, stop);
  readers_.reserve(kReaders);
  for (auto& buffer : buffers_) readers_.emplace_back([this, &buffer] { replay_->read(buffer.data()); });
}

ConcurrentPrefetch::~ConcurrentPrefetch() {
  (void)finish();
}

PrefetchOutcome ConcurrentPrefetch::finish(bool stop) {
  if (!readers_.empty()) {
    if (stop) stop_ = true;
    for (std::thread& reader : readers_) reader.join();
    readers_.clear();
    outcome_ = replay_->outcome(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count());
  }
  return outcome_;
}

}  // namespace coldbench::cache
