#include "torch/common/shapes.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

#include "torch/infer/options.hpp"

namespace coldbench::workload {
namespace {

TEST(InferShapes, ParsesSquaresAndRectangles) {
  auto sizes = parse_sizes("160,224x192,32X48", "--shapes");
  ASSERT_TRUE(sizes.ok()) << sizes.error().message;
  ASSERT_EQ(sizes->size(), 3u);
  EXPECT_EQ((*sizes)[0], (Size{160, 160}));
  EXPECT_EQ((*sizes)[1], (Size{224, 192}));
  EXPECT_EQ((*sizes)[2], (Size{32, 48}));
}

TEST(InferShapes, BadSizesNameTheOptionAndTheFix) {
  for (const char* bad : {"", "0", "-5", "160,,224", "abc", "160x", "99999", "160x0"}) {
    auto sizes = parse_sizes(bad, "--shapes");
    ASSERT_FALSE(sizes.ok()) << bad;
    EXPECT_NE(sizes.error().message.find("--shapes"), std::string::npos) << sizes.error().message;
    EXPECT_NE(sizes.error().message.find("fix:"), std::string::npos) << sizes.error().message;
  }
}

TEST(InferShapes, SizeRangeMustBeMinDashMaxWithinLimits) {
  auto range = parse_size_range("160-320");
  ASSERT_TRUE(range.ok());
  EXPECT_EQ(range->min, 160);
  EXPECT_EQ(range->max, 320);
  for (const char* bad : {"160", "-320", "320-160", "0-10", "a-b", "10-", "160-320-400"}) {
    auto parsed = parse_size_range(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_NE(parsed.error().message.find("fix:"), std::string::npos) << parsed.error().message;
  }
}

TEST(InferShapes, UniformStreamIsSeededAndCoversTheRangeEvenly) {
  SizeStream a = SizeStream::uniform({160, 163}, 7), b = SizeStream::uniform({160, 163}, 7);
  SizeStream c = SizeStream::uniform({160, 163}, 8);
  std::map<int64_t, int> counts;
  bool differs = false;
  for (int i = 0; i < 4000; ++i) {
    const Size x = a.next(), y = b.next(), z = c.next();
    EXPECT_EQ(x, y);
    differs |= !(x == z);
    ASSERT_GE(x.h, 160);
    ASSERT_LE(x.h, 163);
    ASSERT_GE(x.w, 160);
    ASSERT_LE(x.w, 163);
    ++counts[x.h];
    ++counts[x.w];
  }
  EXPECT_TRUE(differs) << "another seed gave the same stream";
  ASSERT_EQ(counts.size(), 4u);
  for (const auto& [side, n] : counts) {
    EXPECT_NEAR(n, 2000, 200) << "side " << side;  // 8000 draws over 4 values: sd ~39
  }
}

TEST(InferShapes, ListStreamCyclesInOrder) {
  SizeStream s = SizeStream::cycle({{1, 2}, {3, 4}});
  EXPECT_EQ(s.next(), (Size{1, 2}));
  EXPECT_EQ(s.next(), (Size{3, 4}));
  EXPECT_EQ(s.next(), (Size{1, 2}));
}

TEST(InferShapes, WidthBucketsRoundEachSideUp) {
  const BucketPlan plan = BucketPlan::width(32);
  EXPECT_EQ(plan.bucket_for({160, 161}), (Size{160, 192}));
  EXPECT_EQ(plan.bucket_for({1, 320}), (Size{32, 320}));
  const auto all = plan.buckets_for({160, 320});
  EXPECT_EQ(all.size(), 36u);  // 160, 192, ..., 320 on each side
  std::set<Size> unique(all.begin(), all.end());
  EXPECT_EQ(unique.size(), all.size());
}

TEST(InferShapes, ListedBucketsTakeTheSmallestThatHoldsAndFallBackPastAll) {
  const BucketPlan plan = BucketPlan::list({{320, 320}, {224, 224}, {224, 320}});
  EXPECT_EQ(plan.bucket_for({200, 200}), (Size{224, 224}));
  EXPECT_EQ(plan.bucket_for({200, 300}), (Size{224, 320}));
  EXPECT_EQ(plan.bucket_for({300, 200}), (Size{320, 320}));
  EXPECT_EQ(plan.bucket_for({321, 10}), std::nullopt);
  const auto used = plan.buckets_for({160, 230});
  EXPECT_EQ(std::set<Size>(used.begin(), used.end()), (std::set<Size>{{224, 224}, {320, 320}, {224, 320}}));
}

TEST(InferShapes, LruEvictsTheLeastRecentlyUsed) {
  BucketLru lru(2);
  EXPECT_FALSE(lru.use({1, 1}).hit);
  EXPECT_FALSE(lru.use({2, 2}).hit);
  EXPECT_TRUE(lru.use({1, 1}).hit);  // 2x2 is now the oldest
  const BucketLru::Use third = lru.use({3, 3});
  EXPECT_FALSE(third.hit);
  ASSERT_TRUE(third.evicted.has_value());
  EXPECT_EQ(*third.evicted, (Size{2, 2}));
  EXPECT_TRUE(lru.contains({1, 1}));
  EXPECT_FALSE(lru.contains({2, 2}));
  EXPECT_EQ(lru.size(), 2u);
}

TEST(InferShapes, CropKeepsTheRowsAndColumnsOfTheRealInput) {
  // A 1x1x4x4 output of an 8x8 bucket; the input was 4x6: keep 2x3.
  OutputValues out;
  out.shape = {1, 1, 4, 4};
  for (int i = 0; i < 16; ++i) out.values.push_back(static_cast<float>(i));
  const OutputValues cropped = crop_output(out, {4, 6}, {8, 8});
  EXPECT_EQ(cropped.shape, (std::vector<int64_t>{1, 1, 2, 3}));
  EXPECT_EQ(cropped.values, (std::vector<float>{0, 1, 2, 4, 5, 6}));
}

TEST(InferShapes, CropLeavesOutputsWithoutSpatialDimensionsAlone) {
  OutputValues logits;
  logits.shape = {1, 5};
  logits.values = {0.1f, 0.9f, 0.3f, 0.2f, 0.0f};
  EXPECT_EQ(crop_output(logits, {100, 100}, {128, 128}).values, logits.values);
  EXPECT_EQ(top1(logits), 1);
}

RawInferArgs sized(const char* range) {
  RawInferArgs raw;
  raw.size_range = range;
  return raw;
}

TEST(InferShapes, BucketOptionsAreCheckedWithFixes) {
  RawInferArgs raw = sized("160-320");
  raw.bucket_width = 32;
  raw.bucket_cache = 0;
  auto zero = validate(raw);
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("--bucket-cache"), std::string::npos);

  RawInferArgs both = sized("160-320");
  both.bucket_width = 32;
  both.buckets = "224";
  EXPECT_FALSE(validate(both).ok());

  RawInferArgs no_sizes;
  no_sizes.bucket_width = 32;
  auto needs = validate(no_sizes);
  ASSERT_FALSE(needs.ok());
  EXPECT_NE(needs.error().message.find("--size-range"), std::string::npos);

  RawInferArgs not_a_bucket = sized("160-320");
  not_a_bucket.bucket_width = 32;
  not_a_bucket.precompile_given = true;
  not_a_bucket.precompile = "200";
  auto precompile = validate(not_a_bucket);
  ASSERT_FALSE(precompile.ok());
  EXPECT_NE(precompile.error().message.find("224x224"), std::string::npos) << precompile.error().message;

  RawInferArgs two_modes = sized("160-320");
  two_modes.mode = "script,optimized";
  EXPECT_FALSE(validate(two_modes).ok());

  RawInferArgs good = sized("160-320");
  good.bucket_width = 32;
  good.bucket_cache = 36;
  good.precompile_given = true;
  auto options = validate(good);
  ASSERT_TRUE(options.ok()) << options.error().message;
  EXPECT_TRUE(options->precompile);
  EXPECT_FALSE(options->precompile_list.has_value());
  EXPECT_EQ(options->bucket_cache, 36u);
}

TEST(InferShapes, PadValuesZeroFillsBottomAndRightOfEveryPlane) {
  // [1, 2, 2, 3] -> bucket 3x4
  const std::vector<float> values{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  auto padded = pad_values({1, 2, 2, 3}, values, Size{3, 4});
  ASSERT_TRUE(padded);
  const std::vector<float> expected{1, 2, 3, 0, 4,  5,  6,  0, 0, 0, 0, 0,  // plane 0
                                    7, 8, 9, 0, 10, 11, 12, 0, 0, 0, 0, 0};
  EXPECT_EQ(*padded, expected);
  EXPECT_EQ(*pad_values({1, 2, 2, 3}, values, Size{2, 3}), values);  // the bucket is the size
  EXPECT_FALSE(pad_values({1, 2, 2, 3}, values, Size{1, 4}));        // bucket smaller
  EXPECT_FALSE(pad_values({1, 2, 2, 2}, values, Size{3, 4}));        // values do not fit the shape
  EXPECT_FALSE(pad_values({12}, values, Size{3, 4}));                // no spatial dimensions
}

TEST(InferShapes, PaddedThenCroppedOutputOfAnIdentityIsTheInput) {
  const std::vector<float> values{1, 2, 3, 4, 5, 6};
  auto padded = pad_values({1, 1, 2, 3}, values, Size{4, 4});
  ASSERT_TRUE(padded);
  const OutputValues cropped =
      crop_output(OutputValues{{1, 1, 4, 4}, *padded}, Size{2, 3}, Size{4, 4});
  EXPECT_EQ(cropped.shape, (std::vector<int64_t>{1, 1, 2, 3}));
  EXPECT_EQ(cropped.values, values);
}

TEST(InferShapes, LruMakeRoomDropsTheLeastRecentOnlyWhenFull) {
  BucketLru lru(2);
  EXPECT_FALSE(lru.make_room());
  lru.use(Size{32, 32});
  lru.use(Size{64, 64});
  lru.use(Size{32, 32});  // 64x64 is now the least recent
  auto dropped = lru.make_room();
  ASSERT_TRUE(dropped);
  EXPECT_EQ(*dropped, (Size{64, 64}));
  EXPECT_EQ(lru.size(), 1u);
  EXPECT_FALSE(lru.make_room());
}

struct FakeModule {
  Size bucket;
};

TEST(BucketCache, PreparesOnMissKeepsOnHitEvictsLeastRecent) {
  std::vector<Size> prepared, evicted;
  std::vector<size_t> resident;
  BucketCache<FakeModule>::Observer observer{[&](Size b) { evicted.push_back(b); },
                                             [&](size_t n) { resident.push_back(n); }};
  BucketCache<FakeModule> cache(
      2,
      [&](Size b) -> Expected<std::shared_ptr<FakeModule>> {
        prepared.push_back(b);
        return std::make_shared<FakeModule>(FakeModule{b});
      },
      observer);
  const Size a{32, 32}, b{32, 64}, c{64, 64};
  auto first = cache.get(a);
  ASSERT_TRUE(first);
  EXPECT_FALSE(first->hit);
  EXPECT_EQ(first->module->bucket, a);
  EXPECT_GE(first->prepare_ms, 0.0);
  EXPECT_TRUE(cache.get(a)->hit);
  EXPECT_FALSE(cache.get(b)->hit);
  EXPECT_TRUE(cache.get(a)->hit);  // b is now the least recent
  auto third = cache.get(c);
  ASSERT_TRUE(third);
  EXPECT_FALSE(third->hit);
  ASSERT_TRUE(third->evicted);
  EXPECT_EQ(*third->evicted, b);
  EXPECT_FALSE(cache.contains(b));
  EXPECT_EQ(cache.size(), 2u);
  EXPECT_EQ(prepared, (std::vector<Size>{a, b, c}));
  EXPECT_EQ(evicted, (std::vector<Size>{b}));
  EXPECT_EQ(resident, (std::vector<size_t>{1, 2, 1, 2}));
}

TEST(BucketCache, AFailedPreparationKeepsNothingAndIsRetried) {
  int attempts = 0;
  BucketCache<FakeModule> cache(1, [&](Size b) -> Expected<std::shared_ptr<FakeModule>> {
    if (++attempts == 1) return make_error("no memory");
    return std::make_shared<FakeModule>(FakeModule{b});
  });
  EXPECT_FALSE(cache.get(Size{8, 8}));
  EXPECT_EQ(cache.size(), 0u);
  auto again = cache.get(Size{8, 8});
  ASSERT_TRUE(again);
  EXPECT_FALSE(again->hit);
  EXPECT_EQ(attempts, 2);
}

TEST(BucketCache, ConcurrentMissesOfOneBucketPrepareItOnce) {
  std::atomic<int> preparations{0};
  BucketCache<FakeModule> cache(4, [&](Size b) -> Expected<std::shared_ptr<FakeModule>> {
    ++preparations;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    return std::make_shared<FakeModule>(FakeModule{b});
  });
  std::atomic<int> hits{0}, misses{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) {
        auto lookup = cache.get(Size{16, 16});
        ASSERT_TRUE(lookup);
        ++(lookup->hit ? hits : misses);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(preparations.load(), 1);
  EXPECT_EQ(misses.load(), 1);
  EXPECT_EQ(hits.load(), 99);
}

TEST(BucketCache, AnEvictedModuleStaysAliveForItsHolder) {
  BucketCache<FakeModule> cache(1, [](Size b) -> Expected<std::shared_ptr<FakeModule>> {
    return std::make_shared<FakeModule>(FakeModule{b});
  });
  std::shared_ptr<FakeModule> held = cache.get(Size{8, 8})->module;
  ASSERT_TRUE(cache.get(Size{16, 16})->evicted);
  EXPECT_EQ(held->bucket, (Size{8, 8}));
  EXPECT_EQ(held.use_count(), 1);
}

TEST(BucketOptions, SharedValidationNamesTheListFlagItWasGiven) {
  RawBucketArgs zero;
  zero.bucket_width = 16;
  zero.bucket_cache = 0;
  auto cache = validate_bucket_options(zero, "--size-buckets");
  ASSERT_FALSE(cache);
  EXPECT_NE(cache.error().message.find("--bucket-cache must hold 1 to 4096"), std::string::npos);
  RawBucketArgs both;
  both.bucket_width = 16;
  both.buckets = "32";
  auto twice = validate_bucket_options(both, "--size-buckets");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("--size-buckets"), std::string::npos);
  RawBucketArgs none;
  auto plain = validate_bucket_options(none, "--size-buckets");
  ASSERT_TRUE(plain);
  EXPECT_FALSE(plain->plan);
}

}  // namespace
}  // namespace coldbench::workload
