// The summary's oversubscription flag: a workload that reports more compute
// threads than the effective CPUs its runs had.

#include <gtest/gtest.h>

#include "report/formats.hpp"
#include "analysis/summary.hpp"
#include "report/summary_json.hpp"

namespace coldbench::report {
namespace {

RunRecord run_with(int index, nlohmann::json threads, int effective_cpus,
                   const char* key = "torch.num_threads") {
  RunRecord run;
  run.command = "model";
  run.index = index;
  run.wall_ms = 100 + index;
  run.exit_code = 0;
  run.info[key] = std::move(threads);
  run.usage.involuntary_switches = 300 + index;
  AppliedLimits limits;
  limits.cpus = 1.0;
  limits.effective_cpus = effective_cpus;
  run.limits = limits;
  CgroupStats cgroup;
  cgroup.periods = 20;
  cgroup.throttled_periods = 18 + index;
  cgroup.throttled_ms = 900.0;
  run.cgroup = cgroup;
  return run;
}

ResultsDocument document_of(std::vector<RunRecord> runs) {
  ResultsDocument document;
  document.commands.push_back(
      CommandSpec{"model", "python3 model.py", {"python3", "model.py"}, false});
  document.runs = std::move(runs);
  return document;
}

TEST(Oversubscription, FlaggedWithThrottlingAndSwitchesAsEvidence) {
  auto document = document_of({run_with(0, 8, 1), run_with(1, 8, 1), run_with(2, 8, 1)});
  auto summary = analysis::summarize_session(document);
  const auto& flag = summary.commands[0].oversubscription;
  ASSERT_TRUE(flag.has_value());
  EXPECT_EQ(flag->source, "torch.num_threads");
  EXPECT_EQ(flag->compute_threads, 8);
  EXPECT_EQ(flag->effective_cpus, 1);
  EXPECT_EQ(flag->runs, 3);
  EXPECT_DOUBLE_EQ(*flag->throttled_periods, 19);
  EXPECT_DOUBLE_EQ(*flag->periods, 20);
  EXPECT_DOUBLE_EQ(*flag->throttled_ms, 900);
  EXPECT_DOUBLE_EQ(flag->involuntary_switches, 301);

  auto json = to_json(summary)["commands"][0]["oversubscription"];
  EXPECT_EQ(json["compute_threads"], 8);
  EXPECT_EQ(json["effective_cpus"], 1);
  EXPECT_EQ(json["throttled_periods"], 19.0);

  auto text = ConsoleReporter().render(document, &summary);
  ASSERT_TRUE(text.has_value());
  EXPECT_NE(
      text->find(
          "warning: oversubscribed: the workload reports 8 compute threads (torch.num_threads) but "
          "has 1 effective CPU (3 runs); evidence (medians): 19 of 20 CFS periods throttled"),
      std::string::npos)
      << *text;
  EXPECT_NE(text->find("301 involuntary context switches"), std::string::npos);
}

TEST(Oversubscription, NotFlaggedWhenThreadsFit) {
  auto summary = analysis::summarize_session(document_of({run_with(0, 2, 2), run_with(1, 1, 2)}));
  EXPECT_FALSE(summary.commands[0].oversubscription.has_value());
  EXPECT_TRUE(to_json(summary)["commands"][0]["oversubscription"].is_null());
}

TEST(Oversubscription, ComputeThreadsKeyAndStringValues) {
  auto summary = analysis::summarize_session(document_of({run_with(0, "4", 2, "compute_threads")}));
  ASSERT_TRUE(summary.commands[0].oversubscription.has_value());
  EXPECT_EQ(summary.commands[0].oversubscription->source, "compute_threads");
  EXPECT_EQ(summary.commands[0].oversubscription->compute_threads, 4);
}

TEST(Oversubscription, NeedsTheEffectiveCpus) {
  RunRecord run = run_with(0, 8, 1);
  run.limits.reset();
  EXPECT_FALSE(analysis::summarize_session(document_of({run})).commands[0].oversubscription.has_value());
}

}  // namespace
}  // namespace coldbench::report
