#include "cache/page_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "cache/cache_hook.hpp"
#include "temp_dir.hpp"

namespace coldbench::cache {
namespace {

using testing::TempDir;

constexpr int64_t kFileBytes = 4 * 1024 * 1024 + 123;  // a partial last page on purpose

// A few MiB of incompressible data, written through to disk so its pages are clean.
std::string write_data_file(const TempDir& dir, const std::string& name) {
  std::string data(static_cast<std::size_t>(kFileBytes), '\0');
  std::mt19937 random(42);
  for (auto& c : data) c = static_cast<char>(random());
  std::string path = dir.write(name, data);
  int fd = ::open(path.c_str(), O_RDONLY);
  fsync(fd);
  close(fd);
  return path;
}

// Eviction needs a filesystem with a backing store; tmpfs pages have nowhere to go.
std::string eviction_unsupported(const std::string& path) {
  struct statfs fs {};
  if (statfs(path.c_str(), &fs) == 0 && fs.f_type == TMPFS_MAGIC)
    return "the build tree is on tmpfs";
  auto evicted = evict_from_page_cache(path);
  if (!evicted) return evicted.error().message;
  auto r = measure_residency(path);
  if (r && r->resident_bytes > r->size_bytes / 2)
    return "this filesystem keeps evicted pages (no eviction support)";
  return {};
}

TEST(CacheResidencyMath, CountsWholePagesAndOnlyPartOfTheLast) {
  EXPECT_EQ(resident_bytes_from_pages({1, 1, 1}, 3 * 4096, 4096), 3 * 4096);
  EXPECT_EQ(resident_bytes_from_pages({0, 0, 0}, 3 * 4096, 4096), 0);
  EXPECT_EQ(resident_bytes_from_pages({1, 0, 1}, 2 * 4096 + 100, 4096), 4096 + 100);
  EXPECT_EQ(resident_bytes_from_pages({0, 0, 1}, 2 * 4096 + 100, 4096), 100);
  // mincore's other bits are reserved: only bit 0 says "resident".
  EXPECT_EQ(resident_bytes_from_pages({2, 3}, 2 * 4096, 4096), 4096);
  EXPECT_EQ(resident_bytes_from_pages({}, 0, 4096), 0);
}

TEST(CacheResidencyMath, SnapshotTotalsAndLeastResidentBigFiles) {
  const int64_t MiB = 1 << 20;
  std::vector<FileResidency> files = {
      {"/small", 1000, 0},          {"/a", 10 * MiB, 10 * MiB}, {"/b", 4 * MiB, 1 * MiB},
      {"/c", 8 * MiB, 0},           {"/d", 2 * MiB, 0},         {"/e", 3 * MiB, 3 * MiB / 2},
      {"/f", 5 * MiB, 5 * MiB - 1},
  };
  auto snapshot = summarize_residency(files, "cold");
  EXPECT_EQ(snapshot.cache_mode, "cold");
  EXPECT_EQ(snapshot.tracked_files, 7);
  EXPECT_EQ(snapshot.total_bytes, 1000 + 32 * MiB);
  EXPECT_EQ(snapshot.resident_bytes, 10 * MiB + 1 * MiB + 3 * MiB / 2 + 5 * MiB - 1);
  ASSERT_EQ(snapshot.least_resident.size(), 5u);
  // 0 % (bigger first), then 25 %, 50 %, ~100 %; the small file is not "big".
  EXPECT_EQ(snapshot.least_resident[0].path, "/c");
  EXPECT_EQ(snapshot.least_resident[1].path, "/d");
  EXPECT_EQ(snapshot.least_resident[2].path, "/b");
  EXPECT_EQ(snapshot.least_resident[3].path, "/e");
  EXPECT_EQ(snapshot.least_resident[4].path, "/f");

  auto small_only = summarize_residency({{"/x", 10, 10}, {"/y", 20, 0}}, "warm");
  ASSERT_EQ(small_only.least_resident.size(), 2u);  // no big file: all files qualify
  EXPECT_EQ(small_only.least_resident[0].path, "/y");
  EXPECT_DOUBLE_EQ(small_only.fraction(), 10.0 / 30.0);
}

TEST(CacheResidency, EvictThenLoadOnARealFile) {
  TempDir dir;
  auto path = write_data_file(dir, "data.bin");
  if (auto why = eviction_unsupported(path); !why.empty()) GTEST_SKIP() << why;

  auto cold = measure_residency(path);
  ASSERT_TRUE(cold.ok()) << cold.error().message;
  EXPECT_EQ(cold->size_bytes, kFileBytes);
  EXPECT_LE(cold->resident_bytes, kFileBytes / 100) << "evicted file still resident";
  // Measuring must not bring pages in.
  EXPECT_EQ(measure_residency(path)->resident_bytes, cold->resident_bytes);

  ASSERT_TRUE(load_into_page_cache(path).ok());
  auto warm = measure_residency(path);
  EXPECT_GE(warm->resident_bytes, kFileBytes * 99 / 100);
  EXPECT_LE(warm->resident_bytes, kFileBytes);

  ASSERT_TRUE(evict_from_page_cache(path).ok());
  EXPECT_LE(measure_residency(path)->resident_bytes, kFileBytes / 100);
}

TEST(CacheResidency, EmptyFilesAndErrors) {
  TempDir dir;
  auto empty = dir.write("empty", "");
  auto r = measure_residency(empty);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->size_bytes, 0);
  EXPECT_EQ(r->resident_bytes, 0);
  EXPECT_TRUE(evict_from_page_cache(empty).ok());
  EXPECT_TRUE(load_into_page_cache(empty).ok());

