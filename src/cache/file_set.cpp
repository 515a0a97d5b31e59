#include "cache/file_set.hpp"

#include <fmt/format.h>
#include <glob.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>

namespace coldbench::cache {
namespace {

bool under(std::string_view path, std::string_view dir) {
  return path.size() >= dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         (path.size() == dir.size() || path[dir.size()] == '/');
}

bool has_glob_magic(std::string_view pattern) {
  return pattern.find_first_of("*?[{") != std::string_view::npos;
}

class Collector {
 public:
  explicit Collector(ExpandedFiles& out) : out_(out) {}

  void add_file(const std::string& path) {
    char resolved[PATH_MAX];
    std::string canonical = ::realpath(path.c_str(), resolved) ? std::string(resolved) : path;
    if (seen_.insert(canonical).second) out_.files.push_back(canonical);
  }

  // Regular files below `dir`, in name order; symlinks to directories are not
  // followed (they could loop), symlinks to files are.
  void add_directory(const std::string& dir) {
    namespace fs = std::filesystem;
    std::error_code error;
    fs::recursive_directory_iterator it(dir, fs::directory_options::skip_permission_denied, error);
    if (error) {
      problem("{}: {}", dir, error.message());
      return;
    }
    std::vector<std::string> found;
    for (; it != fs::recursive_directory_iterator(); it.increment(error)) {
      if (error) {
        problem("{}: {}", dir, error.message());
        break;
      }
      std::error_code status_error;
      if (it->is_regular_file(status_error)) found.push_back(it->path().string());
    }
    std::sort(found.begin(), found.end());
    for (const auto& f : found) add_file(f);
  }

  template <class... Args>
  void problem(fmt::format_string<Args...> format, Args&&... args) {
    out_.problems.push_back(fmt::format(format, std::forward<Args>(args)...));
  }

 private:
  ExpandedFiles& out_;
  std::set<std::string> seen_;
};

}  // namespace

bool is_trackable_path(std::string_view path) {
  if (path.empty() || path[0] != '/') return false;
  for (std::string_view pseudo : {"/proc", "/sys", "/dev"}) {
    if (under(path, pseudo)) return false;
  }
  constexpr std::string_view kDeleted = " (deleted)";
  return !(path.size() >= kDeleted.size() &&
           path.substr(path.size() - kDeleted.size()) == kDeleted);
}

std::string absolute_path(std::string_view base_dir, std::string_view path) {
  std::filesystem::path p(path);
  if (p.is_relative()) p = std::filesystem::path(base_dir) / p;
  std::string normal = p.lexically_normal().string();
  if (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

ExpandedFiles expand_file_patterns(const std::vector<std::string>& patterns,
                                   const std::string& base_dir) {
  ExpandedFiles out;
  Collector collector(out);
  for (const auto& pattern : patterns) {
    if (pattern.empty()) {
      collector.problem("an empty path was given");
      continue;
    }
    std::string absolute = absolute_path(base_dir, pattern);
    std::vector<std::string> matches;
    if (has_glob_magic(pattern)) {
      glob_t found{};
      int rc = glob(absolute.c_str(), GLOB_BRACE | GLOB_TILDE, nullptr, &found);
      if (rc == 0) {
        for (std::size_t i = 0; i < found.gl_pathc; ++i) matches.emplace_back(found.gl_pathv[i]);
      }
      globfree(&found);
      if (rc == GLOB_NOMATCH || (rc == 0 && matches.empty())) {
        collector.problem("{}: no file matches", pattern);
        continue;
      }
      if (rc != 0) {
        collector.problem("{}: cannot expand the pattern ({})", pattern,
                          rc == GLOB_ABORTED ? "a directory could not be read" : "out of memory");
        continue;
      }
    } else {
      matches.push_back(absolute);
    }
    for (const auto& path : matches) {
      struct stat st {};
      if (::stat(path.c_str(), &st) != 0) {
        collector.problem("{}: {}", path, std::strerror(errno));
      } else if (S_ISDIR(st.st_mode)) {
        collector.add_directory(path);
      } else if (S_ISREG(st.st_mode)) {
        collector.add_file(path);
      } else if (!has_glob_magic(pattern)) {
        collector.problem("{}: not a regular file or directory", path);
      }
    }
  }
  return out;
}

}  // namespace coldbench::cache
