#pragma once
// The discovery cache: what a traced run found, kept per (program, argv, cwd,
// environment) under $XDG_CACHE_HOME/coldbench/discovery (or
// ~/.cache/coldbench/discovery), one JSON file per key.
//
// Invalidation: an entry is reused only while the executable and every
// tracked file still exist with the size and mtime they had when it was
// written. Any change (a new torch build, an edited script, a deleted file)
// means a new traced run. --rediscover forces one. Variables that differ
// between otherwise identical runs (COLDBENCH_FD, COLDBENCH_RUN_ID, _, OLDPWD,
// SHLVL) are left out of the environment's hash.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::cache {

struct DiscoveryKey {
  std::string program;  // resolved executable path
  std::vector<std::string> argv;
  std::string cwd;       // absolute; the harness's own when the run inherits it
  std::string env_hash;  // environment_hash() of the run's environment

  bool operator==(const DiscoveryKey&) const = default;
};

struct FileStamp {
  std::string path;
  int64_t size_bytes = 0;
  int64_t mtime_ns = 0;

  bool operator==(const FileStamp&) const = default;
};

struct CachedDiscovery {
  DiscoveryKey key;
  FileStamp program;
  std::vector<FileStamp> files;
  std::string discovered_at;  // UTC ISO 8601
  double discovery_ms = 0;    // how long the traced run took
};

// Hex FNV-1a 64 of the environment's entries, sorted, without the volatile ones.
std::string environment_hash(const std::vector<std::string>& env);

// `cwd` empty means the harness's current directory.
DiscoveryKey make_discovery_key(const std::string& program, const std::vector<std::string>& argv,
                                const std::string& cwd, const std::vector<std::string>& env);

// The entry's file name: 16 hex digits of a hash of the whole key.
std::string key_digest(const DiscoveryKey& key);

// $XDG_CACHE_HOME/coldbench, else $HOME/.cache/coldbench, else the passwd
// entry's home; an error when none is usable. The directory is not created.
Expected<std::string> default_cache_dir();

Expected<FileStamp> stamp_file(const std::string& path);

// Why `cached` cannot stand for `key` now; empty when it can.
std::string stale_reason(const CachedDiscovery& cached, const DiscoveryKey& key);

nlohmann::json to_json(const CachedDiscovery& cached);
Expected<CachedDiscovery> cached_discovery_from_json(const nlohmann::json& j);

// <cache_dir>/discovery/<digest>.json
std::string cache_entry_path(const std::string& cache_dir, const DiscoveryKey& key);

// nullopt when there is no entry (or an unreadable or foreign one: it is simply rediscovered).
std::optional<CachedDiscovery> load_cached_discovery(const std::string& cache_dir,
                                                     const DiscoveryKey& key);

// Writes the entry atomically (temporary file, then rename), creating directories.
Expected<std::string> save_cached_discovery(const std::string& cache_dir,
                                            const CachedDiscovery& cached);

}  // namespace coldbench::cache
