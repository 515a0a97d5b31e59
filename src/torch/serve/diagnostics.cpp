#include "torch/serve/diagnostics.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "core/json_text.hpp"

namespace coldbench::workload::serve {
namespace {

std::optional<std::string> read_text(const char* path) {
  std::ifstream in(path);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

std::optional<double> read_rss_bytes() {
  // Plain open/read: this runs for every logged request, where iostreams
  // cost more than the read itself.
  int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  char text[128];
  ssize_t n = ::read(fd, text, sizeof text - 1);
  ::close(fd);
  if (n <= 0) return std::nullopt;
  text[n] = '\0';
  long long size = 0, resident = 0;
  if (std::sscanf(text, "%lld %lld", &size, &resident) != 2) return std::nullopt;
  static const long page = sysconf(_SC_PAGESIZE);
  return static_cast<double>(resident) * static_cast<double>(page);
}

std::optional<int> parse_thread_count(const std::string& status_text) {
  std::istringstream lines(status_text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.rfind("Threads:", 0) == 0) {
      try {
        return std::stoi(line.substr(8));
      } catch (const std::exception&) {
        return std::nullopt;
      }
    }
  }
  return std::nullopt;
}

SystemSnapshot read_system_snapshot() {
  SystemSnapshot snapshot;
  snapshot.rss_bytes = read_rss_bytes();
  if (auto status = read_text("/proc/self/status")) snapshot.threads = parse_thread_count(*status);
  if (auto loadavg = read_text("/proc/loadavg")) {
    std::array<double, 3> load{};
    std::istringstream fields(*loadavg);
    if (fields >> load[0] >> load[1] >> load[2]) snapshot.load = load;
  }
  return snapshot;
}

nlohmann::ordered_json to_json(const SystemSnapshot& snapshot) {
  nlohmann::ordered_json json;
  json["rss_bytes"] = snapshot.rss_bytes ? nlohmann::ordered_json(*snapshot.rss_bytes) : nullptr;
  json["threads"] = snapshot.threads ? nlohmann::ordered_json(*snapshot.threads) : nullptr;
  json["load_average"] = snapshot.load ? nlohmann::ordered_json(*snapshot.load) : nullptr;
  return json;
}

Expected<std::string> write_diagnostics(const std::string& dir, const std::string& stem,
                                        const nlohmann::ordered_json& document) {
  const std::filesystem::path path = std::filesystem::path(dir) / (stem + ".json");
  const std::filesystem::path partial = std::filesystem::path(dir) / ("." + stem + ".json.tmp");
  {
    std::ofstream out(partial);
    out << json_text(document, 2) << '\n';
    if (!out.flush()) {
      return make_error("cannot write diagnostics {}: {}", partial.string(), std::strerror(errno));
    }
  }
  std::error_code error;
  std::filesystem::rename(partial, path, error);
  if (error) return make_error("cannot write diagnostics {}: {}", path.string(), error.message());
  return path.string();
}

}  // namespace coldbench::workload::serve
