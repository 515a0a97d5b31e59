// serve --size-range through size buckets, with fake modules (no LibTorch):
// the size check, the counters a request mix leaves, padding and cropping,
// the fallback past every listed bucket and --precompile.
#include "torch/serve/buckets.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <vector>

#include "torch/serve/options.hpp"

namespace coldbench::workload::serve {
namespace {

ShapeServing ranged(int64_t min, int64_t max, std::optional<BucketPlan> plan, size_t cache = 16) {
  ShapeServing shapes;
  shapes.range = SizeRange{min, max};
  shapes.buckets.plan = std::move(plan);
  shapes.buckets.cache = cache;
  return shapes;
}

TensorInput image(int64_t h, int64_t w, int64_t channels = 1) {
  TensorInput input;
  input.shape = {1, channels, h, w};
  for (int64_t i = 0; i < channels * h * w; ++i) input.values.push_back(static_cast<float>(i + 1));
  return input;
}

// The identity: its output is its input, so padding and cropping show.
RunFunction identity(std::vector<std::vector<int64_t>>* shapes_seen = nullptr) {
  return [shapes_seen](const TensorInput& input) -> Expected<OutputValues> {
    if (shapes_seen) shapes_seen->push_back(input.shape);
    return OutputValues{input.shape, input.values};
  };
}

struct Fixture {
  metrics::Registry registry;
  BucketMetrics metrics{registry};
  std::vector<Size> prepared;
  std::vector<std::vector<int64_t>> dynamic_shapes;
  std::vector<std::vector<int64_t>> bucket_shapes;

