#pragma once
// A prefetch remedy for cold starts: record the order in which a start-up
// first brings file pages into the page cache, write it as a prefetch list,
// and replay that list with sequential reads, before the start (a boot-time
// service, deploy/systemd/) or racing it (`--cache cold+prefetch`).
//
// Recording samples mincore() of every tracked file every few milliseconds
// while the workload runs (no ptrace, no fanotify, no root): a page's position
// in the list is the first sample that saw it resident. The resolution is the
// sampling interval; pages first seen in the same sample keep the tracked
// files' order (discovery's, which is the order the workload opened them) and
// file offset order. Pages read by the kernel's readahead count as touched:
// they are what the start-up made the disk read.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::cache {

struct PrefetchRange {
  std::string path;
  int64_t offset = 0;
  int64_t length = 0;
};

// The list file: a header line, comments (#), then one range a line:
// "OFFSET LENGTH PATH" in bytes, in first-touch order; PATH is the rest of the
// line (it may hold spaces). docs/cache.md, "Prefetch".
inline constexpr std::string_view kPrefetchListHeader = "# coldbench prefetch list v1";
std::string format_prefetch_list(const std::vector<PrefetchRange>& ranges,
                                 const std::string& comment = "");
// `origin` names the text in errors ("list.txt:3: ...").
Expected<std::vector<PrefetchRange>> parse_prefetch_list(std::string_view text,
                                                         const std::string& origin);
Expected<std::vector<PrefetchRange>> read_prefetch_list(const std::string& path);
Expected<void> write_prefetch_list(const std::string& path,
                                   const std::vector<PrefetchRange>& ranges,
                                   const std::string& comment = "");

// Pages first seen in each sample, as (sample, file, page) triples, become
// ranges: ordered by sample, then file index, then page; consecutive pages of
// one file in one sample merge into one range. Pure (unit-tested).
struct FirstTouch {
  int32_t sample = 0;
  int32_t file = 0;
  int64_t page = 0;
};
std::vector<PrefetchRange> ranges_from_first_touches(std::vector<FirstTouch> touches,
                                                     const std::vector<std::string>& files,
                                                     int64_t page_bytes,
                                                     const std::vector<int64_t>& file_sizes);

// Samples the residency of a set of files on a thread of its own, from
// start() until stop(). The thread allocates nothing and takes no lock, so
// the harness may fork while it runs.
class FirstTouchRecorder {
 public:
  explicit FirstTouchRecorder(const std::vector<std::string>& files, double interval_ms = 5.0);
  ~FirstTouchRecorder();
  FirstTouchRecorder(const FirstTouchRecorder&) = delete;
  FirstTouchRecorder& operator=(const FirstTouchRecorder&) = delete;

  void start();
  // Takes a last sample and returns the pages that became resident since
  // start(), in first-touch order.
  std::vector<PrefetchRange> stop();
  int samples() const { return samples_; }
  double interval_ms() const { return interval_ms_; }

 private:
  struct Tracked;
  void sample_once();

  std::vector<Tracked> files_;
  double interval_ms_;
  int samples_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

enum class PrefetchMethod { Read, WillNeed };

struct PrefetchOutcome {
  int64_t bytes = 0;   // bytes asked for (WillNeed) or read (Read)
  int64_t ranges = 0;  // ranges done
  int64_t failed = 0;  // ranges whose file could not be opened or read
  double ms = 0;
  bool stopped = false;  // stop was requested before the end of the list
};

// Reads (or asks the kernel to read ahead) the ranges in list order, with a
// few concurrent readers that take the next piece of the list (at most 1 MiB)
// in turn, so the disk has several requests in flight. Between pieces each
// reader checks `stop` (may be null). The readers allocate nothing: safe
// beside a harness that forks.
PrefetchOutcome replay_prefetch(const std::vector<PrefetchRange>& ranges, PrefetchMethod method,
                                const std::atomic<bool>* stop = nullptr);

class Replay;

// replay_prefetch on threads of their own, racing whatever starts next.
class ConcurrentPrefetch {
 public:
  ConcurrentPrefetch(std::shared_ptr<const std::vector<PrefetchRange>> ranges,
                     PrefetchMethod method, const std::atomic<bool>* stop = nullptr);
  ~ConcurrentPrefetch();
  ConcurrentPrefetch(const ConcurrentPrefetch&) = delete;
  ConcurrentPrefetch& operator=(const ConcurrentPrefetch&) = delete;
  // Stops the replay where it is (at the next piece) unless `stop` is false,
  // waits for the readers and returns what they did.
  PrefetchOutcome finish(bool stop = true);

 private:
  std::shared_ptr<const std::vector<PrefetchRange>> ranges_;
  std::vector<std::vector<char>> buffers_;  // one per reader
  std::atomic<bool> stop_{false};
  std::chrono::steady_clock::time_point start_;
  std::unique_ptr<Replay> replay_;
  PrefetchOutcome outcome_;
  std::vector<std::thread> readers_;
};

}  // namespace coldbench::cache
