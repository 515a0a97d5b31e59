#include "cache/discovery_cache.hpp"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <time.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "temp_dir.hpp"

namespace coldbench::cache {
namespace {

using testing::TempDir;

// Sets a file's mtime explicitly: two writes within one clock tick could share one.
void set_mtime(const std::string& path, time_t seconds) {
  timespec times[2] = {{seconds, 0}, {seconds, 0}};
  ASSERT_EQ(utimensat(AT_FDCWD, path.c_str(), times, 0), 0);
}

CachedDiscovery entry_for(const DiscoveryKey& key, const std::vector<std::string>& files) {
  CachedDiscovery cached;
  cached.key = key;
  cached.program = *stamp_file(key.program);
  for (const auto& f : files) cached.files.push_back(*stamp_file(f));
  cached.discovered_at = "2026-01-01T00:00:00.000Z";
  cached.discovery_ms = 1234;
  return cached;
}

TEST(CacheDiscoveryKey, EnvironmentHashIgnoresOrderAndVolatileVariables) {
  std::vector<std::string> env = {"PATH=/usr/bin", "HOME=/root", "PYTHONPATH=/x"};
  std::vector<std::string> shuffled = {
      "PYTHONPATH=/x",         "PATH=/usr/bin",        "HOME=/root",  "COLDBENCH_FD=3",
      "COLDBENCH_RUN_ID=12-4", "_=/usr/bin/coldbench", "OLDPWD=/tmp", "SHLVL=3"};
  EXPECT_EQ(environment_hash(env), environment_hash(shuffled));
  EXPECT_NE(environment_hash(env),
            environment_hash({"PATH=/usr/bin", "HOME=/root", "PYTHONPATH=/y"}));
  EXPECT_NE(environment_hash(env), environment_hash({"PATH=/usr/bin", "HOME=/root"}));
  // Variables whose names merely start like a volatile one count.
  EXPECT_NE(environment_hash(env),
            environment_hash({"PATH=/usr/bin", "HOME=/root", "PYTHONPATH=/x", "SHLVLX=1"}));
  EXPECT_EQ(environment_hash(env).size(), 16u);
}

TEST(CacheDiscoveryKey, DigestDependsOnEveryPart) {
  DiscoveryKey base{"/usr/bin/python3", {"python3", "bench.py"}, "/work", "0123456789abcdef"};
  std::string digest = key_digest(base);
  EXPECT_EQ(digest, key_digest(base));
  auto changed = [&](auto mutate) {
    DiscoveryKey k = base;
    mutate(k);
    return key_digest(k);
  };
  EXPECT_NE(digest, changed([](DiscoveryKey& k) { k.program = "/usr/bin/python3.11"; }));
  EXPECT_NE(digest, changed([](DiscoveryKey& k) { k.argv.push_back("--iters"); }));
  EXPECT_NE(digest, changed([](DiscoveryKey& k) {
              k.argv = {"python3 bench.py"};
            }));  // word boundaries matter
  EXPECT_NE(digest, changed([](DiscoveryKey& k) { k.cwd = "/work/other"; }));
  EXPECT_NE(digest, changed([](DiscoveryKey& k) { k.env_hash = "fedcba9876543210"; }));
}

TEST(CacheDiscoveryKey, EmptyOrRelativeCwdBecomesAbsolute) {
  auto here = std::filesystem::current_path().string();
  EXPECT_EQ(make_discovery_key("/bin/true", {"true"}, "", {}).cwd, here);
  EXPECT_EQ(make_discovery_key("/bin/true", {"true"}, "sub/dir", {}).cwd, here + "/sub/dir");
  EXPECT_EQ(make_discovery_key("/bin/true", {"true"}, "/abs", {}).cwd, "/abs");
}

TEST(CacheDiscoveryKey, DefaultCacheDirFollowsXdgThenHome) {
  const char* old_xdg = std::getenv("XDG_CACHE_HOME");
  const char* old_home = std::getenv("HOME");
  std::string saved_xdg = old_xdg ? old_xdg : "", saved_home = old_home ? old_home : "";
  setenv("XDG_CACHE_HOME", "/var/cache/me", 1);
  EXPECT_EQ(*default_cache_dir(), "/var/cache/me/coldbench");
  setenv("XDG_CACHE_HOME", "relative", 1);  // the XDG spec says to ignore relative paths
  setenv("HOME", "/home/me", 1);
  EXPECT_EQ(*default_cache_dir(), "/home/me/.cache/coldbench");
  if (old_xdg)
    setenv("XDG_CACHE_HOME", saved_xdg.c_str(), 1);
  else
    unsetenv("XDG_CACHE_HOME");
  if (old_home)
    setenv("HOME", saved_home.c_str(), 1);
  else
    unsetenv("HOME");
}

TEST(CacheDiscoveryInvalidation, FreshWhileNothingChanged) {
  TempDir dir;
  auto program = dir.write("prog", "#!/bin/sh\n");
  auto lib = dir.write("lib.so", "library");
  DiscoveryKey key{program, {"prog"}, dir.path(), "0000000000000000"};
  auto cached = entry_for(key, {lib});
  EXPECT_EQ(stale_reason(cached, key), "");
}

TEST(CacheDiscoveryInvalidation, StaleWhenATrackedFileChangesSizeOrMtimeOrVanishes) {
  TempDir dir;
  auto program = dir.write("prog", "#!/bin/sh\n");
  auto lib = dir.write("lib.so", "library");
  auto script = dir.write("bench.py", "print(1)\n");
  set_mtime(script, 1'600'000'000);
  DiscoveryKey key{program, {"prog"}, dir.path(), "0000000000000000"};
  auto cached = entry_for(key, {lib, script});

  set_mtime(script, 1'600'000'100);  // same size, edited
  EXPECT_NE(stale_reason(cached, key).find("bench.py was modified"), std::string::npos);
  cached = entry_for(key, {lib, script});
  EXPECT_EQ(stale_reason(cached, key), "");

  dir.write("lib.so", "a longer library");
  EXPECT_NE(stale_reason(cached, key).find("lib.so changed size"), std::string::npos);
  cached = entry_for(key, {lib, script});

  std::filesystem::remove(script);
  EXPECT_NE(stale_reason(cached, key).find("bench.py is gone"), std::string::npos);
}

TEST(CacheDiscoveryInvalidation, StaleWhenTheExecutableChangesOrTheKeyDiffers) {
  TempDir dir;
  auto program = dir.write("prog", "#!/bin/sh\n");
  DiscoveryKey key{program, {"prog"}, dir.path(), "0000000000000000"};
  auto cached = entry_for(key, {});
  dir.write("prog", "#!/bin/sh\necho new\n");
  EXPECT_NE(stale_reason(cached, key).find("prog changed size"), std::string::npos);

  cached = entry_for(key, {});
  DiscoveryKey other = key;
  other.argv.push_back("--fast");
  EXPECT_NE(stale_reason(cached, other), "");
}

TEST(CacheDiscoveryStore, RoundTripsAndIgnoresForeignOrBrokenEntries) {
  TempDir dir;
  auto program = dir.write("prog", "#!/bin/sh\n");
  auto lib = dir.write("lib.so", "library");
  DiscoveryKey key{program, {"prog", "--x"}, dir.path(), "0123456789abcdef"};
  auto cached = entry_for(key, {lib});
  std::string cache_dir = dir.file("cache");

  EXPECT_FALSE(load_cached_discovery(cache_dir, key).has_value());
  auto saved = save_cached_discovery(cache_dir, cached);
  ASSERT_TRUE(saved.ok()) << saved.error().message;
  EXPECT_EQ(*saved, cache_entry_path(cache_dir, key));
  EXPECT_EQ(*saved, cache_dir + "/discovery/" + key_digest(key) + ".json");

  auto loaded = load_cached_discovery(cache_dir, key);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->key, key);
  EXPECT_EQ(loaded->program, cached.program);
  EXPECT_EQ(loaded->files, cached.files);
  EXPECT_EQ(loaded->discovered_at, cached.discovered_at);
  EXPECT_DOUBLE_EQ(loaded->discovery_ms, 1234);

  // An entry stored under this key's name but for another key (a hash collision) is not used.
  auto j = to_json(cached);
  j["key"]["cwd"] = "/elsewhere";
  std::ofstream(*saved, std::ios::trunc) << j.dump();
  EXPECT_FALSE(load_cached_discovery(cache_dir, key).has_value());

  std::ofstream(*saved, std::ios::trunc) << "{ not json";
  EXPECT_FALSE(load_cached_discovery(cache_dir, key).has_value());

  std::ofstream(*saved, std::ios::trunc) << R"({"schema":"coldbench-discovery/0"})";
  EXPECT_FALSE(load_cached_discovery(cache_dir, key).has_value());
}

TEST(CacheDiscoveryStore, SaveReportsAnUnwritableDirectory) {
  TempDir dir;
  auto program = dir.write("prog", "x");
  auto blocker = dir.write("cache", "a file where the directory should be");
  auto saved = save_cached_discovery(blocker, entry_for({program, {"prog"}, "/", "0"}, {}));
  ASSERT_FALSE(saved.ok());
  EXPECT_NE(saved.error().message.find("cannot create"), std::string::npos);
}

// A U+FFFD stored in place of a byte that is not UTF-8 named no file and no
// key: the entry never matched again, and every run rediscovered.
TEST(CacheDiscoveryStore, PathsAndArgumentsThatAreNotUtf8RoundTripByteForByte) {
  TempDir dir;
  auto program = dir.write("prog", "#!/bin/sh\n");
  auto data = dir.write("data-\xff\xfe.bin", "bytes");
  DiscoveryKey key{program, {"prog", "caf\xe9"}, dir.path() + "/\xff", "0123456789abcdef"};
  auto cached = entry_for(key, {data});
  std::string cache_dir = dir.file("cache");
  auto saved = save_cached_discovery(cache_dir, cached);
  ASSERT_TRUE(saved.ok()) << saved.error().message;

  std::ifstream in(*saved);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find(R"("hex": "636166e9")"), std::string::npos) << text;  // "caf\xe9"

  auto loaded = load_cached_discovery(cache_dir, key);
  ASSERT_TRUE(loaded.has_value());
  EXPECT_EQ(loaded->key, key);
  EXPECT_EQ(loaded->files, cached.files);
  EXPECT_EQ(stale_reason(*loaded, key), "");
}

TEST(CacheDiscoveryStore, AnEntryWithBadHexIsIgnored) {
  TempDir dir;
  auto program = dir.write("prog", "x");
  DiscoveryKey key{program, {"prog", "caf\xe9"}, dir.path(), "0"};
  std::string cache_dir = dir.file("cache");
  auto saved = save_cached_discovery(cache_dir, entry_for(key, {}));
  ASSERT_TRUE(saved.ok()) << saved.error().message;
  std::ifstream in(*saved);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  text.replace(text.find("636166e9"), 8, "636166zz");
  std::ofstream(*saved, std::ios::trunc) << text;
  EXPECT_FALSE(load_cached_discovery(cache_dir, key).has_value());
}

}  // namespace
}  // namespace coldbench::cache
