#include "store/merge.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "../cache/temp_dir.hpp"
#include "store/study.hpp"

namespace coldbench::store {
namespace {

using ::testing::HasSubstr;

// A shard's history: one session of study `fingerprint` on `host` with runs
// [first, last) of configs "a" (even sequence) and "b" (odd).
struct Shard {
  std::string path;
  int64_t session = 0;
};

Shard make_shard(const std::string& path, const std::string& fingerprint, const std::string& host,
                 int first, int last, const std::vector<std::string>& configs = {"a", "b"}) {
  auto history = History::open(path);
  EXPECT_TRUE(history.ok());
  ResultsDocument header;
  header.host.hostname = host;
  header.options = {{"experiment", "study"},
                    {"fingerprint", "part-" + host},
                    {"shard", {{"study_fingerprint", fingerprint}, {"host", host}}}};
  for (const auto& name : configs)
    header.commands.push_back(CommandSpec{name, "true", {"true"}, false});
  SessionInfo info;
  info.experiment = "study";
  info.experiment_hash = "part-" + host;
  info.started_at = "2026-01-01T00:00:00.000Z";  // the same millisecond on every host
  info.host = host;
  info.planned_runs = last;
  auto id = (*history)->begin_session(info, header);
  EXPECT_TRUE(id.ok());
  for (int i = first; i < last; ++i) {
    RunRecord run;
    run.command_index = i % static_cast<int>(configs.size());
    run.command = configs[static_cast<std::size_t>(run.command_index)];
    run.sequence = i;
    run.index = i / static_cast<int>(configs.size());
    run.wall_ms = 10 + i;
    run.exit_code = 0;
    EXPECT_TRUE((*history)->append_run(*id, run).ok());
  }
  return Shard{path, *id};
}

// Appends runs [first, last) to the shard's session, as a --resume would.
void resume_shard(const Shard& shard, int first, int last) {
  auto history = History::open(shard.path);
  ASSERT_TRUE(history.ok());
  for (int i = first; i < last; ++i) {
    RunRecord run;
    run.command_index = i % 2;
    run.command = run.command_index ? "b" : "a";
    run.sequence = i;
    run.index = i / 2;
    run.exit_code = 0;
    ASSERT_TRUE((*history)->append_run(shard.session, run).ok());
  }
}

int64_t run_count(const std::string& path) {
  auto history = History::open_read_only(path);
  EXPECT_TRUE(history.ok());
  int64_t runs = 0;
  for (const auto& session : *(*history)->list_sessions()) runs += session.done_runs;
  return runs;
}

TEST(StoreMerge, MergingTheSameShardTwiceAddsNothing) {
  testing::TempDir dir;
  auto a = make_shard(dir.file("a.sqlite"), "study-1", "node-a", 0, 6);
  auto b = make_shard(dir.file("b.sqlite"), "study-1", "node-b", 0, 4);
  const std::string out = dir.file("all.sqlite");
  auto first = merge_histories({a.path, b.path}, out);
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ(first->counts.sessions_added, 2);
  EXPECT_EQ(first->counts.runs_added, 10);
  EXPECT_EQ(first->fingerprint, "study-1");
  auto again = merge_histories({a.path, a.path, b.path}, out);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_EQ(again->counts.sessions_added, 0);
  EXPECT_EQ(again->counts.runs_added, 0);
  EXPECT_EQ(again->counts.runs_known, 16);
  EXPECT_EQ(again->sessions_in_output, 2);
  EXPECT_EQ(run_count(out), 10);
}

TEST(StoreMerge, AResumedShardAddsOnlyItsNewRuns) {
  testing::TempDir dir;
  auto a = make_shard(dir.file("a.sqlite"), "study-1", "node-a", 0, 3);
  const std::string out = dir.file("all.sqlite");
  ASSERT_TRUE(merge_histories({a.path}, out).ok());
  resume_shard(a, 3, 8);
  auto merged = merge_histories({a.path}, out);
  ASSERT_TRUE(merged.ok()) << merged.error().message;
  EXPECT_EQ(merged->counts.sessions_added, 0);
  EXPECT_EQ(merged->counts.sessions_updated, 1);
  EXPECT_EQ(merged->counts.runs_added, 5);
  EXPECT_EQ(merged->counts.runs_known, 3);
  EXPECT_EQ(run_count(out), 8);
}

TEST(StoreMerge, MergedHistoriesMergeAgainWithoutDuplicates) {
  testing::TempDir dir;
  auto a = make_shard(dir.file("a.sqlite"), "study-1", "node-a", 0, 4);
  auto b = make_shard(dir.file("b.sqlite"), "study-1", "node-b", 0, 4);
  ASSERT_TRUE(merge_histories({a.path}, dir.file("left.sqlite")).ok());
  ASSERT_TRUE(merge_histories({a.path, b.path}, dir.file("right.sqlite")).ok());
  auto both =
      merge_histories({dir.file("left.sqlite"), dir.file("right.sqlite")}, dir.file("all.sqlite"));
  ASSERT_TRUE(both.ok()) << both.error().message;
  EXPECT_EQ(both->sessions_in_output, 2);
  EXPECT_EQ(run_count(dir.file("all.sqlite")), 8);
}

TEST(StoreMerge, AnotherStudyIsRefusedAndNothingIsWritten) {
  testing::TempDir dir;
  auto a = make_shard(dir.file("a.sqlite"), "study-1", "node-a", 0, 4);
  auto other = make_shard(dir.file("other.sqlite"), "study-2", "node-b", 0, 4);
  const std::string out = dir.file("all.sqlite");
  auto refused = merge_histories({a.path, other.path}, out);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().exit_code, kExitUsage);
  EXPECT_THAT(refused.error().message, HasSubstr("fingerprint study-2"));
  EXPECT_THAT(refused.error().message, HasSubstr("fingerprint study-1"));
  EXPECT_THAT(refused.error().message, HasSubstr(other.path));
  EXPECT_FALSE(std::filesystem::exists(out));
  // Nor into an output that already holds the first study.
  ASSERT_TRUE(merge_histories({a.path}, out).ok());
  EXPECT_FALSE(merge_histories({other.path}, out).ok());
  EXPECT_EQ(run_count(out), 4);
}

TEST(StoreMerge, TheOutputIsNoInputAndARunSessionIsNoShard) {
  testing::TempDir dir;
  auto a = make_shard(dir.file("a.sqlite"), "study-1", "node-a", 0, 2);
  auto same = merge_histories({a.path}, a.path);
  ASSERT_FALSE(same.ok());
  EXPECT_THAT(same.error().message, HasSubstr("both an input and the output"));

  auto plain = History::open(dir.file("run.sqlite"));
  ASSERT_TRUE(plain.ok());
  SessionInfo info;
  info.experiment = "run";
  ASSERT_TRUE((*plain)->begin_session(info, ResultsDocument{}).ok());
  auto refused = merge_histories({dir.file("run.sqlite")}, dir.file("all.sqlite"));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("not made by an experiment"));
  EXPECT_FALSE(merge_histories({dir.file("missing.sqlite")}, dir.file("all.sqlite")).ok());
}

