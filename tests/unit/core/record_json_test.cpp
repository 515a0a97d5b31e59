#include "core/record_json.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/json_text.hpp"

namespace coldbench {
namespace {

using nlohmann::json;
using ::testing::HasSubstr;

// Every field set to something other than its default, so a field that is
// written but not read back (or the reverse) shows up in the round trip.
RunRecord full_run() {
  RunRecord run;
  run.command = "train";
  run.command_index = 2;
  run.index = 7;
  run.sequence = 19;
  run.warmup = true;
  run.started_at = "2026-11-24T10:00:00.123Z";
  run.wall_ms = 1234.5678;
  run.exit_code = 3;
  run.signal = 9;
  run.timed_out = true;
  run.oom_killed = true;
  run.error = "exited with code 3";
  run.usage = ResourceUsage{11.25, 2.5, 40960, 1000, 7, 42, 13};
  run.phases = {PhaseRecord{"load", 100.5, 100.5, PhaseSource::Marker},
                PhaseRecord{"ready", 250.25, 149.75, PhaseSource::Regex}};
  run.metrics = {MetricRecord{"latency", "ms", {5.5, 6.25, 7.0}}, MetricRecord{"count", "", {}}};
  run.info["threads"] = 4;
  run.info["device"] = "cpu";
  run.info["nested"] = json{{"a", json::array({1, 2})}};
  run.malformed_markers = 2;
  run.warnings = {"first malformed marker: not valid JSON"};
  run.output_tail = "line 1\nline 2\n";
  run.cgroup = CgroupStats{812.5, 100, 12, 33.5, 123456789, 1};
  run.limits = AppliedLimits{1.5, "0-3", int64_t{1} << 30, "0,2", 1, "2", "v2"};
  run.residency = ResidencySnapshot{
      "cold",
      3,
      3000,
      1000,
      {FileResidency{"/m/a.bin", 2000, 0}, FileResidency{"/m/b.bin", 1000, 1000}}};
  run.isolation = "docker";
  MachineNoise machine;
  machine.load_1m_start = 2.3;
  machine.load_1m_end = 2.5;
  machine.cpus = 2;
  machine.interval_ms = 512.5;
  machine.busy_cpu_ms = 900;
  machine.harness_cpu_ms = 4;
  machine.other_cpu_ms = 450;
  machine.other_cpu_fraction = 0.44;
  machine.steal_fraction = 0.03;
  machine.iowait_fraction = 0.01;
  machine.cpu_freq_mhz = 2400;
  machine.cpu_governor = "performance";
  run.machine = machine;
  run.labels = {{"batch", "32"}, {"threads", "4"}};
  return run;
}

ResultsDocument full_document() {
  ResultsDocument doc;
  doc.tool_version = "0.1.0";
  doc.started_at = "2026-11-24T10:00:00.000Z";
  doc.finished_at = "2026-11-24T10:05:00.000Z";
  doc.interrupted = true;
  doc.host = HostInfo{"box", "Linux 6.1 x86_64", "Some CPU @ 3GHz", 16, int64_t{64} << 30};
  doc.options = json{{"runs", 10}, {"order", "random"}};
  doc.commands = {CommandSpec{"a", "echo 'a b'", {"echo", "a b"}, false},
                  CommandSpec{"b", "sleep 1 | cat", {"/bin/sh", "-c", "sleep 1 | cat"}, true}};
  RunRecord second = full_run();
  second.cgroup.reset();
  second.limits.reset();
  second.residency.reset();
  second.isolation.clear();
  second.exit_code.reset();
  second.error.clear();
  doc.runs = {full_run(), second};
  return doc;
}

// Through text, the way a results file is read.
json reparse(const json& j) {
  return json::parse(j.dump(2));
}

TEST(CoreRecordJson, FullRunRoundTrips) {
  const RunRecord run = full_run();
  auto back = run_from_json(reparse(to_json(run)));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_json(*back), to_json(run));

