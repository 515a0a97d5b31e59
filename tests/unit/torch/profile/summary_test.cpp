#include "torch/profile/summary.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace coldbench::workload {
namespace {

constexpr int64_t kMain = 1;
constexpr int64_t kWorker = 2;

class WindowBuilder {
 public:
  WindowBuilder() { window_.main_tid = kMain; }

  // Adds an event; returns its index for use as a parent.
  int64_t add(const std::string& name, int64_t start_us, int64_t end_us, int64_t parent = -1,
              EventKind kind = EventKind::kOperator, int64_t tid = kMain) {
    OpEvent op;
    op.name = name;
    op.kind = kind;
    op.tid = tid;
    op.start_ns = start_us * 1000;
    op.end_ns = end_us * 1000;
    op.parent = parent;
    window_.ops.push_back(op);
    return static_cast<int64_t>(window_.ops.size()) - 1;
  }
  void alloc(int64_t bytes, int64_t op, int64_t total = 0, int64_t tid = kMain) {
    MemoryEvent event;
    event.bytes = bytes;
    event.op = op;
    event.tid = tid;
    event.total_allocated = total;
    window_.memory.push_back(event);
  }
  ProfileWindow& window() { return window_; }

 private:
  ProfileWindow window_;
};

const OpStats& find(const WindowSummary& summary, const std::string& name) {
  auto it = std::find_if(summary.ops.begin(), summary.ops.end(),
                         [&](const OpStats& op) { return op.name == name; });
  EXPECT_NE(it, summary.ops.end()) << name;
  return *it;
}

TEST(ProfileSummary, SelfTimeExcludesDirectChildren) {
  WindowBuilder b;
  int64_t step = b.add("ProfilerStep#2", 0, 1000, -1, EventKind::kAnnotation);
  int64_t conv = b.add("aten::conv2d", 100, 600, step);
  int64_t inner = b.add("aten::convolution", 150, 550, conv);
  b.add("aten::mkldnn_convolution", 200, 500, inner);
  b.add("aten::relu", 700, 800, step);
  WindowSummary summary = summarize_window(b.window(), 1);

  EXPECT_EQ(find(summary, "aten::conv2d").total_ns, 500'000);
  EXPECT_EQ(find(summary, "aten::conv2d").self_ns, 100'000);
  EXPECT_EQ(find(summary, "aten::convolution").self_ns, 100'000);
  EXPECT_EQ(find(summary, "aten::mkldnn_convolution").self_ns, 300'000);
  EXPECT_EQ(find(summary, "ProfilerStep*").self_ns, 400'000);  // 1000 - 500 - 100
  EXPECT_TRUE(find(summary, "ProfilerStep*").annotation);
  // Self times add up to the outermost range: nothing counted twice.
  EXPECT_EQ(summary.self_total_ns, 1'000'000);
  EXPECT_EQ(summary.counts.op_calls, 4);  // annotations are not op calls
}

TEST(ProfileSummary, AggregatesCallsByNameAndFoldsProfilerSteps) {
  WindowBuilder b;
  for (int i = 0; i < 3; ++i) {
    int64_t step = b.add("ProfilerStep#" + std::to_string(i + 2), i * 100, i * 100 + 90, -1,
                         EventKind::kAnnotation);
    b.add("aten::add", i * 100 + 10, i * 100 + 20, step);
    b.add("aten::add", i * 100 + 30, i * 100 + 50, step);
  }
  WindowSummary summary = summarize_window(b.window(), 3);
  EXPECT_EQ(find(summary, "aten::add").calls, 6);
  EXPECT_EQ(find(summary, "aten::add").total_ns, 90'000);
  EXPECT_EQ(find(summary, "ProfilerStep*").calls, 3);
  EXPECT_EQ(summary.ops.size(), 2u);
  EXPECT_EQ(summary.counts.steps, 3);
  EXPECT_DOUBLE_EQ(summary.counts.per_step(summary.counts.op_calls), 2.0);
}

TEST(ProfileSummary, HostReadsCountItemOnce) {
  WindowBuilder b;
  int64_t item = b.add("aten::item", 0, 10);
  b.add("aten::_local_scalar_dense", 1, 9, item);  // inside .item(): same read
  b.add("aten::_local_scalar_dense", 20, 30);      // called directly: a read of its own
  b.add("aten::item", 40, 50, -1, EventKind::kOperator, kWorker);  // not the training thread
  WindowSummary summary = summarize_window(b.window(), 1);
  EXPECT_EQ(summary.counts.host_reads, 2);
}

TEST(ProfileSummary, AllocationsAreCountedAndAttributedToTheOpenOp) {
  WindowBuilder b;
  int64_t empty = b.add("aten::empty", 0, 10);
  int64_t mul = b.add("aten::mul", 20, 30);
  b.alloc(100, empty, 100);
  b.alloc(200, mul, 300);
  b.alloc(50, mul, 350);
  b.alloc(-100, mul, 250);
  b.alloc(64, -1, 314);            // outside any op: counted, attributed to none
  b.alloc(999, -1, 999, kWorker);  // another thread: not the training thread's
  WindowSummary summary = summarize_window(b.window(), 2);
  EXPECT_EQ(summary.counts.alloc_events, 4);
  EXPECT_EQ(summary.counts.alloc_bytes, 414);
  EXPECT_EQ(summary.counts.free_events, 1);
  EXPECT_EQ(summary.counts.peak_allocated_bytes, 350);
  EXPECT_EQ(find(summary, "aten::mul").alloc_events, 2);
  EXPECT_EQ(find(summary, "aten::mul").alloc_bytes, 250);
  EXPECT_EQ(find(summary, "aten::empty").alloc_events, 1);
  EXPECT_DOUBLE_EQ(summary.counts.per_step(summary.counts.alloc_events), 2.0);
}

TEST(ProfileSummary, OtherThreadsAreSummedApart) {
  WindowBuilder b;
  b.add("aten::mul", 0, 10);
  int64_t get = b.add("Dataset.get", 0, 100, -1, EventKind::kAnnotation, kWorker);
  b.add("aten::rand", 10, 20, get, EventKind::kOperator, kWorker);
  b.add("aten::stack", 200, 230, -1, EventKind::kOperator, kWorker);
  WindowSummary summary = summarize_window(b.window(), 1);
  EXPECT_EQ(summary.counts.op_calls, 1);
  EXPECT_EQ(summary.counts.other_thread_op_calls, 2);
  EXPECT_EQ(summary.counts.other_thread_busy_ns, 130'000);  // outermost events only
  EXPECT_EQ(summary.ops.size(), 1u);
}

TEST(ProfileSummary, SortsBySelfCpuOrSelfDevice) {
  WindowBuilder b;
  b.add("aten::a", 0, 10);
  b.add("aten::b", 20, 50);
  b.add("aten::c", 60, 80);
  b.window().ops[0].device_us = 90.0;
  b.window().ops[1].device_us = 5.0;
  b.window().ops[2].device_us = 40.0;
  WindowSummary summary = summarize_window(b.window(), 1);
  sort_ops(summary.ops, OpSort::kSelfCpu);
  EXPECT_EQ(summary.ops[0].name, "aten::b");
  EXPECT_EQ(summary.ops[1].name, "aten::c");
  sort_ops(summary.ops, OpSort::kSelfDevice);
  EXPECT_EQ(summary.ops[0].name, "aten::a");
  EXPECT_EQ(summary.ops[1].name, "aten::c");
  EXPECT_DOUBLE_EQ(summary.self_device_total_us, 135.0);
}

TEST(ProfileSummary, MergeAddsWindowsTogether) {
  WindowBuilder first;
  first.add("aten::add", 0, 10);
  first.alloc(8, 0, 8);
  WindowBuilder second;
  second.add("aten::add", 0, 30);
  second.add("aten::mul", 40, 50);
  WindowSummary total = summarize_window(first.window(), 2);
  merge_summary(total, summarize_window(second.window(), 3));
  EXPECT_EQ(total.counts.steps, 5);
  EXPECT_EQ(total.counts.op_calls, 3);
  EXPECT_EQ(total.counts.alloc_events, 1);
  EXPECT_EQ(find(total, "aten::add").calls, 2);
  EXPECT_EQ(find(total, "aten::add").total_ns, 40'000);
  EXPECT_EQ(total.self_total_ns, 50'000);
}

TEST(ProfileSummary, TableHasTorchProfilersColumnsAndHonoursTop) {
  WindowBuilder b;
  b.add("aten::mkldnn_convolution", 0, 3000);
  b.add("aten::add_", 3000, 4000);
  b.add("a_very_long_operator_name_that_does_not_fit_in_the_name_column", 4000, 4010);
  WindowSummary summary = summarize_window(b.window(), 1);
  sort_ops(summary.ops, OpSort::kSelfCpu);
  std::string table = format_top_ops_table(summary, summary.ops, 2, false);
  for (const char* column : {"Name", "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                             "CPU time avg", "# of Calls", "# Allocs"}) {
    EXPECT_NE(table.find(column), std::string::npos) << column;
  }
  EXPECT_NE(table.find("aten::mkldnn_convolution"), std::string::npos);
  EXPECT_NE(table.find("74.81%"), std::string::npos);  // 3000 of 4010 us
  EXPECT_NE(table.find("3.000ms"), std::string::npos);
  EXPECT_EQ(table.find("a_very_long"), std::string::npos);  // past --top
  EXPECT_NE(table.find("Self CPU time total: 4.010ms"), std::string::npos);
  EXPECT_EQ(table.find("CUDA"), std::string::npos);

  std::string all = format_top_ops_table(summary, summary.ops, 10, true);
  EXPECT_NE(all.find("a_very_long_operator_name_that_does_not_fi..."), std::string::npos);
  EXPECT_NE(all.find("Self CUDA"), std::string::npos);
}

TEST(ProfileSummary, TimeFormatFollowsTorchProfiler) {
  EXPECT_EQ(format_profiler_time(812), "812.000us");
  EXPECT_EQ(format_profiler_time(5413), "5.413ms");
  EXPECT_EQ(format_profiler_time(1'230'000), "1.230s");
  EXPECT_EQ(aggregate_name("ProfilerStep#17"), "ProfilerStep*");
  EXPECT_EQ(aggregate_name("aten::add"), "aten::add");
}

}  // namespace
}  // namespace coldbench::workload
