#include "torch/profile/trace.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <sstream>

namespace coldbench::workload {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

constexpr int64_t kMain = 100;
constexpr int64_t kWorker = 101;

OpEvent event(std::string name, EventKind kind, int64_t tid, int64_t start, int64_t end,
              int64_t parent = -1) {
  OpEvent op;
  op.name = std::move(name);
  op.kind = kind;
  op.tid = tid;
  op.start_ns = start;
  op.end_ns = end;
  op.parent = parent;
  return op;
}

// ProfilerStep#2 > forward > aten::conv2d > aten::convolution; a worker op;
// one allocation and its free inside the convolution.
ProfileWindow sample_window() {
  ProfileWindow window;
  window.main_tid = kMain;
  window.start_ns = 1'000'000;
  window.end_ns = 2'000'000;
  window.epoch_offset_ns = 1'700'000'000'000'000'000;
  window.ops.push_back(
      event("ProfilerStep#2", EventKind::kAnnotation, kMain, 1'000'000, 1'900'000));
  window.ops.push_back(event("forward", EventKind::kAnnotation, kMain, 1'100'000, 1'800'000, 0));
  OpEvent conv = event("aten::conv2d", EventKind::kOperator, kMain, 1'200'000, 1'700'500, 1);
  conv.input_dims = {{8, 3, 32, 32}, {16, 3, 3, 3}, {}};
  conv.input_types = {"float", "float", "Scalar"};
  conv.sequence_nr = 7;
  window.ops.push_back(conv);
  window.ops.push_back(
      event("aten::convolution", EventKind::kOperator, kMain, 1'250'000, 1'700'000, 2));
  window.ops.push_back(event("aten::rand", EventKind::kOperator, kWorker, 1'300'000, 1'400'000));
  MemoryEvent alloc;
  alloc.ts_ns = 1'260'000;
  alloc.tid = kMain;
  alloc.bytes = 4096;
  alloc.total_allocated = 4096;
  alloc.address = 0xabc0;
  alloc.op = 3;
  MemoryEvent free_event = alloc;
  free_event.ts_ns = 1'650'000;
  free_event.bytes = -4096;
  free_event.total_allocated = 0;
  window.memory = {alloc, free_event};
  window.threads = {{kWorker, "cb-data-worker (101)"}, {kMain, "training thread (main)"}};
  return window;
}

json render(const ProfileWindow& window, TraceContext context = {}) {
  std::ostringstream out;
  write_trace(window, context, out);
  return json::parse(out.str());  // throws (fails the test) on invalid JSON
}

std::vector<json> of_phase(const json& trace, const std::string& ph) {
  std::vector<json> out;
  for (const json& e : trace["traceEvents"]) {
    if (e["ph"] == ph) out.push_back(e);
  }
  return out;
}

TEST(ProfileTrace, IsTraceEventJsonWithCompleteEventsForEveryOp) {
  TraceContext context;
  context.pid = 4242;
  context.process_name = "coldbench-torch profile (baseline)";
  context.other_data = {{"scenario", "baseline"}};
  json trace = render(sample_window(), context);
  ASSERT_TRUE(trace.contains("traceEvents"));
  EXPECT_EQ(trace["otherData"]["scenario"], "baseline");
  EXPECT_EQ(trace["displayTimeUnit"], "ms");

  auto complete = of_phase(trace, "X");
  ASSERT_EQ(complete.size(), 5u);
  for (const json& e : complete) {
    EXPECT_EQ(e["pid"], 4242);
    EXPECT_TRUE(e["ts"].is_number());
    EXPECT_TRUE(e["dur"].is_number());
    EXPECT_GE(e["dur"].get<double>(), 0);
    EXPECT_TRUE(e["args"].contains("External id"));
  }
  // In start order, so a parent precedes its children.
  EXPECT_EQ(complete[0]["name"], "ProfilerStep#2");
  EXPECT_EQ(complete[0]["cat"], "user_annotation");
  const json& conv = complete[2];
  EXPECT_EQ(conv["name"], "aten::conv2d");
  EXPECT_EQ(conv["cat"], "cpu_op");
  EXPECT_EQ(conv["tid"], kMain);
  EXPECT_DOUBLE_EQ(conv["dur"].get<double>(), 500.5);  // microseconds
  EXPECT_EQ(conv["args"]["Input Dims"], json::parse("[[8,3,32,32],[16,3,3,3],[]]"));
  EXPECT_EQ(conv["args"]["Input type"], json::parse(R"(["float","float","Scalar"])"));
  EXPECT_EQ(conv["args"]["Sequence number"], 7);
  EXPECT_FALSE(conv["args"].contains("Call stack"));
}

TEST(ProfileTrace, TimestampsAreMicrosecondsSinceTheBaseWithNanosecondDigits) {
  ProfileWindow window = sample_window();
  window.trace_base_ns = 999'000;
  window.ops[2].start_ns = 1'200'001;
  std::ostringstream out;
  write_trace(window, {}, out);
  EXPECT_NE(out.str().find("\"ts\": 201.001"), std::string::npos);  // aten::conv2d
  json trace = json::parse(out.str());
  EXPECT_EQ(trace["baseTimeNanoseconds"], 1'700'000'000'000'999'000);
  // Without a base, the window's start is time zero.
  json unbased = render(sample_window());
  EXPECT_EQ(unbased["baseTimeNanoseconds"], 1'700'000'000'001'000'000);
  EXPECT_EQ(of_phase(unbased, "X")[0]["ts"], 0.0);
  EXPECT_EQ(format_trace_us(1'234'567), "1234.567");
  EXPECT_EQ(format_trace_us(5), "0.005");
  EXPECT_EQ(format_trace_us(0), "0.000");
  EXPECT_EQ(format_trace_us(-1500), "-1.500");
}

TEST(ProfileTrace, MemoryEventsAreInstantAndCounterEvents) {
  json trace = render(sample_window());
  auto instants = of_phase(trace, "i");
  ASSERT_EQ(instants.size(), 2u);
  EXPECT_EQ(instants[0]["name"], "[memory]");
  EXPECT_EQ(instants[0]["s"], "t");
  EXPECT_EQ(instants[0]["args"]["Bytes"], 4096);
  EXPECT_EQ(instants[0]["args"]["Total Allocated"], 4096);
  EXPECT_EQ(instants[0]["args"]["Device Type"], 0);
  EXPECT_EQ(instants[0]["args"]["Op"], "aten::convolution");
  EXPECT_EQ(instants[1]["args"]["Bytes"], -4096);
  auto counters = of_phase(trace, "C");
  ASSERT_EQ(counters.size(), 2u);
  EXPECT_EQ(counters[0]["name"], "Memory allocated (CPU)");
  EXPECT_EQ(counters[0]["args"]["bytes"], 4096);
  EXPECT_EQ(counters[1]["args"]["bytes"], 0);
}

TEST(ProfileTrace, ThreadsAreNamedTrainingThreadFirst) {
  json trace = render(sample_window());
  std::vector<std::pair<int64_t, std::string>> names;
  std::map<int64_t, int> sort_index;
  bool process_named = false;
  for (const json& e : of_phase(trace, "M")) {
    if (e["name"] == "thread_name") names.emplace_back(e["tid"], e["args"]["name"]);
    if (e["name"] == "thread_sort_index") sort_index[e["tid"]] = e["args"]["sort_index"];
    if (e["name"] == "process_name") process_named = true;
  }
  EXPECT_TRUE(process_named);
  ASSERT_EQ(names.size(), 2u);
  EXPECT_EQ(names[0].first, kMain);
  EXPECT_EQ(sort_index[kMain], 0);
  EXPECT_EQ(sort_index[kWorker], 1);
}

TEST(ProfileTrace, StacksAndScopesOnlyWithStack) {
  ProfileWindow window = sample_window();
  window.with_stack = true;
  window.ops[3].stack = {"coldbench::Model::forward()", "main_loop()"};
  json trace = render(window);
  for (const json& e : of_phase(trace, "X")) {
    if (e["name"] == "aten::convolution") {
      EXPECT_EQ(e["args"]["Call stack"], "coldbench::Model::forward();main_loop()");
      EXPECT_EQ(e["args"]["Scope"], "ProfilerStep#2 > forward > aten::conv2d");
    }
    if (e["name"] == "ProfilerStep#2") {
      EXPECT_FALSE(e["args"].contains("Scope"));
    }
  }
}

TEST(ProfileTrace, DeviceTimeWhenRecorded) {
  ProfileWindow window = sample_window();
  window.ops[3].device_us = 12.5;
  json trace = render(window);
  for (const json& e : of_phase(trace, "X")) {
    if (e["name"] == "aten::convolution") {
      EXPECT_DOUBLE_EQ(e["args"]["Device time us"].get<double>(), 12.5);
    }
  }
}

TEST(ProfileTrace, EscapesNamesSoTheJsonStaysValid) {
  ProfileWindow window = sample_window();
  const std::string nasty = std::string("quote\" back\\slash\nnew\ttab\x01\x7f ") +
                            "caf\xc3\xa9 \xe2\x82\xac bad\xff\xfe end";
  window.ops[4].name = nasty;
  window.threads[0].name = "worker \"1\"";
  json trace;
  ASSERT_NO_THROW(trace = render(window));
  bool found = false;
  for (const json& e : of_phase(trace, "X")) {
    if (e["tid"] != kWorker) continue;
    found = true;
    EXPECT_EQ(e["name"],
              "quote\" back\\slash\nnew\ttab\x01\x7f caf\xc3\xa9 \xe2\x82\xac "
              "bad\xef\xbf\xbd\xef\xbf\xbd end");
  }
  EXPECT_TRUE(found);
}

TEST(ProfileTrace, AppendJsonString) {
  std::string out;
  append_json_string(out, "a\"b\\c\x1f");
  EXPECT_EQ(out, R"("a\"b\\c\u001f")");
  out.clear();
  append_json_string(out, "\xe2\x82");  // truncated sequence
  EXPECT_EQ(out, R"("\ufffd\ufffd")");
  out.clear();
  append_json_string(out, "\xed\xa0\x80");  // a UTF-16 surrogate, invalid in UTF-8
  EXPECT_EQ(out, R"("\ufffd\ufffd\ufffd")");
  out.clear();
  append_json_string(out, "\xf0\x9f\x98\x80");  // 4-byte sequence kept as is
  EXPECT_EQ(out, "\"\xf0\x9f\x98\x80\"");
}

TEST(ProfileTrace, EmptyWindowIsStillValid) {
  ProfileWindow window;
  json trace = render(window);
  EXPECT_TRUE(trace["traceEvents"].is_array());
  EXPECT_TRUE(of_phase(trace, "X").empty());
}

TEST(ProfileTrace, FileNamesMatchTensorBoardsPattern) {
  EXPECT_EQ(worker_name("edge-01", 1234), "edge-01_1234");
  EXPECT_EQ(worker_name("box.lab.example", 7), "box_lab_example_7");
  EXPECT_EQ(worker_name("", 7), "localhost_7");
  std::string name = trace_file_name(worker_name("edge-01", 1234), 1718000000123);
  EXPECT_EQ(name, "edge-01_1234.1718000000123.pt.trace.json");
  // torch_tb_profiler's worker pattern: worker, optional .<digits> span, suffix.
  std::regex pattern(R"(^(.*?)(\.\d+)?\.pt\.trace\.json(?:\.gz)?$)");
  std::smatch match;
  ASSERT_TRUE(std::regex_match(name, match, pattern));
  EXPECT_EQ(match[1].str(), "edge-01_1234");
  EXPECT_EQ(match[2].str(), ".1718000000123");
}

TEST(ProfileTrace, WriteTraceFileCreatesTheDirectoryAndUniqueNames) {
  fs::path dir = fs::temp_directory_path() / ("cb_profile_trace_" + std::to_string(getpid())) /
                 "nested" / "traces";
  fs::remove_all(dir.parent_path().parent_path());
  ProfileWindow window = sample_window();
  auto first = write_trace_file(window, {}, dir, "host_1");
  ASSERT_TRUE(first.ok()) << first.error().message;
  auto second = write_trace_file(window, {}, dir, "host_1");
  ASSERT_TRUE(second.ok()) << second.error().message;
  EXPECT_NE(*first, *second);
  EXPECT_EQ(first->parent_path(), dir);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    ++files;
    EXPECT_EQ(entry.path().extension(), ".json");  // no .tmp left behind
    std::ifstream in(entry.path());
    json trace = json::parse(in);
    EXPECT_EQ(of_phase(trace, "X").size(), 5u);
  }
  EXPECT_EQ(files, 2);
  const int64_t epoch_ms = (window.end_ns + window.epoch_offset_ns) / 1'000'000;
  EXPECT_EQ(first->filename().string(), trace_file_name("host_1", epoch_ms));
  fs::remove_all(dir.parent_path().parent_path());
}

TEST(ProfileTrace, WriteTraceFileReportsAnUnusableDirectory) {
  fs::path file = fs::temp_directory_path() / ("cb_profile_file_" + std::to_string(getpid()));
  std::ofstream(file) << "x";
  auto written = write_trace_file(sample_window(), {}, file / "traces", "host_1");
  ASSERT_FALSE(written.ok());
  EXPECT_NE(written.error().message.find("--trace-dir"), std::string::npos);
  EXPECT_EQ(written.error().exit_code, kExitUsage);
  fs::remove(file);
}

}  // namespace
}  // namespace coldbench::workload
