#pragma once
// Which files are tracked: the path rules discovery applies to what a
// workload opened, and the expansion of user-given paths and globs
// (--track, `coldbench cache status|evict|warm`).

#include <string>
#include <string_view>
#include <vector>

namespace coldbench::cache {

// A path worth tracking: absolute, outside the pseudo filesystems /proc, /sys
// and /dev, and not a "(deleted)" name from /proc/PID/fd.
bool is_trackable_path(std::string_view path);

// `path` made absolute against `base_dir` (an absolute directory) and
// normalised lexically ("a/./b/../c" -> "a/c"); symlinks are not resolved.
std::string absolute_path(std::string_view base_dir, std::string_view path);

struct ExpandedFiles {
  std::vector<std::string> files;  // absolute, symlinks resolved, each once, in the order found
  std::vector<std::string>
      problems;  // one line each: "PATTERN: no file matches", "DIR: Permission denied"
};

// Expands each pattern with glob(3) (GLOB_BRACE; no "**"); directories are
// recursed, regular files kept, everything else skipped. Relative patterns
// resolve against `base_dir`. Problems are collected, never fatal.
ExpandedFiles expand_file_patterns(const std::vector<std::string>& patterns,
                                   const std::string& base_dir);

}  // namespace coldbench::cache
