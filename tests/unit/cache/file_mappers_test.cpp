#include "cache/file_mappers.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

namespace coldbench::cache {
namespace {

TEST(FileMappers, ParsesPathsIncludingSpacesAndSkipsPseudoAndDeletedMappings) {
  const std::string maps =
      "55d0c0a00000-55d0c0a02000 r--p 00000000 08:01 1234                       "
      "/usr/bin/python3.11\n"
      "7f1a00000000-7f1a00200000 r-xp 00010000 08:01 5678                       "
      "/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0\n"
      "7f1a00200000-7f1a00300000 r--p 00000000 08:01 5679                       /home/me/my "
      "models/model file.pt\n"
      "7f1a00300000-7f1a00400000 rw-p 00000000 00:00 0                          [heap]\n"
      "7f1a00400000-7f1a00500000 rw-p 00000000 00:00 0 \n"
      "7f1a00500000-7f1a00600000 r--p 00000000 00:05 99                         /tmp/scratch "
      "(deleted)\n"
      "7f1a00600000-7f1a00700000 rw-s 00000000 00:01 42                         /memfd:buffer "
      "(deleted)\n"
      "7f1a00700000-7f1a00800000 r-xp 00020000 08:01 5678                       "
      "/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0\n"
      "ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0                  [vsyscall]\n"
      "truncated line\n";
  const auto paths = parse_mapped_paths(maps);
  EXPECT_EQ(paths, (std::set<std::string>{"/usr/bin/python3.11",
                                          "/usr/lib/x86_64-linux-gnu/libtorch_cpu.so.1.13.0",
                                          "/home/me/my models/model file.pt"}));
}

TEST(FileMappers, FindsAProcessThatMapsTheFile) {
  // Our own test binary is mapped by this process; excluding nobody, we find ourselves.
  char self[4096] = {};
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  ASSERT_GT(n, 0);
  const std::string exe(self, std::size_t(n));
  auto found = find_file_mappers({exe, "/nonexistent/file.so"}, /*exclude=*/-1);
  ASSERT_TRUE(found.count(exe));
  EXPECT_FALSE(found.count("/nonexistent/file.so"));
  bool us = false;
  for (const auto& m : found[exe]) us = us || m.pid == getpid();
  EXPECT_TRUE(us);
  // Excluding our own pid leaves us out.
  auto others = find_file_mappers({exe}, int(getpid()));
  for (const auto& m : others[exe]) EXPECT_NE(m.pid, getpid());
}

TEST(FileMappers, LeftResidentKeepsFilesAboveBothThresholdsMostResidentFirst) {
  const int64_t mib = 1 << 20;
  std::vector<FileResidency> after = {{"/a", 100 * mib, 32 * mib},  // 32 %: kept
                                      {"/b", 100 * mib, 2 * mib},   // 2 %: below the share
                                      {"/c", 2 * mib, mib / 2},     // 25 % but under 1 MiB
                                      {"/d", 10 * mib, 10 * mib}};  // all of it
  std::map<std::string, std::vector<FileMapper>> mappers = {{"/a", {{20555, "python3 serve.py"}}}};
  auto left = left_resident_files(after, mappers, 0.05, mib);
  ASSERT_EQ(left.size(), 2u);
  EXPECT_EQ(left[0].path, "/a");
  ASSERT_EQ(left[0].mappers.size(), 1u);
  EXPECT_EQ(left[1].path, "/d");
  EXPECT_TRUE(left[1].mappers.empty());
  EXPECT_EQ(
      describe_left_resident(left[0]),
      "32% of a (32.0 MiB) stays resident after eviction: mapped by pid 20555 (python3 serve.py)");
  EXPECT_NE(describe_left_resident(left[1]).find("no process maps it"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::cache
