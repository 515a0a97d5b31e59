#include "torch/serve/batcher.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace coldbench::workload::serve {
namespace {

constexpr int64_t kMs = 1'000'000;

TEST(BatchQueue, WaitsUntilFullOrTheOldestTimesOut) {
  BatchQueue queue(4, 5 * kMs);
  queue.push("m|3,", 1, 1, 0);
  queue.push("m|3,", 2, 1, 1 * kMs);
  EXPECT_TRUE(queue.take_due(4 * kMs).empty());  // neither full nor timed out
  EXPECT_EQ(queue.next_deadline_ns(), 5 * kMs);  // the oldest's timeout
  EXPECT_EQ(queue.take_due(5 * kMs), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(queue.waiting(), 0u);
  EXPECT_FALSE(queue.next_deadline_ns().has_value());

  for (uint64_t id = 10; id < 14; ++id) queue.push("m|3,", id, 1, 100 * kMs);
  EXPECT_EQ(queue.take_due(100 * kMs), (std::vector<uint64_t>{10, 11, 12, 13}));  // full at once
}

TEST(BatchQueue, TakesAtMostMaxBatchRowsInArrivalOrder) {
  BatchQueue queue(4, 5 * kMs);
  queue.push("m|3,", 1, 2, 0);
  queue.push("m|3,", 2, 1, 0);
  queue.push("m|3,", 3, 2, 0);  // would make 5 rows: waits for the next batch
  queue.push("m|3,", 4, 1, 0);
  EXPECT_EQ(queue.take_due(0), (std::vector<uint64_t>{1, 2}));
  EXPECT_EQ(queue.waiting(), 2u);
  EXPECT_TRUE(queue.take_due(1 * kMs).empty());  // 3 rows left: not full, not yet timed out
  EXPECT_EQ(queue.take_due(5 * kMs), (std::vector<uint64_t>{3, 4}));
}

TEST(BatchQueue, ARequestLargerThanMaxBatchRunsAlone) {
  BatchQueue queue(4, 5 * kMs);
  queue.push("m|3,", 1, 8, 0);
  queue.push("m|3,", 2, 1, 0);
  EXPECT_EQ(queue.take_due(0), (std::vector<uint64_t>{1}));
  EXPECT_EQ(queue.take_due(5 * kMs), (std::vector<uint64_t>{2}));
}

TEST(BatchQueue, KeysNeverMixAndTheOldestDueKeyGoesFirst) {
  BatchQueue queue(8, 5 * kMs);
  queue.push(batch_key("a", {1, 3, 32, 32}), 1, 1, 2 * kMs);
  queue.push(batch_key("a", {1, 3, 64, 64}), 2, 1, 0);
  queue.push(batch_key("b", {1, 3, 32, 32}), 3, 1, 1 * kMs);
  queue.push(batch_key("a", {1, 3, 32, 32}), 4, 1, 3 * kMs);
  EXPECT_EQ(queue.take_due(10 * kMs), (std::vector<uint64_t>{2}));
  EXPECT_EQ(queue.take_due(10 * kMs), (std::vector<uint64_t>{3}));
  EXPECT_EQ(queue.take_due(10 * kMs), (std::vector<uint64_t>{1, 4}));
  EXPECT_TRUE(queue.take_due(10 * kMs).empty());
}

TEST(BatchQueue, FlushTakesWhatWaitsBeforeItsTimeout) {
  BatchQueue queue(8, 5 * kMs);
  queue.push("m|", 1, 1, 0);
  EXPECT_TRUE(queue.take_due(0).empty());
  EXPECT_EQ(queue.take_due(0, true), (std::vector<uint64_t>{1}));
}

TEST(BatchQueue, MaxBatchOneIsOneRequestAtATimeWithoutWaiting) {
  BatchQueue queue(1, 5 * kMs);
  queue.push("m|", 1, 1, 0);
  queue.push("m|", 2, 1, 0);
  EXPECT_EQ(queue.take_due(0), (std::vector<uint64_t>{1}));
  EXPECT_EQ(queue.take_due(0), (std::vector<uint64_t>{2}));
}

TEST(BatchKey, SameModelAndTrailingShapeOnly) {
  EXPECT_EQ(batch_key("m", {1, 3, 8}), batch_key("m", {4, 3, 8}));
  EXPECT_NE(batch_key("m", {1, 3, 8}), batch_key("m", {1, 3, 9}));
  EXPECT_NE(batch_key("m", {1, 3, 8}), batch_key("n", {1, 3, 8}));
  EXPECT_NE(batch_key("m", {1, 38}), batch_key("m", {1, 3, 8}));
  EXPECT_EQ(batch_rows({5, 3}), 5);
  EXPECT_EQ(batch_rows({}), 1);
}

TEST(StackInputs, ConcatenatesAlongDimZeroAndSplitGivesEachItsRows) {
  TensorInput a{{1, 2}, {1, 2}};
  TensorInput b{{2, 2}, {3, 4, 5, 6}};
  auto stacked = stack_inputs({&a, &b});
  ASSERT_TRUE(stacked) << stacked.error().message;
  EXPECT_EQ(stacked->shape, (std::vector<int64_t>{3, 2}));
  EXPECT_EQ(stacked->values, (std::vector<float>{1, 2, 3, 4, 5, 6}));

  OutputValues out{{3, 1}, {10, 20, 30}};  // one value per row
  auto parts = split_output(out, {1, 2});
  ASSERT_TRUE(parts) << parts.error().message;
  ASSERT_EQ(parts->size(), 2u);
  EXPECT_EQ((*parts)[0].shape, (std::vector<int64_t>{1, 1}));
  EXPECT_EQ((*parts)[0].values, (std::vector<float>{10}));
  EXPECT_EQ((*parts)[1].shape, (std::vector<int64_t>{2, 1}));
  EXPECT_EQ((*parts)[1].values, (std::vector<float>{20, 30}));
}

TEST(StackInputs, RefusesMixedShapesAndSplitRefusesAnOutputWithoutTheBatchDim) {
  TensorInput a{{1, 2}, {1, 2}};
  TensorInput c{{1, 3}, {1, 2, 3}};
  EXPECT_FALSE(stack_inputs({&a, &c}));
  EXPECT_FALSE(split_output(OutputValues{{1, 10}, std::vector<float>(10)}, {1, 2}));
  EXPECT_FALSE(split_output(OutputValues{{}, {1}}, {1}));
}

// Structure, not time: a batch timeout far longer than the test, so only a
// full batch (or shutdown's flush) can run, and the run is held on a latch.
TEST(DynamicBatcher, AFullBatchRunsAtOnceAndShutdownFlushesTheRest) {
  std::mutex mutex;
  std::vector<std::vector<int>> batches;
  DynamicBatcher<int> batcher(1, 16, 3, 3'600'000 * kMs, [&](std::vector<int>& batch) {
    std::lock_guard lock(mutex);
    batches.push_back(batch);
  });
  for (int i = 0; i < 4; ++i) ASSERT_TRUE(batcher.try_submit("k", 1, i));
  batcher.shutdown();
  ASSERT_EQ(batches.size(), 2u);
  EXPECT_EQ(batches[0], (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(batches[1], (std::vector<int>{3}));
  EXPECT_FALSE(batcher.try_submit("k", 1, 9));  // shut down
}

TEST(DynamicBatcher, RefusesBeyondItsCapacityOfWaitingRequests) {
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::promise<void> started;
  std::atomic<int> ran{0};
  DynamicBatcher<int> batcher(1, 2, 1, 0, [&](std::vector<int>& batch) {
    if (batch.front() == 0) {
      started.set_value();
      gate.wait();
    }
    ran += static_cast<int>(batch.size());
  });
  ASSERT_TRUE(batcher.try_submit("k", 1, 0));
  started.get_future().wait();  // the worker holds request 0
  EXPECT_TRUE(batcher.try_submit("k", 1, 1));
  EXPECT_TRUE(batcher.try_submit("k", 1, 2));
  EXPECT_FALSE(batcher.try_submit("k", 1, 3));  // two wait: full
  release.set_value();
  batcher.shutdown();
  EXPECT_EQ(ran, 3);
}

}  // namespace
}  // namespace coldbench::workload::serve
