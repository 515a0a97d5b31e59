#include "cache/attribution.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>

#include "cache/page_cache.hpp"
#include "core/fd.hpp"

namespace coldbench::cache {
namespace {

constexpr std::size_t kChunk = 1 << 20;
constexpr std::size_t kAlignment = 4096;

struct FreeDeleter {
  void operator()(void* p) const { std::free(p); }
};

// Reads up to `bytes` of the open file from offset 0; O_DIRECT needs aligned
// lengths, so the last chunk is rounded up (the file's end stops it anyway).
Expected<int64_t> read_prefix(int fd, int64_t bytes, char* buffer, const std::string& path) {
  int64_t done = 0;
  while (done < bytes) {
    std::size_t want = std::size_t(std::min<int64_t>(int64_t(kChunk), bytes - done));
    want = (want + kAlignment - 1) / kAlignment * kAlignment;
    ssize_t got = ::pread(fd, buffer, want, done);
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error("{}: {}", path, std::strerror(errno));
    }
    if (got == 0) break;
    done += got;
  }
  return std::min(done, bytes);
}

}  // namespace

CacheReads attribute_reads(const std::vector<FileResidency>& before,
                           const std::vector<FileResidency>& after, std::size_t top) {
  std::map<std::string, const FileResidency*> earlier;
  for (const auto& f : before) earlier[f.path] = &f;
  CacheReads reads;
  std::vector<FileRead> gained;
  for (const auto& f : after) {
    auto it = earlier.find(f.path);
    if (it == earlier.end()) continue;
    FileRead read{f.path, f.size_bytes, it->second->resident_bytes, f.resident_bytes};
    if (read.read_bytes() <= 0) continue;
    reads.read_bytes += read.read_bytes();
    ++reads.files_read;
    gained.push_back(std::move(read));
  }
  std::stable_sort(gained.begin(), gained.end(), [](const FileRead& a, const FileRead& b) {
    if (a.read_bytes() != b.read_bytes()) return a.read_bytes() > b.read_bytes();
    return a.size_bytes > b.size_bytes;
  });
  if (gained.size() > top) gained.resize(top);
  reads.top = std::move(gained);
  return reads;
}

Expected<SequentialFloor> measure_sequential_floor(const std::vector<FloorFile>& files) {
  std::unique_ptr<void, FreeDeleter> memory;
  void* raw = nullptr;
  if (posix_memalign(&raw, kAlignment, kChunk) != 0)
    return make_error("cannot allocate a read buffer");
  memory.reset(raw);
  char* buffer = static_cast<char*>(raw);

  SequentialFloor floor;
  bool all_direct = true, any_direct = false;
  double seconds = 0;
  for (const auto& file : files) {
    if (file.bytes <= 0) continue;
    Fd fd(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC | O_DIRECT));
    const bool direct = bool(fd);
    if (!direct) {
      // tmpfs, some overlays: no O_DIRECT. Evict, read through the cache, evict again.
      (void)evict_from_page_cache(file.path);
      fd.reset(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return make_error("{}: {}", file.path, std::strerror(errno));
      (void)posix_fadvise(fd.get(), 0, 0, POSIX_FADV_SEQUENTIAL);
    }
    const auto start = std::chrono::steady_clock::now();
    auto got = read_prefix(fd.get(), file.bytes, buffer, file.path);
    if (!got && direct) {
      // A filesystem that accepts the flag but not the read (EINVAL): the cached way.
      (void)evict_from_page_cache(file.path);
      fd.reset(::open(file.path.c_str(), O_RDONLY | O_CLOEXEC));
      if (!fd) return make_error("{}: {}", file.path, std::strerror(errno));
      const auto again = std::chrono::steady_clock::now();
      got = read_prefix(fd.get(), file.bytes, buffer, file.path);
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - again).count();
      all_direct = false;
      (void)evict_from_page_cache(file.path);
    } else {
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (direct) {
        any_direct = true;
      } else {
        all_direct = false;
        (void)evict_from_page_cache(file.path);
      }
    }
    if (!got) return got.error();
    floor.bytes += *got;
  }
  floor.ms = seconds * 1000.0;
  floor.method = all_direct && any_direct ? "O_DIRECT pread"
                 : any_direct ? "O_DIRECT pread, pread after eviction where O_DIRECT failed"
                              : "pread after eviction";
  return floor;
}

}  // namespace coldbench::cache
