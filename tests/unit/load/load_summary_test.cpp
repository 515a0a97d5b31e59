#include "load/load_summary.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "load/load_slices.hpp"

namespace coldbench::load {
namespace {

constexpr int64_t kMs = 1'000'000;

// A server that answers in 1 ms but stalls once for 500 ms, loaded at 100/s on
// one connection: every request scheduled during the stall waits for it.
std::vector<RequestRecord> stalled_session() {
  std::vector<RequestRecord> records;
  int64_t free_at = 0;  // when the single connection is free again
  for (int i = 0; i < 1000; ++i) {
    RequestRecord r;
    r.id = i;
    r.intended_ns = i * 10 * kMs;
    r.sent_ns = std::max(r.intended_ns, free_at);
    r.done_ns = r.sent_ns + (i == 100 ? 500 * kMs : 1 * kMs);
    free_at = r.done_ns;
    r.status = 200;
    records.push_back(r);
  }
  return records;
}

TEST(LoadLatency, CountsFromTheIntendedSendTimeNotTheActualSend) {
  RequestRecord r;
  r.intended_ns = 100 * kMs;
  r.sent_ns = 400 * kMs;  // waited 300 ms for a free connection
  r.done_ns = 402 * kMs;
  EXPECT_EQ(r.latency_ns(), 302 * kMs);
  EXPECT_EQ(r.service_ns(), 2 * kMs);
}

TEST(LoadLatency, AStallShowsInTheLatencyTailButNotInServiceTime) {
  const auto records = stalled_session();
  LoadOutcome outcome;
  outcome.measure_start_ns = 0;
  outcome.schedule_end_ns = 10'000 * kMs;
  outcome.last_done_ns = records.back().done_ns;
  outcome.scheduled = 1000;
  const auto s = summarize_load(records, outcome);
  // 50 requests were scheduled inside the stall (5% of the session): p99 is deep inside it.
  EXPECT_GT(s.latency[2].value_ms, 250.0);  // p99
  EXPECT_LT(s.service[2].value_ms, 2.0);    // the stall is one request's service time: not in p99
  EXPECT_NEAR(s.latency[0].value_ms, 1.0, 1e-9);
  EXPECT_DOUBLE_EQ(s.max_latency_ms, 500.0);  // the stalled request itself
  EXPECT_NEAR(s.offered_rate, 100.0, 1e-9);
  EXPECT_TRUE(s.latency[2].ci.valid());   // 1000 answers: enough for a 95% interval of p99
  EXPECT_FALSE(s.latency[3].ci.valid());  // p99.9 needs more
  EXPECT_GT(s.latency[3].ci.n_needed, 1000u);
}

TEST(LoadLatency, WarmupAndFailedRequestsStayOutOfTheQuantiles) {
  auto records = stalled_session();
  records[0].warmup = true;
  records[0].done_ns += 10'000 * kMs;
  records[1].error = RequestError::Timeout;
  records[1].status = 0;
  records[1].done_ns += 10'000 * kMs;
  LoadOutcome outcome;
  outcome.schedule_end_ns = 10'000 * kMs;
  outcome.last_done_ns = 10'000 * kMs;
  const auto s = summarize_load(records, outcome);
  EXPECT_LT(s.max_latency_ms, 1000.0);
  EXPECT_EQ(s.measured.timeout, 1);
  EXPECT_EQ(s.warmup.requests, 1);
  EXPECT_EQ(s.measured.requests, 999);
  EXPECT_EQ(s.measured.status_class[2], 998);
}

TEST(LoadSlices, EachSliceIsOneRunOfItsRequestsLatencies) {
  std::vector<RunRecord> runs;
  SliceRecorder slices("load", 0, 2000 * kMs, 1000 * kMs,
                       [&](RunRecord run) { runs.push_back(std::move(run)); });
  for (const auto& r : stalled_session()) slices.add(r);  // 0..10 s: 2 warmup slices, 8 measured
  slices.settle(5000 * kMs);  // slices ending by 5 s: warmup 0-1, 1-2, measured 2-3, 3-4, 4-5
  ASSERT_EQ(runs.size(), 5u);
  EXPECT_TRUE(runs[0].warmup);
  EXPECT_TRUE(runs[1].warmup);
  EXPECT_FALSE(runs[2].warmup);
  EXPECT_EQ(runs[2].index, 0);
  ASSERT_NE(runs[2].metric("latency"), nullptr);
  EXPECT_EQ(runs[2].metric("latency")->values.size(), 100u);
  EXPECT_DOUBLE_EQ(runs[2].wall_ms, 1000.0);
  // The stall (request 100, at 1 s) is in the second warmup slice.
  EXPECT_GT(runs[1].metric("latency")->values[1], 400.0);
  slices.flush(false);
  EXPECT_EQ(runs.size(), 10u);
  EXPECT_EQ(runs.back().index, 7);
}

TEST(LoadSlices, WarmupSlicesEndWhereTheMeasuredWindowStarts) {
  // A 1.5 s warmup with 1 s slices: [0, 0.5) and [0.5, 1.5) are warmup, never mixed with measured
  // requests.
  EXPECT_EQ(slice_index(0, 0, 1500 * kMs, 1000 * kMs), -2);
  EXPECT_EQ(slice_index(499 * kMs, 0, 1500 * kMs, 1000 * kMs), -2);
  EXPECT_EQ(slice_index(500 * kMs, 0, 1500 * kMs, 1000 * kMs), -1);
  EXPECT_EQ(slice_index(1499 * kMs, 0, 1500 * kMs, 1000 * kMs), -1);
  EXPECT_EQ(slice_index(1500 * kMs, 0, 1500 * kMs, 1000 * kMs), 0);
}

TEST(LoadSlices, AnInterruptedSessionMarksItsPartialSlices) {
  std::vector<RunRecord> runs;
  SliceRecorder slices("load", 0, 0, 1000 * kMs,
                       [&](RunRecord run) { runs.push_back(std::move(run)); });
  auto records = stalled_session();
  for (int i = 0; i < 150; ++i) slices.add(records[static_cast<std::size_t>(i)]);
  slices.flush(true);
  ASSERT_EQ(runs.size(), 2u);
  EXPECT_FALSE(runs[1].warnings.empty());
}

}  // namespace
}  // namespace coldbench::load
