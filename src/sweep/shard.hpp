#pragma once
// Shards: one study split over several machines (docs/scale-out.md). A shard
// is I/N; by default it runs a contiguous block of whole configs, so each
// config's runs stay on one host and its statistics mix no machines. In the
// fleet mode every shard runs every config: the study is repeated per host
// and the merged history compares the hosts.

#include <cstddef>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "core/expected.hpp"
#include "sweep/experiment.hpp"

namespace coldbench::sweep {

// The most shards a study may be split into (a Slurm array or an Indexed Job
// of that many tasks is already a fleet of its own).
inline constexpr int kMaxShards = 10'000;

enum class ShardMode { Configs, Fleet };

struct ShardSpec {
  int index = 0;  // 0 .. count-1 (Slurm's SLURM_ARRAY_TASK_ID, Kubernetes' JOB_COMPLETION_INDEX)
  int count = 1;
  ShardMode mode = ShardMode::Configs;
};

std::string_view to_string(ShardMode mode);

// "I/N" with 0 <= I < N <= kMaxShards.
Expected<ShardSpec> parse_shard(std::string_view text);

// The configs shard `index` of `count` runs in the configs mode: a contiguous
// block [first, last) of the expanded configs, the blocks differing in size
// by at most one. Neighbouring configs differ in the last [matrix] key, so a
// block keeps the configs a study usually compares on one host.
struct ConfigRange {
  std::size_t first = 0;
  std::size_t last = 0;
  std::size_t size() const { return last - first; }
};
ConfigRange shard_config_range(std::size_t config_count, int index, int count);

// The part of `experiment` a shard runs: its configs (all of them in the
// fleet mode) and the contrasts whose two configs it has. An error when the
// shard would have no config (more shards than configs).
Expected<Experiment> shard_experiment(const Experiment& experiment, const ShardSpec& shard);

// A study laid out for a cluster engine (sweep/slurm_script.hpp,
// sweep/k8s_manifest.hpp): what every shard and the merge are given.
struct ScaleOutPlan {
  std::string experiment_file;  // the path the nodes read it from
  int shards = 1;
  ShardMode mode = ShardMode::Configs;
  std::string results_dir;  // one history per shard, shard-I.sqlite, and the merge, study.sqlite
};

// Checks `plan` against the experiment: in the configs mode every shard needs a config.
Expected<void> check_plan(const Experiment& experiment, const ScaleOutPlan& plan);

// A name for the study on a cluster (job names, labels): lowercase letters,
// digits and '-', at most 40 characters, starting with a letter.
std::string cluster_name(const std::string& experiment_name);

// What a shard's session records in its options as "shard": index, count,
// mode, the whole study's fingerprint (what `coldbench merge` checks), the
// host label reports use (`host_label`, empty: the hostname) and the host's
// identity beyond HostInfo: its cgroup limits (what a Kubernetes pod or a
// Slurm allocation gave it) and its load when the shard started.
nlohmann::json shard_record(const ShardSpec& shard, const Experiment& whole,
                            const std::string& host_label);

// The cgroup limits and load of this process's host, for shard_record.
nlohmann::json host_identity();

}  // namespace coldbench::sweep