  BucketedModel model(ShapeServing shapes) {
    BucketSeries series =
        metrics.series("m", shapes.buckets.plan ? shapes.buckets.plan->buckets_for(shapes.range)
                                                : std::vector<Size>{});
    return BucketedModel(
        std::move(shapes), identity(&dynamic_shapes),
        [this](Size bucket) -> Expected<std::shared_ptr<const RunFunction>> {
          prepared.push_back(bucket);
          return std::make_shared<const RunFunction>(identity(&bucket_shapes));
        },
        series);
  }
  double value(const std::string& line_prefix) const {
    const std::string text = registry.encode();
    size_t at = text.find("\n" + line_prefix + " ");
    if (at == std::string::npos) return -1;
    return std::stod(text.substr(at + line_prefix.size() + 2));
  }
};

TEST(ServeBuckets, SizeCheckAcceptsTheRangeAndNamesWhatIsWrong) {
  const SizeRange range{16, 48};
  EXPECT_FALSE(check_input_size({1, 3, 16, 48}, {3, 32, 32}, range));
  EXPECT_FALSE(check_input_size({4, 3, 33, 17}, {3, 32, 32}, range));
  auto big = check_input_size({1, 3, 49, 20}, {3, 32, 32}, range);
  ASSERT_TRUE(big);
  EXPECT_EQ(big->status, 400);
  EXPECT_EQ(big->error_type, kErrSizeOutOfRange);
  EXPECT_NE(big->message.find("49x20"), std::string::npos) << big->message;
  EXPECT_NE(big->message.find("16-48"), std::string::npos) << big->message;
  auto small = check_input_size({1, 3, 20, 15}, {3, 32, 32}, range);
  ASSERT_TRUE(small);
  EXPECT_EQ(small->error_type, kErrSizeOutOfRange);
  auto channels = check_input_size({1, 4, 20, 20}, {3, 32, 32}, range);
  ASSERT_TRUE(channels);
  EXPECT_EQ(channels->error_type, kErrShapeMismatch);
  EXPECT_NE(channels->message.find("[N, 3, H, W]"), std::string::npos) << channels->message;
  auto rank = check_input_size({3, 20, 20}, {3, 32, 32}, range);
  ASSERT_TRUE(rank);
  EXPECT_EQ(rank->error_type, kErrShapeMismatch);
}

TEST(ServeBuckets, SeriesExistAtZeroBeforeTheFirstRequest) {
  Fixture f;
  auto model = f.model(ranged(16, 32, BucketPlan::width(16)));
  EXPECT_EQ(f.value("model_bucket_hits_total{model=\"m\"}"), 0);
  EXPECT_EQ(f.value("model_bucket_misses_total{model=\"m\"}"), 0);
  EXPECT_EQ(f.value("model_bucket_evictions_total{model=\"m\"}"), 0);
  EXPECT_EQ(f.value("model_bucket_fallbacks_total{model=\"m\"}"), 0);
  EXPECT_EQ(f.value("model_buckets_resident{model=\"m\"}"), 0);
  // Every bucket of the range (16x16, 16x32, 32x16, 32x32) has its preparation series.
  EXPECT_EQ(f.value("model_bucket_prepare_seconds_count{model=\"m\",bucket=\"32x16\"}"), 0);
  EXPECT_TRUE(f.prepared.empty());
}

TEST(ServeBuckets, CountersMatchARequestMix) {
  Fixture f;
  auto model = f.model(ranged(1, 64, BucketPlan::width(16), 2));
  // Buckets: 10x10 -> 16x16 (miss), 16x16 (hit), 17x3 -> 32x16 (miss),
  // 12x12 -> 16x16 (hit), 40x40 -> 48x48 (miss, evicts 32x16),
  // 20x5 -> 32x16 (miss, evicts 16x16), 48x48 (hit).
  for (auto [h, w] : std::vector<std::pair<int64_t, int64_t>>{
           {10, 10}, {16, 16}, {17, 3}, {12, 12}, {40, 40}, {20, 5}, {48, 48}}) {
    auto out = model.run(image(h, w));
    ASSERT_TRUE(out) << out.error().message;
  }
  EXPECT_EQ(f.value("model_bucket_hits_total{model=\"m\"}"), 3);
  EXPECT_EQ(f.value("model_bucket_misses_total{model=\"m\"}"), 4);
  EXPECT_EQ(f.value("model_bucket_evictions_total{model=\"m\"}"), 2);
  EXPECT_EQ(f.value("model_bucket_fallbacks_total{model=\"m\"}"), 0);
  EXPECT_EQ(f.value("model_buckets_resident{model=\"m\"}"), 2);
  EXPECT_EQ(f.value("model_bucket_prepare_seconds_count{model=\"m\",bucket=\"32x16\"}"), 2);
  EXPECT_EQ(f.prepared, (std::vector<Size>{{16, 16}, {32, 16}, {48, 48}, {32, 16}}));
  EXPECT_TRUE(f.dynamic_shapes.empty());
}

TEST(ServeBuckets, RequestsArePaddedToTheirBucketAndTheOutputCroppedBack) {
  Fixture f;
  auto model = f.model(ranged(1, 64, BucketPlan::width(8)));
  const TensorInput input = image(5, 3, 2);
  auto out = model.run(input);
  ASSERT_TRUE(out) << out.error().message;
  ASSERT_EQ(f.bucket_shapes.size(), 1u);
  EXPECT_EQ(f.bucket_shapes[0],
            (std::vector<int64_t>{1, 2, 8, 8}));  // the module ran at the bucket
  EXPECT_EQ(out->shape, input.shape);             // an identity's output cropped back
  EXPECT_EQ(out->values, input.values);
  // A size that is its own bucket runs as it came.
  auto exact = model.run(image(8, 16));
  ASSERT_TRUE(exact);
  EXPECT_EQ(f.bucket_shapes.back(), (std::vector<int64_t>{1, 1, 8, 16}));
}

TEST(ServeBuckets, PastEveryListedBucketIsTheDynamicPath) {
  Fixture f;
  auto model = f.model(ranged(8, 64, BucketPlan::list({{16, 16}, {32, 32}})));
  ASSERT_TRUE(model.run(image(20, 30)));  // -> 32x32
  auto past = model.run(image(40, 12));   // taller than every bucket
  ASSERT_TRUE(past);
  EXPECT_EQ(past->shape, (std::vector<int64_t>{1, 1, 40, 12}));
  ASSERT_EQ(f.dynamic_shapes.size(), 1u);
  EXPECT_EQ(f.dynamic_shapes[0], (std::vector<int64_t>{1, 1, 40, 12}));
  EXPECT_EQ(f.value("model_bucket_fallbacks_total{model=\"m\"}"), 1);
  EXPECT_EQ(f.value("model_bucket_misses_total{model=\"m\"}"), 1);
  EXPECT_EQ(f.value("model_bucket_hits_total{model=\"m\"}"), 0);
}

TEST(ServeBuckets, WithoutBucketsEverySizeRunsUnpaddedAndNothingIsCounted) {
  Fixture f;
  auto model = f.model(ranged(8, 64, std::nullopt));
  ASSERT_TRUE(model.run(image(9, 33)));
  EXPECT_EQ(f.dynamic_shapes.size(), 1u);
  EXPECT_TRUE(f.prepared.empty());
  EXPECT_EQ(f.value("model_bucket_fallbacks_total{model=\"m\"}"), 0);
}

TEST(ServeBuckets, PrecompiledBucketsArePreparationsNotMisses) {
  Fixture f;
  ShapeServing shapes = ranged(20, 40, BucketPlan::width(16), 9);
  shapes.buckets.precompile = true;
  auto model = f.model(shapes);
  ASSERT_TRUE(model.precompile());
  // 20-40 rounds to 32 or 48 per side: four buckets.
  EXPECT_EQ(f.prepared.size(), 4u);
  EXPECT_EQ(f.value("model_buckets_resident{model=\"m\"}"), 4);
  EXPECT_EQ(f.value("model_bucket_prepare_seconds_count{model=\"m\",bucket=\"48x32\"}"), 1);
  ASSERT_TRUE(model.run(image(40, 21)));
  EXPECT_EQ(f.value("model_bucket_hits_total{model=\"m\"}"), 1);
  EXPECT_EQ(f.value("model_bucket_misses_total{model=\"m\"}"), 0);
  EXPECT_EQ(f.prepared.size(), 4u);
}

TEST(ServeBuckets, PrecompileLargerThanTheCacheIsRefused) {
  Fixture f;
  ShapeServing shapes = ranged(20, 40, BucketPlan::width(16), 3);
  shapes.buckets.precompile = true;
  auto model = f.model(shapes);
  auto refused = model.precompile();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("--bucket-cache 4"), std::string::npos)
      << refused.error().message;
}

TEST(ServeBuckets, AFailingPreparationIsAnErrorNotACount) {
  metrics::Registry registry;
  BucketMetrics metrics(registry);
  BucketedModel model(
      ranged(1, 64, BucketPlan::width(16)), identity(),
      [](Size) -> Expected<std::shared_ptr<const RunFunction>> {
        return make_error("out of memory");
      },
      metrics.series("m", {}));
  auto out = model.run(image(4, 4));
  ASSERT_FALSE(out);
  EXPECT_NE(out.error().message.find("out of memory"), std::string::npos);
  EXPECT_NE(registry.encode().find("model_bucket_misses_total{model=\"m\"} 0"), std::string::npos);
}

RawServeArgs serve_args() {
  RawServeArgs raw;
  raw.models = {"tiny_cnn"};
  return raw;
}

TEST(ServeBuckets, OptionsNeedARangeAndAValidCache) {
  RawServeArgs none = serve_args();
  auto plain = validate(none);
  ASSERT_TRUE(plain) << plain.error().message;
  EXPECT_FALSE(plain->shapes);

  RawServeArgs no_range = serve_args();
  no_range.size_buckets.bucket_width = 32;
  auto needs = validate(no_range);
  ASSERT_FALSE(needs);
  EXPECT_NE(needs.error().message.find("--size-range"), std::string::npos);

  RawServeArgs malformed = serve_args();
  malformed.size_range = "160-";
  auto bad = validate(malformed);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--size-range"), std::string::npos);

  RawServeArgs backwards = serve_args();
  backwards.size_range = "320-160";
  EXPECT_FALSE(validate(backwards));

  RawServeArgs zero_cache = serve_args();
  zero_cache.size_range = "160-320";
  zero_cache.size_buckets.bucket_width = 32;
  zero_cache.size_buckets.bucket_cache = 0;
  auto zero = validate(zero_cache);
  ASSERT_FALSE(zero);
  EXPECT_NE(zero.error().message.find("--bucket-cache"), std::string::npos);

  RawServeArgs too_many = serve_args();
  too_many.size_range = "160-320";
  too_many.size_buckets.bucket_width = 32;
  too_many.size_buckets.bucket_cache = 4;
  too_many.size_buckets.precompile_given = true;
  auto refused = validate(too_many);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("--bucket-cache 36"), std::string::npos)
      << refused.error().message;

  RawServeArgs good = serve_args();
  good.size_range = "160-320";
  good.size_buckets.buckets = "192,256x224,320";
  good.size_buckets.precompile_given = true;
  good.size_buckets.precompile = "192x192";
  auto options = validate(good);
  ASSERT_TRUE(options) << options.error().message;
  ASSERT_TRUE(options->shapes);
  EXPECT_EQ(options->shapes->range.min, 160);
  EXPECT_EQ(options->shapes->range.max, 320);
  EXPECT_EQ(precompile_buckets(*options->shapes), (std::vector<Size>{{192, 192}}));
}

}  // namespace
}  // namespace coldbench::workload::serve