TEST(StoreStudy, StudyHasARowPerHostAndConfigAndHostsCompareByConfig) {
  testing::TempDir dir;
  auto a = make_shard(dir.file("a.sqlite"), "study-1", "node-a", 0, 6);
  auto b = make_shard(dir.file("b.sqlite"), "study-1", "node-b", 0, 4);
  const std::string out = dir.file("all.sqlite");
  ASSERT_TRUE(merge_histories({a.path, b.path}, out).ok());
  auto study = load_study(out, "study");
  ASSERT_TRUE(study.ok()) << study.error().message;
  ASSERT_EQ(study->commands.size(), 4u);
  EXPECT_EQ(study->commands[0].name, "a @ node-a");
  EXPECT_EQ(study->commands[3].name, "b @ node-b");
  ASSERT_EQ(study->runs.size(), 10u);
  for (std::size_t i = 0; i < study->runs.size(); ++i) {
    const auto& run = study->runs[i];
    EXPECT_EQ(run.sequence, static_cast<int>(i));
    EXPECT_EQ(run.command, study->commands[static_cast<std::size_t>(run.command_index)].name);
  }
  EXPECT_FALSE(study->options.contains("contrasts"));
  EXPECT_EQ(study->options["sessions"].size(), 2u);

  auto host = load_study(out, "host:node-b");
  ASSERT_TRUE(host.ok()) << host.error().message;
  ASSERT_EQ(host->commands.size(), 2u);
  EXPECT_EQ(host->commands[0].name, "a");
  EXPECT_EQ(host->runs.size(), 4u);
  auto unknown = load_study(out, "host:node-z");
  ASSERT_FALSE(unknown.ok());
  EXPECT_THAT(unknown.error().message, HasSubstr("its hosts: node-a, node-b"));
  EXPECT_TRUE(is_study_ref("host:x.example.org"));
  EXPECT_FALSE(is_study_ref("3"));
}

}  // namespace
}  // namespace coldbench::store
