#include "sweep/shard.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <string>

#include "bench/runner.hpp"
#include "sweep/sweep_runner.hpp"

namespace coldbench::sweep {
namespace {

using ::testing::HasSubstr;

Experiment experiment_of(int configs, int runs) {
  std::string text = "[experiment]\nname = \"study\"\nruns = " + std::to_string(runs) +
                     "\nwarmup = 1\n[defaults]\ncommand = \"true {n}\"\n[matrix]\nn = [";
  for (int i = 0; i < configs; ++i) text += (i ? ", " : "") + std::to_string(i);
  text += "]\n";
  auto parsed = parse_experiment(text, "t.toml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : Experiment{};
}

TEST(SweepShard, ParsesIndexOverCount) {
  auto shard = parse_shard("2/5");
  ASSERT_TRUE(shard.ok());
  EXPECT_EQ(shard->index, 2);
  EXPECT_EQ(shard->count, 5);
  EXPECT_EQ(shard->mode, ShardMode::Configs);
}

TEST(SweepShard, RefusesIndexOutOfRangeAndMalformedText) {
  for (const char* text : {"", "3", "a/4", "1/", "/4", "1/4x", "1 /4", "+1/4"}) {
    auto shard = parse_shard(text);
    ASSERT_FALSE(shard.ok()) << text;
    EXPECT_THAT(shard.error().message, HasSubstr("expected I/N")) << text;
  }
  EXPECT_THAT(parse_shard("4/4").error().message, HasSubstr("the index must be 0 to 3"));
  EXPECT_THAT(parse_shard("-1/4").error().message, HasSubstr("the index must be 0 to 3"));
  EXPECT_THAT(parse_shard("0/0").error().message, HasSubstr("must be 1 to 10000"));
  EXPECT_THAT(parse_shard("0/10001").error().message, HasSubstr("must be 1 to 10000"));
}

// The acceptance rule: for N = 1..16, every planned run of the study is in
// exactly one shard, and the shards' sizes differ by at most one config.
TEST(SweepShard, EveryPlannedRunIsInExactlyOneShardForOneToSixteenShards) {
  const Experiment whole = experiment_of(23, 3);
  std::set<std::pair<std::string, int>> planned;  // (config, run index) incl. warmups as negative
  for (const auto& config : whole.configs) {
    for (int i = -whole.warmup; i < whole.runs; ++i) planned.insert({config.name, i});
  }
  for (int count = 1; count <= 16; ++count) {
    std::map<std::pair<std::string, int>, int> seen;
    std::size_t smallest = whole.configs.size(), largest = 0;
    for (int index = 0; index < count; ++index) {
      auto part = shard_experiment(whole, ShardSpec{index, count, ShardMode::Configs});
      ASSERT_TRUE(part.ok()) << index << "/" << count;
      smallest = std::min(smallest, part->configs.size());
      largest = std::max(largest, part->configs.size());
      // The shard's own schedule, as its session would run it.
      bench::Session session(experiment_commands(*part), *experiment_session_options(*part));
      EXPECT_EQ(session.planned_runs(),
                static_cast<int>(part->configs.size()) * (whole.runs + whole.warmup));
      for (const auto& config : part->configs) {
        for (int i = -part->warmup; i < part->runs; ++i) ++seen[{config.name, i}];
      }
    }
    EXPECT_EQ(seen.size(), planned.size()) << count << " shards";
    for (const auto& [run, times] : seen) {
      EXPECT_EQ(times, 1) << run.first << " run " << run.second << " with " << count << " shards";
      EXPECT_EQ(planned.count(run), 1u);
    }
    EXPECT_LE(largest - smallest, 1u) << count << " shards";
  }
}

TEST(SweepShard, PartitionIsContiguousAndDeterministic) {
  EXPECT_EQ(shard_config_range(10, 0, 3).first, 0u);
  EXPECT_EQ(shard_config_range(10, 0, 3).last, 3u);
  EXPECT_EQ(shard_config_range(10, 1, 3).first, 3u);
  EXPECT_EQ(shard_config_range(10, 1, 3).last, 6u);
  EXPECT_EQ(shard_config_range(10, 2, 3).first, 6u);
  EXPECT_EQ(shard_config_range(10, 2, 3).last, 10u);
  const Experiment whole = experiment_of(5, 2);
  auto a = shard_experiment(whole, ShardSpec{1, 2, ShardMode::Configs});
  auto b = shard_experiment(whole, ShardSpec{1, 2, ShardMode::Configs});
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(a->fingerprint(), b->fingerprint());
  EXPECT_NE(a->fingerprint(), whole.fingerprint());
}

TEST(SweepShard, FleetShardRunsEveryConfig) {
  const Experiment whole = experiment_of(3, 2);
  for (int index = 0; index < 8; ++index) {
    auto part = shard_experiment(whole, ShardSpec{index, 8, ShardMode::Fleet});
    ASSERT_TRUE(part.ok());
    EXPECT_EQ(part->configs.size(), 3u);
    EXPECT_EQ(part->fingerprint(), whole.fingerprint());
  }
}

TEST(SweepShard, MoreShardsThanConfigsIsAClearError) {
  const Experiment whole = experiment_of(2, 2);
  auto part = shard_experiment(whole, ShardSpec{0, 3, ShardMode::Configs});
  ASSERT_FALSE(part.ok());
  EXPECT_THAT(part.error().message,
              HasSubstr("has no config: the study has 2 configs, so use at most 2 shards"));
  EXPECT_EQ(part.error().exit_code, kExitUsage);
}

TEST(SweepShard, ContrastsStayOnlyWhereBothConfigsAre) {
  auto parsed = parse_experiment(
      "[experiment]\nname = \"s\"\n[defaults]\ncommand = \"true\"\n[[config]]\nname = "
      "\"a\"\n[[config]]\nname = "
      "\"b\"\n[[config]]\nname = \"c\"\n[[config]]\nname = \"d\"\n[[contrast]]\nbaseline = "
      "\"a\"\ncandidate = "
      "\"b\"\n[[contrast]]\nbaseline = \"b\"\ncandidate = \"c\"\n",
      "t.toml");
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  auto first = shard_experiment(*parsed, ShardSpec{0, 2, ShardMode::Configs});
  ASSERT_TRUE(first.ok());
  ASSERT_EQ(first->contrasts.size(), 1u);
  EXPECT_EQ(first->contrasts[0].candidate, "b");
  auto second = shard_experiment(*parsed, ShardSpec{1, 2, ShardMode::Configs});
  ASSERT_TRUE(second.ok());
  EXPECT_TRUE(second->contrasts.empty());
}

TEST(SweepShard, RecordCarriesTheStudyAndTheHost) {
  const Experiment whole = experiment_of(4, 2);
  const nlohmann::json record = shard_record(ShardSpec{1, 4, ShardMode::Configs}, whole, "edge-7");
  EXPECT_EQ(record["index"], 1);
  EXPECT_EQ(record["count"], 4);
  EXPECT_EQ(record["mode"], "configs");
  EXPECT_EQ(record["study_fingerprint"], whole.fingerprint());
  EXPECT_EQ(record["host"], "edge-7");
  ASSERT_TRUE(record["host_identity"].contains("cgroup_limits"));
  EXPECT_TRUE(record["host_identity"]["cgroup_limits"].contains("memory_limit_bytes"));
  EXPECT_FALSE(shard_record(ShardSpec{0, 1, ShardMode::Fleet}, whole, "")["host"]
                   .get<std::string>()
                   .empty());
}

TEST(SweepShard, ClusterNamesAreDnsLabels) {
  EXPECT_EQ(cluster_name("Edge Study_2"), "edge-study-2");
  EXPECT_EQ(cluster_name("2024 run"), "s-2024-run");
  EXPECT_EQ(cluster_name("!!!"), "s");
  EXPECT_LE(cluster_name(std::string(100, 'a')).size(), 40u);
}

}  // namespace
}  // namespace coldbench::sweep
