#pragma once
// A directory for one test, removed with everything in it afterwards. It is
// made in the build tree (a disk filesystem), not /tmp, which may be tmpfs,
// where page-cache eviction is impossible.

#include <stdlib.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <string>

namespace coldbench::testing {

class TempDir {
 public:
  TempDir() {
    std::string base = std::filesystem::path(CB_FIXTURE_PATH).parent_path().string();
    std::string pattern = base + "/cache-test-XXXXXX";
    if (mkdtemp(pattern.data())) path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ignored;
    if (!path_.empty()) std::filesystem::remove_all(path_, ignored);
  }

  const std::string& path() const { return path_; }
  std::string file(const std::string& name) const { return path_ + "/" + name; }

  // Creates (or replaces) `name` with `content`, making parent directories.
  std::string write(const std::string& name, const std::string& content) const {
    std::string full = file(name);
    std::filesystem::create_directories(std::filesystem::path(full).parent_path());
    std::ofstream(full, std::ios::trunc) << content;
    return full;
  }

 private:
  std::string path_;
};

}  // namespace coldbench::testing
