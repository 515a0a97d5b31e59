#pragma once
// Page-cache state of single files: how much of a file is resident (mmap +
// mincore), evicting it (posix_fadvise DONTNEED), loading it (read it whole),
// and the global drop_caches. None of the per-file operations needs root:
// read access to the file is enough, and other files' cached pages stay put.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "core/record.hpp"

namespace coldbench::cache {

// Resident bytes of a file whose pages mincore() reported in `pages` (bit 0 of
// each entry): whole pages, except that the last one counts only up to `size`.
int64_t resident_bytes_from_pages(const std::vector<unsigned char>& pages, int64_t size,
                                  int64_t page_size);

// Whether this process can see the file's residency. Since Linux 5.0
// (CVE-2019-5489) mincore() reports every page as resident unless the caller
// owns the file or may write it (cachestat() has the same rule), so without
// root the residency of system files (/usr/lib/...) cannot be measured, only
// changed: eviction and loading work for any readable file.
bool residency_visible(const std::string& path);

// Size and resident bytes of one file, measured without touching its pages.
// An error when residency_visible() is false (the answer would be a lie).
Expected<FileResidency> measure_residency(const std::string& path);

// Drops the file's clean pages from the page cache. Dirty pages are written
// back first (sync_file_range), since DONTNEED skips pages under writeback.
// Pages another process has mapped stay resident: the kernel never drops those.
Expected<void> evict_from_page_cache(const std::string& path);

// Reads the whole file so that every page is resident afterwards (unless memory is short).
Expected<void> load_into_page_cache(const std::string& path);

// Why this process cannot use the global drop_caches (not root, /proc/sys
// read-only, e.g. in a container); nullopt when it can.
std::optional<std::string> drop_caches_unavailable_reason();

// sync(), then "3" into /proc/sys/vm/drop_caches: page cache, dentries and
// inodes of the whole machine.
Expected<void> drop_all_page_caches();

// Residency of a set of files before a run: totals plus up to five of the
// least-resident big files (>= 1 MiB, or all files when none is that big),
// least resident first, larger first among equals.
ResidencySnapshot summarize_residency(const std::vector<FileResidency>& files,
                                      const std::string& cache_mode);

}  // namespace coldbench::cache
