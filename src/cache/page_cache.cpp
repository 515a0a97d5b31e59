#include "cache/page_cache.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "core/fd.hpp"

namespace coldbench::cache {
namespace {

constexpr int64_t kBigFileBytes = 1 << 20;
constexpr std::size_t kLeastResidentShown = 5;

struct OpenFile {
  Fd fd;
  int64_t size = 0;
};

Expected<OpenFile> open_regular_file(const std::string& path) {
  OpenFile file;
  file.fd.reset(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
  if (!file.fd) return make_error("{}: {}", path, std::strerror(errno));
  struct stat st {};
  if (fstat(file.fd.get(), &st) != 0) return make_error("{}: {}", path, std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return make_error("{}: not a regular file", path);
  file.size = st.st_size;
  return file;
}

// A read-only shared mapping of a whole file; mapping does not fault pages in.
class FileMapping {
 public:
  FileMapping(int fd, std::size_t size)
      : size_(size), address_(::mmap(nullptr, size, PROT_READ, MAP_SHARED, fd, 0)) {}
  FileMapping(const FileMapping&) = delete;
  FileMapping& operator=(const FileMapping&) = delete;
  ~FileMapping() {
    if (address_ != MAP_FAILED) ::munmap(address_, size_);
  }
  bool ok() const { return address_ != MAP_FAILED; }
  void* address() const { return address_; }

 private:
  std::size_t size_;
  void* address_;
};

int64_t page_size() {
  static const int64_t size = sysconf(_SC_PAGESIZE);
  return size;
}

}  // namespace

int64_t resident_bytes_from_pages(const std::vector<unsigned char>& pages, int64_t size,
                                  int64_t page_bytes) {
  int64_t resident = 0;
  for (std::size_t i = 0; i < pages.size(); ++i) {
    if ((pages[i] & 1) == 0) continue;
    int64_t start = static_cast<int64_t>(i) * page_bytes;
    if (start >= size) break;
    resident += std::min(page_bytes, size - start);
  }
  return resident;
}

bool residency_visible(const std::string& path) {
  if (geteuid() == 0) return true;
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return true;  // let the measurement report the real error
  return st.st_uid == geteuid() || faccessat(AT_FDCWD, path.c_str(), W_OK, AT_EACCESS) == 0;
}

Expected<FileResidency> measure_residency(const std::string& path) {
  auto file = open_regular_file(path);
  if (!file) return file.error();
  if (!residency_visible(path)) {
    return make_error(
        "{}: residency not measurable without root (Linux shows it only to the file's owner or "
        "writers)",
        path);
  }
  FileResidency residency{path, file->size, 0};
  if (file->size == 0) return residency;
  auto length = static_cast<std::size_t>(file->size);
  FileMapping mapping(file->fd.get(), length);
  if (!mapping.ok())
    return make_error("{}: cannot map it to measure residency: {}", path, std::strerror(errno));
  std::vector<unsigned char> pages(
      static_cast<std::size_t>((file->size + page_size() - 1) / page_size()));
  if (mincore(mapping.address(), length, pages.data()) != 0) {
    return make_error("{}: mincore failed: {}", path, std::strerror(errno));
  }
  residency.resident_bytes = resident_bytes_from_pages(pages, file->size, page_size());
  return residency;
}

Expected<void> evict_from_page_cache(const std::string& path) {
  auto file = open_regular_file(path);
  if (!file) return file.error();
  // Works on a read-only descriptor; a no-op when nothing is dirty. Errors
  // (e.g. a filesystem without writeback) only mean fewer pages can go.
  (void)sync_file_range(
      file->fd.get(), 0, 0,
      SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER);
  int error = posix_fadvise(file->fd.get(), 0, 0, POSIX_FADV_DONTNEED);
  if (error != 0)
    return make_error("{}: cannot evict it from the page cache: {}", path, std::strerror(error));
  return {};
}

Expected<void> load_into_page_cache(const std::string& path) {
  auto file = open_regular_file(path);
  if (!file) return file.error();
  (void)posix_fadvise(file->fd.get(), 0, 0,
                      POSIX_FADV_SEQUENTIAL);  // larger readahead; only a hint
  static std::vector<char> buffer(1 << 20);
  while (true) {
    ssize_t got = ::read(file->fd.get(), buffer.data(), buffer.size());
    if (got == 0) return {};
    if (got < 0) {
      if (errno == EINTR) continue;
      return make_error("{}: cannot read it into the page cache: {}", path, std::strerror(errno));
    }
  }
}

std::optional<std::string> drop_caches_unavailable_reason() {
  if (geteuid() != 0) {
    return std::string(
        "--cache drop needs root (it writes /proc/sys/vm/drop_caches, which empties the page "
        "cache of the whole machine); use --cache cold instead: it evicts only the tracked files "
        "and needs no root");
  }
  if (access("/proc/sys/vm/drop_caches", W_OK) != 0) {
    return fmt::format(
        "--cache drop: /proc/sys/vm/drop_caches is not writable here ({}); inside a container "
        "/proc/sys is usually read-only. Use --cache cold instead: it evicts only the tracked "
        "files",
        std::strerror(errno));
  }
  return std::nullopt;
}

Expected<void> drop_all_page_caches() {
  sync();  // dirty pages cannot be dropped, so write them out first
  Fd fd(::open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC));
  if (!fd) return make_error("cannot open /proc/sys/vm/drop_caches: {}", std::strerror(errno));
  ssize_t written;
  do {
    written = ::write(fd.get(), "3", 1);
  } while (written < 0 && errno == EINTR);
  if (written != 1)
    return make_error("cannot write /proc/sys/vm/drop_caches: {}", std::strerror(errno));
  return {};
}

ResidencySnapshot summarize_residency(const std::vector<FileResidency>& files,
                                      const std::string& cache_mode) {
  ResidencySnapshot snapshot;
  snapshot.cache_mode = cache_mode;
  snapshot.tracked_files = static_cast<int64_t>(files.size());
  std::vector<const FileResidency*> big;
  for (const auto& f : files) {
    snapshot.total_bytes += f.size_bytes;
    snapshot.resident_bytes += f.resident_bytes;
    if (f.size_bytes >= kBigFileBytes) big.push_back(&f);
  }
  if (big.empty()) {
    for (const auto& f : files) big.push_back(&f);
  }
  auto fraction = [](const FileResidency* f) {
    return f->size_bytes > 0 ? double(f->resident_bytes) / double(f->size_bytes) : 1.0;
  };
  std::stable_sort(big.begin(), big.end(), [&](const FileResidency* a, const FileResidency* b) {
    if (fraction(a) != fraction(b)) return fraction(a) < fraction(b);
    return a->size_bytes > b->size_bytes;
  });
  for (std::size_t i = 0; i < big.size() && i < kLeastResidentShown; ++i)
    snapshot.least_resident.push_back(*big[i]);
  return snapshot;
}

}  // namespace coldbench::cache
