#include "torch/serve/inference_pool.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <future>

namespace coldbench::workload::serve {
namespace {

// Structure, not time: workers are held on a latch the test opens.
TEST(InferencePool, RefusesWhenWorkersBusyAndQueueFullThenAcceptsAgain) {
  InferencePool pool(1, 1);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> ran{0};
  std::promise<void> first_started;
  ASSERT_TRUE(pool.try_submit([&] {
    first_started.set_value();
    gate.wait();
    ++ran;
  }));
  first_started.get_future().wait();              // the worker is busy now
  EXPECT_TRUE(pool.try_submit([&] { ++ran; }));   // waits in the queue
  EXPECT_FALSE(pool.try_submit([&] { ++ran; }));  // queue full
  release.set_value();
  pool.shutdown();
  EXPECT_EQ(ran, 2);
  EXPECT_FALSE(pool.try_submit([] {}));  // shut down
}

TEST(InferencePool, ZeroQueueTakesOnlyWhatIdleWorkersCanRun) {
  InferencePool pool(2, 0);
  std::promise<void> release;
  std::shared_future<void> gate = release.get_future().share();
  std::atomic<int> started{0};
  auto job = [&] {
    ++started;
    gate.wait();
  };
  EXPECT_TRUE(pool.try_submit(job));
  EXPECT_TRUE(pool.try_submit(job));
  EXPECT_FALSE(pool.try_submit(job));
  release.set_value();
  pool.shutdown();
  EXPECT_EQ(started, 2);
}

TEST(InferencePool, ShutdownRunsEveryAcceptedJob) {
  std::atomic<int> ran{0};
  {
    InferencePool pool(2, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.try_submit([&] { ++ran; }));
  }
  EXPECT_EQ(ran, 50);
}

}  // namespace
}  // namespace coldbench::workload::serve