  // Spot checks that the fields really came back (not just both defaulted).
  EXPECT_EQ(back->exit_code, 3);
  EXPECT_EQ(back->signal, 9);
  EXPECT_EQ(back->phases.at(1).source, PhaseSource::Regex);
  EXPECT_EQ(back->metrics.at(0).values, (std::vector<double>{5.5, 6.25, 7.0}));
  EXPECT_EQ(back->info.at("nested"), (json{{"a", json::array({1, 2})}}));
  ASSERT_TRUE(back->cgroup && back->cgroup->oom_kills);
  EXPECT_EQ(*back->cgroup->oom_kills, 1);
  ASSERT_TRUE(back->limits);
  EXPECT_EQ(back->limits->cgroup, "v2");
  EXPECT_EQ(back->limits->memory_bytes, int64_t{1} << 30);
  ASSERT_TRUE(back->residency);
  EXPECT_EQ(back->residency->least_resident.at(0).path, "/m/a.bin");
  EXPECT_DOUBLE_EQ(back->residency->fraction(), 1.0 / 3.0);
  EXPECT_EQ(back->isolation, "docker");
  ASSERT_TRUE(back->machine && back->machine->other_cpu_fraction && back->machine->cpus);
  EXPECT_DOUBLE_EQ(*back->machine->other_cpu_fraction, 0.44);
  EXPECT_EQ(*back->machine->cpus, 2);
  EXPECT_EQ(back->machine->cpu_governor, "performance");
  EXPECT_EQ(back->labels.at("batch"), "32");
  EXPECT_EQ(back->warnings, run.warnings);
  EXPECT_FALSE(back->succeeded());
}

TEST(CoreRecordJson, MachineFieldsThatWereNotReadableAreNullNotZero) {
  RunRecord run = full_run();
  run.machine = MachineNoise{};
  run.machine->load_1m_start = 0.5;  // a container with /proc but no cpufreq, counters unreadable
  json j = to_json(run);
  EXPECT_EQ(j["machine"]["load_1m_start"], 0.5);
  for (const char* key : {"cpu_freq_mhz", "cpu_governor", "other_cpu_fraction", "steal_fraction", "cpus"}) {
    EXPECT_TRUE(j["machine"][key].is_null()) << key;
  }
  auto back = run_from_json(reparse(j));
  ASSERT_TRUE(back.ok()) << back.error().message;
  ASSERT_TRUE(back->machine);
  EXPECT_FALSE(back->machine->cpu_freq_mhz);
  EXPECT_EQ(back->machine->cpu_governor, "");
}

TEST(CoreRecordJson, RunFromBeforeMachineNoiseHasNone) {
  json j = to_json(full_run());
  j.erase("machine");
  auto back = run_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(back->machine);
}

TEST(CoreRecordJson, MachineFieldOfTheWrongTypeIsAnError) {
  json j = to_json(full_run());
  j["machine"]["cpus"] = "two";
  auto back = run_from_json(j);
  ASSERT_FALSE(back.ok());
  EXPECT_NE(back.error().message.find("malformed run record"), std::string::npos) << back.error().message;
}

TEST(CoreRecordJson, RunFromBeforeWarningsHasNone) {
  json j = to_json(full_run());
  j.erase("warnings");
  auto back = run_from_json(j);
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(back->warnings.empty());
}

// Found in review: a byte that is not UTF-8 in any string of a record threw
// nlohmann's type_error 316 when the JSON was written, and aborted the harness.
TEST(CoreRecordJson, InvalidUtf8IsWrittenWithReplacementNotThrown) {
  RunRecord run = full_run();
  run.output_tail = "binary \xff\xfe\n";
  run.command = "echo \xff";
  ResultsDocument doc = full_document();
  doc.commands[0].text = "echo \xff";
  doc.commands[0].argv = {"echo", "\xff"};
  doc.options["cwd"] = "/tmp/\xc3(";
  doc.runs = {run};
  std::string text;
  ASSERT_NO_THROW(text = json_text(to_json(doc), 2));
  json back = json::parse(text);  // valid JSON, valid UTF-8
  EXPECT_EQ(back["runs"][0]["output_tail"], "binary \xEF\xBF\xBD\xEF\xBF\xBD\n");
  EXPECT_EQ(back["commands"][0]["argv"][1], "\xEF\xBF\xBD");
  EXPECT_EQ(back["options"]["cwd"], "/tmp/\xEF\xBF\xBD(");
}

TEST(CoreRecordJson, OptionalsThatAreAbsentStayAbsent) {
  RunRecord run;
  run.command = "x";
  run.wall_ms = 1;
  json j = to_json(run);
  EXPECT_TRUE(j["exit_code"].is_null());
  EXPECT_TRUE(j["cgroup"].is_null());
  EXPECT_TRUE(j["limits"].is_null());
  EXPECT_TRUE(j["residency"].is_null());
  EXPECT_EQ(j["isolation"], "host");
  EXPECT_EQ(j["succeeded"], true);
  auto back = run_from_json(reparse(j));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_FALSE(back->exit_code);
  EXPECT_FALSE(back->signal);
  EXPECT_FALSE(back->cgroup);
  EXPECT_FALSE(back->limits);
  EXPECT_FALSE(back->residency);
  EXPECT_EQ(back->isolation, "");
}

TEST(CoreRecordJson, PartiallySetCgroupAndLimitsKeepTheirNulls) {
  RunRecord run;
  run.command = "x";
  run.cgroup = CgroupStats{};
  run.cgroup->memory_peak_bytes = 5;
  run.limits = AppliedLimits{};
  run.limits->cpus = 0.5;
  auto back = run_from_json(reparse(to_json(run)));
  ASSERT_TRUE(back.ok());
  ASSERT_TRUE(back->cgroup);
  EXPECT_FALSE(back->cgroup->cpu_usage_ms);
  EXPECT_EQ(back->cgroup->memory_peak_bytes, 5);
  ASSERT_TRUE(back->limits);
  EXPECT_EQ(back->limits->cpus, 0.5);
  EXPECT_FALSE(back->limits->effective_cpus);
}

TEST(CoreRecordJson, FullDocumentRoundTrips) {
  const ResultsDocument doc = full_document();
  json j = to_json(doc);
  EXPECT_EQ(j["schema"], kResultsSchema);
  EXPECT_EQ(j["tool"]["name"], "coldbench");
  auto back = document_from_json(reparse(j));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(to_json(*back), j);
  EXPECT_EQ(back->host.cpu_model, "Some CPU @ 3GHz");
  EXPECT_EQ(back->commands.at(1).argv,
            (std::vector<std::string>{"/bin/sh", "-c", "sleep 1 | cat"}));
  EXPECT_TRUE(back->commands.at(1).shell);
  EXPECT_TRUE(back->interrupted);
  ASSERT_EQ(back->runs.size(), 2u);
  EXPECT_TRUE(back->runs[0].residency);
  EXPECT_FALSE(back->runs[1].residency);
}

TEST(CoreRecordJson, WrongOrMissingSchemaIsAnError) {
  json j = to_json(full_document());
  for (const json& schema : {json("coldbench/2"), json("hyperfine"), json(1), json(nullptr)}) {
    j["schema"] = schema;
    auto doc = document_from_json(j);
    ASSERT_FALSE(doc.ok()) << schema;
    EXPECT_THAT(doc.error().message, HasSubstr("not a coldbench results file"));
    EXPECT_THAT(doc.error().message, HasSubstr("coldbench/1"));
  }
  j.erase("schema");
  EXPECT_FALSE(document_from_json(j).ok());
  EXPECT_FALSE(document_from_json(json::array()).ok());
  EXPECT_FALSE(document_from_json(json("coldbench/1")).ok());
}

TEST(CoreRecordJson, MalformedRunIsAnErrorNotAnException) {
  const json good = to_json(full_run());
  auto broken = [&](auto edit) {
    json j = good;
    edit(j);
    return j;
  };
  const std::vector<json> cases = {
      json::array(),
      json(nullptr),
      json("run"),
      broken([](json& j) { j.erase("command"); }),
      broken([](json& j) { j.erase("wall_ms"); }),
      broken([](json& j) { j["command"] = 5; }),
      broken([](json& j) { j["wall_ms"] = "12"; }),
      broken([](json& j) { j["exit_code"] = "zero"; }),
      broken([](json& j) { j["phases"] = 3; }),
      broken([](json& j) { j["phases"][0].erase("end_ms"); }),
      broken([](json& j) { j["metrics"][0]["values"] = json::array({"a"}); }),
      broken([](json& j) { j["metrics"][0].erase("values"); }),
      broken([](json& j) { j["labels"]["batch"] = 32; }),
      broken([](json& j) { j["cpu"] = 1; }),
      broken([](json& j) { j["cgroup"]["periods"] = "many"; }),
      broken([](json& j) { j["residency"]["least_resident"] = json::array({1}); }),
      broken([](json& j) { j["warnings"] = json::array({1}); }),
  };
  for (const auto& j : cases) {
    Expected<RunRecord> run = Error{};
    EXPECT_NO_THROW(run = run_from_json(j)) << j.dump();
    ASSERT_FALSE(run.ok()) << j.dump();
    EXPECT_THAT(run.error().message, HasSubstr("malformed run record")) << j.dump();
  }
}

TEST(CoreRecordJson, MalformedDocumentIsAnErrorNotAnException) {
  const json good = to_json(full_document());
  auto broken = [&](auto edit) {
    json j = good;
    edit(j);
    return j;
  };
  const std::vector<json> cases = {
      broken([](json& j) { j.erase("tool"); }),
      broken([](json& j) { j.erase("commands"); }),
      broken([](json& j) { j.erase("runs"); }),
      broken([](json& j) { j["runs"] = 5; }),
      broken([](json& j) { j["commands"][0].erase("name"); }),
      broken([](json& j) { j["commands"][0]["argv"] = "echo"; }),
      broken([](json& j) { j["host"]["online_cpus"] = "many"; }),
      broken([](json& j) { j["runs"][1]["wall_ms"] = nullptr; }),
  };
  for (const auto& j : cases) {
    Expected<ResultsDocument> doc = Error{};
    EXPECT_NO_THROW(doc = document_from_json(j)) << j.dump();
    ASSERT_FALSE(doc.ok()) << j.dump();
    EXPECT_THAT(doc.error().message, HasSubstr("malformed")) << j.dump();
  }
}

// fuzz/crashes/results_json/command-index-1e300.json: nlohmann's get<int>
// cast 1e300 with static_cast (undefined behaviour, a UBSan abort in the fuzz
// build) and wrapped integers too large for the field into negative counts.
TEST(CoreRecordJson, IntegerFieldsOutsideTheirRangeAreAnErrorNotUndefinedBehaviour) {
  const json good = to_json(full_document());
  auto broken = [&](auto edit) {
    json j = good;
    edit(j);
    return j;
  };
  const std::vector<std::pair<json, std::string>> cases = {
      {broken([](json& j) { j["runs"][0]["command_index"] = 1e300; }), "command_index"},
      {broken([](json& j) { j["runs"][0]["index"] = -1e300; }), "index"},
      {broken([](json& j) { j["runs"][0]["sequence"] = 2147483648U; }), "sequence"},
      {broken([](json& j) { j["runs"][0]["malformed_markers"] = 1.5; }), "malformed_markers"},
      {broken([](json& j) { j["runs"][0]["max_rss_kb"] = 9.3e18; }), "max_rss_kb"},
      {broken([](json& j) { j["runs"][0]["page_faults"]["minor"] = 18446744073709551615U; }), "minor"},
      {broken([](json& j) { j["runs"][0]["exit_code"] = 1e10; }), "exit_code"},
      {broken([](json& j) { j["runs"][0]["cgroup"]["periods"] = 1e19; }), "periods"},
      {broken([](json& j) { j["runs"][0]["limits"]["effective_cpus"] = true; }), "effective_cpus"},
      {broken([](json& j) { j["runs"][0]["residency"]["least_resident"][0]["size_bytes"] = 1e300; }), "size_bytes"},
      {broken([](json& j) { j["host"]["online_cpus"] = 4294967296U; }), "online_cpus"},
  };
  for (const auto& [j, field] : cases) {
    Expected<ResultsDocument> doc = Error{};
    EXPECT_NO_THROW(doc = document_from_json(j)) << field;
    ASSERT_FALSE(doc.ok()) << field;
    EXPECT_THAT(doc.error().message, HasSubstr("\"" + field + "\" must be an integer")) << doc.error().message;
  }
  // Integral doubles and the extremes of a field's type are values, not errors.
  json edge = good;
  edge["runs"][0]["command_index"] = 1.0;
  edge["runs"][0]["max_rss_kb"] = INT64_MAX;
  edge["runs"][0]["sequence"] = INT32_MIN;
  auto doc = document_from_json(edge);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(doc->runs[0].command_index, 1);
  EXPECT_EQ(doc->runs[0].usage.max_rss_kb, INT64_MAX);
  EXPECT_EQ(doc->runs[0].sequence, INT32_MIN);
}

}  // namespace
}  // namespace coldbench
