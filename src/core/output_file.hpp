#pragma once
// The one way coldbench creates a file at a path a user gave (exports,
// reports, traces, cached discovery results): the content goes into a new
// temporary file beside the target, which is then renamed over it.
//
// Safe where others can write (a root run exporting into /tmp): the temporary
// file gets an unpredictable name and is opened O_CREAT|O_EXCL|O_NOFOLLOW, so
// nothing planted in advance (a symlink to /etc/shadow) is ever opened or
// followed, and rename(2) never follows a symlink at the target: a target that
// is a symlink is replaced by the new file, the file it pointed to is left
// alone. Readers see the old file or the new one, never half of one.
// Directories on the way to the target are taken as given.
//
// Header and source depend on nothing but libc and fmt, so coldbench-torch
// uses the same code (src/torch/CMakeLists.txt).

#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "core/fd.hpp"

namespace coldbench {

// Writes `content` to `path` as described above (mode 0644 less the umask).
Expected<void> write_file_atomically(const std::string& path, std::string_view content);

// The same, returning the new file open for writing (for appends in place).
Expected<Fd> replace_file(const std::string& path, std::string_view content);

}  // namespace coldbench
