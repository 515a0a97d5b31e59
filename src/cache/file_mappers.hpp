#pragma once
// Why eviction left pages behind: the kernel never drops a page that some
// process has mapped, so a file that stays partly resident after
// posix_fadvise(DONTNEED) is usually mapped by a running program. These find
// those programs in /proc/PID/maps.

#include <map>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/record.hpp"

namespace coldbench::cache {

// The file paths one /proc/PID/maps text maps (the sixth field, which may hold
// spaces), without " (deleted)" entries, anonymous and pseudo mappings
// ([heap], [vdso], memfd:...). Each path once.
std::set<std::string> parse_mapped_paths(std::string_view maps_text);

// Every process that maps any of `paths` (whose maps this process may read),
// by path, in pid order; `exclude` (normally our own pid) is left out.
// Commands are /proc/PID/cmdline with spaces, cut to `command_chars`.
std::map<std::string, std::vector<FileMapper>> find_file_mappers(const std::set<std::string>& paths,
                                                                 int exclude,
                                                                 std::size_t command_chars = 60);

// The files of a cold run's snapshot that eviction left resident above
// `min_fraction` (and at least `min_bytes`), most resident bytes first, with
// the processes that map them; `mappers` is find_file_mappers' answer.
std::vector<LeftResident> left_resident_files(
    const std::vector<FileResidency>& after_eviction,
    const std::map<std::string, std::vector<FileMapper>>& mappers, double min_fraction,
    int64_t min_bytes);

// "32% of libtorch_cpu.so.1.13.0 stays resident: mapped by pid 20555 (python3 serve.py), ..."
std::string describe_left_resident(const LeftResident& file, std::size_t shown_mappers = 3);

}  // namespace coldbench::cache
