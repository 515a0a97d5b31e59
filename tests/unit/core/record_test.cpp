#include "core/record.hpp"

#include <gtest/gtest.h>

namespace coldbench {
namespace {

TEST(CoreRecord, FindsPhasesAndMetricsByName) {
  RunRecord run;
  run.phases = {PhaseRecord{"load", 10, 10}, PhaseRecord{"run", 30, 20}};
  run.metrics = {MetricRecord{"latency", "ms", {1, 2}}};
  ASSERT_NE(run.phase("run"), nullptr);
  EXPECT_EQ(run.phase("run")->duration_ms, 20);
  EXPECT_EQ(run.phase("missing"), nullptr);
  ASSERT_NE(run.metric("latency"), nullptr);
  EXPECT_EQ(run.metric("latency")->unit, "ms");
  EXPECT_EQ(run.metric("load"), nullptr);
}

TEST(CoreRecord, SucceededMeansNoError) {
  RunRecord run;
  EXPECT_TRUE(run.succeeded());
  run.exit_code = 1;  // with --ignore-failure a non-zero exit is still a success
  EXPECT_TRUE(run.succeeded());
  run.error = "exited with code 1";
  EXPECT_FALSE(run.succeeded());
}

TEST(CoreRecord, ResidencyFractionOfNothingIsZero) {
  ResidencySnapshot r;
  EXPECT_EQ(r.fraction(), 0.0);
  r.total_bytes = 400;
  r.resident_bytes = 100;
  EXPECT_DOUBLE_EQ(r.fraction(), 0.25);
}

// Found in review: text from outside enters a record as valid UTF-8, each
// ill-formed sequence replaced by U+FFFD; valid text is left alone.
TEST(CoreRecord, TextFromOutsideIsMadeValidUtf8) {
  const std::string r = "\xEF\xBF\xBD";
  RunRecord run;
  run.command = "echo \xff";
  run.output_tail = "binary \xff\xfe\ncaf\xc3\xa9\n";
  run.error = "cannot read \xc3";
  run.labels = {{"k\xff", "v\xfe"}, {"ok", "caf\xc3\xa9"}};
  run.residency = ResidencySnapshot{"cold", 1, 1, 0, {FileResidency{"/data/\xff.bin", 1, 0}}};
  run.warnings = {"w\x80"};
  make_text_valid(run);
  EXPECT_EQ(run.command, "echo " + r);
  EXPECT_EQ(run.output_tail, "binary " + r + r + "\ncaf\xc3\xa9\n");
  EXPECT_EQ(run.error, "cannot read " + r);
  EXPECT_EQ(run.labels.at("k" + r), "v" + r);
  EXPECT_EQ(run.labels.at("ok"), "caf\xc3\xa9");
  EXPECT_EQ(run.residency->least_resident[0].path, "/data/" + r + ".bin");
  EXPECT_EQ(run.warnings[0], "w" + r);

  CommandSpec command{"n\xff", "echo \xff", {"echo", "\xff"}, false};
  make_text_valid(command);
  EXPECT_EQ(command.name, "n" + r);
  EXPECT_EQ(command.text, "echo " + r);
  EXPECT_EQ(command.argv[1], r);
}

}  // namespace
}  // namespace coldbench
