#pragma once
// Experiments: a study described once in TOML (docs/experiment-format.md) and
// expanded into configs, each a command with its environment, limits, cache
// state and isolation. Errors point to file:line and the key.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/adaptive.hpp"
#include "core/expected.hpp"
#include "limits/limit_spec.hpp"

namespace coldbench::sweep {

// The most configs an experiment may expand to ([[config]] x [matrix]); each
// config is a command, hooks and a summary, and a study of more is several files.
inline constexpr int64_t kMaxConfigs = 10'000;
// An experiment file is a description, not data: anything larger is a mistake
// (a wrong path, /dev/zero).
inline constexpr std::size_t kMaxExperimentFileBytes = 1024 * 1024;

struct ConfigSpec {
  std::string name;
  std::vector<std::string> argv;  // the command; ["/bin/sh", "-c", text] when shell
  std::string command_text;
  bool shell = false;
  std::vector<std::pair<std::string, std::string>> env;
  limits::LimitSpec limits;
  std::string cache = "none";  // none | warm | cold | cold+prefetch (list recorded in a warmup run) | drop
  std::vector<std::string> track;
  std::string isolation = "host";  // host | sandbox | docker | podman
  std::string image;
  std::vector<std::string> mounts;  // SRC:DST[:ro]
  // The parameters that distinguish this config: matrix values and the
  // settings above that differ from nothing (for reports and labels).
  std::map<std::string, std::string> labels;
};

// A comparison the study reports: candidate against baseline (config names).
struct Contrast {
  std::string name;  // default "CANDIDATE vs BASELINE"
  std::string baseline;
  std::string candidate;
};

struct Experiment {
  std::string name;
  std::string file;  // where it was read from
  int runs = 10;
  // runs = "auto": runs per config until its median is known to target_ci
  // (bench/adaptive.hpp); `runs` is then unused.
  std::optional<bench::AdaptiveOptions> adaptive;
  int warmup = 0;
  std::string order = "random";
  uint64_t seed = 1;
  std::optional<double> timeout_s;
  std::vector<std::string> phase_rules;   // NAME=REGEX
  std::vector<std::string> metric_rules;  // NAME=REGEX
  std::vector<ConfigSpec> configs;        // expanded: [[config]] x [matrix]
  // [[contrast]]: what the study compares; none means each config against the first.
  std::vector<Contrast> contrasts;

  // Stable fingerprint of everything that shapes the schedule and the
  // configs; a resume must see the same one.
  std::string fingerprint() const;
};

Expected<Experiment> parse_experiment(std::string_view toml_text, const std::string& source_name);
// Reads a regular file of at most kMaxExperimentFileBytes, then parses it.
Expected<Experiment> load_experiment(const std::string& path);
Expected<std::string> read_experiment_file(const std::string& path);

}  // namespace coldbench::sweep