  auto missing = measure_residency(dir.file("missing"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("No such file"), std::string::npos);
  auto directory = measure_residency(dir.path());
  ASSERT_FALSE(directory.ok());
  EXPECT_NE(directory.error().message.find("not a regular file"), std::string::npos);
}

// Linux hides residency from callers that neither own nor may write a file
// (mincore then says "all resident"): such files must be reported as not
// measurable, never as 100 % resident.
TEST(CacheResidency, VisibleOnlyToOwnersAndWritersWithoutRoot) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to switch to another user in a child";
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  const uid_t nobody = 65534;
  auto theirs = dir.write("root-owned.bin", std::string(8192, 'r'));
  chmod(theirs.c_str(), 0644);
  auto owned = dir.write("owned.bin", std::string(8192, 'o'));
  ASSERT_EQ(chown(owned.c_str(), nobody, nobody), 0);
  auto writable = dir.write("writable.bin", std::string(8192, 'w'));
  chmod(writable.c_str(), 0666);
  EXPECT_TRUE(residency_visible(theirs));  // root sees everything

  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    if (setresgid(nobody, nobody, nobody) != 0 || setresuid(nobody, nobody, nobody) != 0) _exit(1);
    int bits = 64;
    if (!residency_visible(theirs)) bits |= 1;
    if (residency_visible(owned)) bits |= 2;
    if (residency_visible(writable)) bits |= 4;
    auto hidden = measure_residency(theirs);
    if (!hidden.ok() &&
        hidden.error().message.find("not measurable without root") != std::string::npos)
      bits |= 8;
    if (measure_residency(owned).ok()) bits |= 16;
    if (evict_from_page_cache(theirs).ok()) bits |= 32;  // eviction needs only read access
    _exit(bits);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 64 | 1 | 2 | 4 | 8 | 16 | 32);
}

TEST(CacheResidency, DropCachesNeedsRoot) {
  auto reason = drop_caches_unavailable_reason();
  if (geteuid() != 0) {
    ASSERT_TRUE(reason.has_value());
    EXPECT_NE(reason->find("needs root"), std::string::npos);
    EXPECT_NE(reason->find("--cache cold"), std::string::npos);
  } else if (reason) {
    EXPECT_NE(reason->find("not writable"), std::string::npos);
  }
}

// The hook with --no-discover semantics: only the listed files, no process traced.
TEST(CacheStateHook, ColdAndWarmActOnMeasuredRunsOnlyAndRecordResidency) {
  TempDir dir;
  auto path = write_data_file(dir, "model.bin");
  if (auto why = eviction_unsupported(path); !why.empty()) GTEST_SKIP() << why;
  CommandSpec command{"w", "w", {"/bin/true"}, false};
  proc::SpawnRequest request;
  request.program = "/bin/true";
  request.argv = {"/bin/true"};

  auto run_with = [&](CacheMode mode, bool warmup) {
    CacheStateHook hook(CacheSettings{mode, {path}, false, {}}, nullptr);
    RunRecord record;
    record.warmup = warmup;
    EXPECT_TRUE(hook.before_spawn(command, request, record).ok());
    EXPECT_TRUE(record.residency.has_value());
    return record.residency.value_or(ResidencySnapshot{});
  };

  auto warm = run_with(CacheMode::Warm, false);
  EXPECT_EQ(warm.cache_mode, "warm");
  EXPECT_EQ(warm.tracked_files, 1);
  EXPECT_EQ(warm.total_bytes, kFileBytes);
  EXPECT_GE(warm.fraction(), 0.99);

  auto cold_warmup = run_with(CacheMode::Cold, true);  // a warmup: no eviction
  EXPECT_GE(cold_warmup.fraction(), 0.99);

  auto cold = run_with(CacheMode::Cold, false);
  EXPECT_EQ(cold.cache_mode, "cold");
  EXPECT_LE(cold.fraction(), 0.01);
  ASSERT_EQ(cold.least_resident.size(), 1u);
  EXPECT_EQ(cold.least_resident[0].path, path);

  auto warm_warmup = run_with(CacheMode::Warm, true);  // a warmup: no loading either
  EXPECT_LE(warm_warmup.fraction(), 0.01);

  auto none = run_with(CacheMode::None, false);  // only records
  EXPECT_LE(none.fraction(), 0.01);
}

TEST(CacheStateHook, ParsesModes) {
  EXPECT_EQ(*parse_cache_mode("cold"), CacheMode::Cold);
  EXPECT_EQ(*parse_cache_mode("warm"), CacheMode::Warm);
  EXPECT_EQ(*parse_cache_mode("drop"), CacheMode::Drop);
  EXPECT_EQ(*parse_cache_mode("none"), CacheMode::None);
  EXPECT_FALSE(parse_cache_mode("hot").ok());
  EXPECT_EQ(to_string(CacheMode::Drop), "drop");
}

TEST(CacheStateHook, SandboxHomeDoesNotSplitTheDiscoveryKey) {
  std::vector<std::string> a = {"PATH=/bin", "HOME=/tmp/coldbench-sandbox-1"};
  std::vector<std::string> b = {"PATH=/bin", "HOME=/tmp/coldbench-sandbox-2"};
  EXPECT_EQ(discovery_key_environment(a, "sandbox"), discovery_key_environment(b, "sandbox"));
  EXPECT_NE(discovery_key_environment(a, ""), discovery_key_environment(b, ""));
}

TEST(CacheStateHook, ContainersNeedExplicitFiles) {
  CacheStateHook hook(CacheSettings{CacheMode::Cold, {}, true, {}}, nullptr);
  CommandSpec command{"c", "c", {"python3"}, false};
  proc::SpawnRequest request;
  request.program = "/usr/bin/docker";
  RunRecord record;
  record.isolation = "docker";
  auto result = hook.before_spawn(command, request, record);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("--track"), std::string::npos);
}

}  // namespace
}  // namespace coldbench::cache
