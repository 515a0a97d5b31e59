#include "cache/discovery_cache.hpp"

#include <fmt/format.h>
#include <pwd.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "cache/file_set.hpp"
#include "core/output_file.hpp"
#include "core/utf8.hpp"
#include "core/json_text.hpp"

namespace coldbench::cache {
namespace {

constexpr const char* kEntrySchema = "coldbench-discovery/1";

class Fnv1a {
 public:
  void add(std::string_view text) {
    for (unsigned char c : text) {
      hash_ ^= c;
      hash_ *= 0x100000001b3ULL;
    }
    // A separator that cannot occur inside a C string keeps ("ab","c") apart from ("a","bc").
    hash_ ^= 0xffU;
    hash_ *= 0x100000001b3ULL;
  }
  std::string hex() const { return fmt::format("{:016x}", hash_); }

 private:
  uint64_t hash_ = 0xcbf29ce484222325ULL;
};

bool is_volatile_variable(std::string_view entry) {
  for (std::string_view name : {"COLDBENCH_FD", "COLDBENCH_RUN_ID", "_", "OLDPWD", "SHLVL"}) {
    if (entry.size() > name.size() && entry.compare(0, name.size(), name) == 0 &&
        entry[name.size()] == '=') {
      return true;
    }
  }
  return false;
}

// Paths and arguments byte for byte: a JSON string when they are UTF-8,
// {"hex": "..."} when not (a U+FFFD in their place would name no file, and the
// entry would never match its key again).
nlohmann::json bytes_json(const std::string& bytes) {
  if (is_valid_utf8(bytes)) return bytes;
  std::string hex;
  for (unsigned char c : bytes) hex += fmt::format("{:02x}", c);
  return {{"hex", hex}};
}

std::string bytes_from_json(const nlohmann::json& j) {
  if (j.is_string()) return j.get<std::string>();
  const auto hex = j.at("hex").get<std::string>();
  if (hex.size() % 2 != 0 || hex.find_first_not_of("0123456789abcdef") != std::string::npos) {
    throw std::invalid_argument("bad hex string");
  }
  std::string bytes;
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

nlohmann::json stamp_json(const FileStamp& s) {
  return {{"path", bytes_json(s.path)}, {"size_bytes", s.size_bytes}, {"mtime_ns", s.mtime_ns}};
}

FileStamp stamp_from_json(const nlohmann::json& j) {
  return FileStamp{bytes_from_json(j.at("path")), j.at("size_bytes").get<int64_t>(),
                   j.at("mtime_ns").get<int64_t>()};
}

std::string describe_change(const FileStamp& before, const FileStamp& now) {
  if (before.size_bytes != now.size_bytes) {
    return fmt::format("{} changed size ({} -> {} bytes)", before.path, before.size_bytes,
                       now.size_bytes);
  }
  return fmt::format("{} was modified", before.path);
}

}  // namespace

std::string environment_hash(const std::vector<std::string>& env) {
  std::vector<std::string> kept;
  for (const auto& entry : env) {
    if (!is_volatile_variable(entry)) kept.push_back(entry);
  }
  std::sort(kept.begin(), kept.end());
  Fnv1a hash;
  for (const auto& entry : kept) hash.add(entry);
  return hash.hex();
}

DiscoveryKey make_discovery_key(const std::string& program, const std::vector<std::string>& argv,
                                const std::string& cwd, const std::vector<std::string>& env) {
  DiscoveryKey key{program, argv, cwd, environment_hash(env)};
  if (key.cwd.empty() || key.cwd[0] != '/') {
    char buffer[PATH_MAX];
    std::string here = getcwd(buffer, sizeof buffer) ? buffer : "/";
    key.cwd = absolute_path(here, key.cwd);
  }
  return key;
}

std::string key_digest(const DiscoveryKey& key) {
  Fnv1a hash;
  hash.add(key.program);
  hash.add(std::to_string(key.argv.size()));
  for (const auto& a : key.argv) hash.add(a);
  hash.add(key.cwd);
  hash.add(key.env_hash);
  return hash.hex();
}

Expected<std::string> default_cache_dir() {
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  if (xdg && xdg[0] == '/') return std::string(xdg) + "/coldbench";
  const char* home = std::getenv("HOME");
  std::string base = home && home[0] == '/' ? home : "";
  if (base.empty()) {
    if (const passwd* pw = getpwuid(getuid()); pw && pw->pw_dir && pw->pw_dir[0] == '/')
      base = pw->pw_dir;
  }
  if (base.empty()) {
    return make_error("no cache directory: set XDG_CACHE_HOME or HOME to an absolute path");
  }
  return base + "/.cache/coldbench";
}

Expected<FileStamp> stamp_file(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return make_error("{}: {}", path, std::strerror(errno));
  return FileStamp{path, st.st_size,
                   int64_t(st.st_mtim.tv_sec) * 1'000'000'000 + st.st_mtim.tv_nsec};
}

std::string stale_reason(const CachedDiscovery& cached, const DiscoveryKey& key) {
  if (!(cached.key == key)) return "the entry belongs to another command";
  auto check = [](const FileStamp& before) -> std::string {
    auto now = stamp_file(before.path);
    if (!now) return fmt::format("{} is gone", before.path);
    if (!(*now == before)) return describe_change(before, *now);
    return {};
  };
  if (auto reason = check(cached.program); !reason.empty()) return reason;
  for (const auto& file : cached.files) {
    if (auto reason = check(file); !reason.empty()) return reason;
  }
  return {};
}

nlohmann::json to_json(const CachedDiscovery& cached) {
  nlohmann::json files = nlohmann::json::array();
  for (const auto& f : cached.files) files.push_back(stamp_json(f));
  nlohmann::json argv = nlohmann::json::array();
  for (const auto& word : cached.key.argv) argv.push_back(bytes_json(word));
  return {{"schema", kEntrySchema},
          {"key",
           {{"program", bytes_json(cached.key.program)},
            {"argv", argv},
            {"cwd", bytes_json(cached.key.cwd)},
            {"env_hash", cached.key.env_hash}}},
          {"program", stamp_json(cached.program)},
          {"discovered_at", cached.discovered_at},
          {"discovery_ms", cached.discovery_ms},
          {"files", files}};
}

Expected<CachedDiscovery> cached_discovery_from_json(const nlohmann::json& j) {
  try {
    if (j.value("schema", "") != kEntrySchema) return make_error("not a {} entry", kEntrySchema);
    CachedDiscovery cached;
    const auto& key = j.at("key");
    std::vector<std::string> argv;
    for (const auto& word : key.at("argv")) argv.push_back(bytes_from_json(word));
    cached.key = DiscoveryKey{bytes_from_json(key.at("program")), std::move(argv),
                              bytes_from_json(key.at("cwd")), key.at("env_hash").get<std::string>()};
    cached.program = stamp_from_json(j.at("program"));
    cached.discovered_at = j.value("discovered_at", "");
    cached.discovery_ms = j.value("discovery_ms", 0.0);
    for (const auto& f : j.at("files")) cached.files.push_back(stamp_from_json(f));
    return cached;
  } catch (const std::exception& e) {  // nlohmann's exceptions, or a bad "hex"
    return make_error("malformed discovery cache entry: {}", e.what());
  }
}

std::string cache_entry_path(const std::string& cache_dir, const DiscoveryKey& key) {
  return cache_dir + "/discovery/" + key_digest(key) + ".json";
}

std::optional<CachedDiscovery> load_cached_discovery(const std::string& cache_dir,
                                                     const DiscoveryKey& key) {
  std::ifstream in(cache_entry_path(cache_dir, key));
  if (!in) return std::nullopt;
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (j.is_discarded()) return std::nullopt;
  auto cached = cached_discovery_from_json(j);
  if (!cached || !(cached->key == key)) return std::nullopt;
  return std::move(cached).value();
}

Expected<std::string> save_cached_discovery(const std::string& cache_dir,
                                            const CachedDiscovery& cached) {
  namespace fs = std::filesystem;
  std::string path = cache_entry_path(cache_dir, cached.key);
  std::error_code error;
  fs::create_directories(fs::path(path).parent_path(), error);
  if (error)
    return make_error("cannot create {}: {}", fs::path(path).parent_path().string(),
                      error.message());
  auto written = write_file_atomically(path, json_text(to_json(cached), 1) + "\n");
  if (!written) return written.error();
  return path;
}

}  // namespace coldbench::cache
