#include "sweep/shard.hpp"

#include <algorithm>
#include <charconv>
#include <fstream>

#include "core/cgroup_layout.hpp"
#include "core/effective_cpus.hpp"
#include "core/host.hpp"

namespace coldbench::sweep {
namespace {

std::optional<int> parse_count(std::string_view text) {
  int value = 0;
  const char* end = text.data() + text.size();
  auto [ptr, ec] = std::from_chars(text.data(), end, value);
  if (text.empty() || ec != std::errc() || ptr != end) return std::nullopt;
  return value;
}

}  // namespace

std::string_view to_string(ShardMode mode) {
  return mode == ShardMode::Fleet ? "fleet" : "configs";
}

Expected<ShardSpec> parse_shard(std::string_view text) {
  const auto slash = text.find('/');
  auto bad = [&] {
    return make_error(
        "--shard '{}': expected I/N, this shard's index from 0 and the number of shards (e.g. 0/4; "
        "in a Slurm array $SLURM_ARRAY_TASK_ID/$SLURM_ARRAY_TASK_COUNT)",
        text);
  };
  if (slash == std::string_view::npos) return bad();
  auto index = parse_count(text.substr(0, slash));
  auto count = parse_count(text.substr(slash + 1));
  if (!index || !count) return bad();
  if (*count < 1 || *count > kMaxShards) {
    return make_error("--shard '{}': the number of shards must be 1 to {}", text, kMaxShards);
  }
  if (*index < 0 || *index >= *count) {
    return make_error("--shard '{}': the index must be 0 to {} (shards are numbered from 0)", text,
                      *count - 1);
  }
  return ShardSpec{*index, *count, ShardMode::Configs};
}

ConfigRange shard_config_range(std::size_t config_count, int index, int count) {
  // Integer division by the shard count: sizes differ by at most one, and
  // the blocks tile 0..config_count without gaps or overlaps.
  auto bound = [&](int i) {
    return config_count * static_cast<std::size_t>(i) / static_cast<std::size_t>(count);
  };
  return ConfigRange{bound(index), bound(index + 1)};
}

Expected<Experiment> shard_experiment(const Experiment& experiment, const ShardSpec& shard) {
  if (shard.mode == ShardMode::Fleet) return experiment;
  const ConfigRange range = shard_config_range(experiment.configs.size(), shard.index, shard.count);
  if (range.size() == 0) {
    return make_error(
        "shard {}/{} of '{}' has no config: the study has {} configs, so use at most {} shards (or "
        "--fleet, where every shard runs every config)",
        shard.index, shard.count, experiment.name, experiment.configs.size(),
        experiment.configs.size());
  }
  Experiment part = experiment;
  part.configs.assign(experiment.configs.begin() + static_cast<std::ptrdiff_t>(range.first),
                      experiment.configs.begin() + static_cast<std::ptrdiff_t>(range.last));
  auto has = [&](const std::string& name) {
    return std::any_of(part.configs.begin(), part.configs.end(),
                       [&](const ConfigSpec& c) { return c.name == name; });
  };
  part.contrasts.clear();
  for (const auto& contrast : experiment.contrasts) {
    if (has(contrast.baseline) && has(contrast.candidate)) part.contrasts.push_back(contrast);
  }
  return part;
}

Expected<void> check_plan(const Experiment& experiment, const ScaleOutPlan& plan) {
  if (plan.shards < 1 || plan.shards > kMaxShards) {
    return make_error("--shards {}: give 1 to {} shards", plan.shards, kMaxShards);
  }
  if (plan.mode == ShardMode::Configs &&
      static_cast<std::size_t>(plan.shards) > experiment.configs.size()) {
    return make_error(
        "--shards {}: '{}' has {} configs, and a shard runs whole configs; use at most {} shards, "
        "or "
        "--fleet to run every config on every host",
        plan.shards, experiment.name, experiment.configs.size(), experiment.configs.size());
  }
  if (plan.results_dir.empty())
    return make_error("--results-dir: give the folder the shards write to");
  return {};
}

std::string cluster_name(const std::string& experiment_name) {
  std::string name;
  for (char c : experiment_name) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    if (c >= 'A' && c <= 'Z') {
      name += static_cast<char>(c - 'A' + 'a');
    } else if (alnum) {
      name += c;
    } else if (!name.empty() && name.back() != '-') {
      name += '-';
    }
    if (name.size() >= 40) break;
  }
  while (!name.empty() && name.back() == '-') name.pop_back();
  if (name.empty() || !(name[0] >= 'a' && name[0] <= 'z')) name = "s-" + name;
  while (name.size() > 40 || (!name.empty() && name.back() == '-')) name.pop_back();
  return name;
}

nlohmann::json host_identity() {
  nlohmann::json identity = nlohmann::json::object();
  nlohmann::json limits{{"effective_cpus", nullptr},
                        {"cpu_quota", nullptr},
                        {"cpuset", nullptr},
                        {"memory_limit_bytes", nullptr}};
  if (auto layout = detect_cgroup_layout()) {
    const CpuBudget budget = read_own_cpu_budget(*layout);
    limits["effective_cpus"] = effective_cpus(budget);
    if (budget.quota_cpus) limits["cpu_quota"] = *budget.quota_cpus;
    if (!budget.cpuset.empty()) limits["cpuset"] = format_cpu_list(budget.cpuset);
    if (auto memory = read_own_memory_limit(*layout)) limits["memory_limit_bytes"] = *memory;
  }
  identity["cgroup_limits"] = std::move(limits);
  // The machine's noise as the shard starts; every run records its own (docs/machine-noise.md).
  double load[3] = {0, 0, 0};
  std::ifstream loadavg("/proc/loadavg");
  if (loadavg >> load[0] >> load[1] >> load[2]) {
    identity["load_1m"] = load[0];
    identity["load_5m"] = load[1];
    identity["load_15m"] = load[2];
  }
  return identity;
}

nlohmann::json shard_record(const ShardSpec& shard, const Experiment& whole,
                            const std::string& host_label) {
  const HostInfo host = read_host_info();
  nlohmann::json record{{"index", shard.index},
                        {"count", shard.count},
                        {"mode", std::string(to_string(shard.mode))},
                        {"study_fingerprint", whole.fingerprint()},
                        {"study_configs", whole.configs.size()},
                        {"host", host_label.empty() ? host.hostname : host_label}};
  record["host_identity"] = host_identity();
  return record;
}

}  // namespace coldbench::sweep
