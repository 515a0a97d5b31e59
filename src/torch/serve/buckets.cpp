#include "torch/serve/buckets.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

namespace coldbench::workload::serve {
namespace {

// Per-bucket preparation series created up front only for plans this small;
// a finer plan's series appear as its buckets are prepared.
constexpr size_t kMaxSeriesUpFront = 256;

}  // namespace

std::vector<Size> precompile_buckets(const ShapeServing& shapes) {
  if (!shapes.buckets.plan) return {};
  if (shapes.buckets.precompile_list) return *shapes.buckets.precompile_list;
  return shapes.buckets.plan->buckets_for(shapes.range);
}

std::optional<ApiError> check_input_size(const std::vector<int64_t>& shape,
                                         const std::vector<int64_t>& sample_shape,
                                         SizeRange range) {
  const bool fits = shape.size() == sample_shape.size() + 1 && sample_shape.size() >= 2 &&
                    std::equal(sample_shape.begin(), sample_shape.end() - 2, shape.begin() + 1);
  if (!fits) {
    std::vector<std::string> expected{"N"};
    for (size_t i = 0; i + 2 < sample_shape.size(); ++i)
      expected.push_back(std::to_string(sample_shape[i]));
    expected.insert(expected.end(), {"H", "W"});
    return ApiError{
        400, kErrShapeMismatch,
        fmt::format(
            "input shape {} does not fit the model, which takes [{}] with H and W from {} to {} "
            "(e.g. [1, {}, {}, {}])",
            format_shape(shape), fmt::join(expected, ", "), range.min, range.max,
            sample_shape.size() >= 3 ? sample_shape[0] : 1, range.min, range.max)};
  }
  const int64_t h = shape[shape.size() - 2], w = shape.back();
  if (h < range.min || h > range.max || w < range.min || w > range.max) {
    return ApiError{
        400, kErrSizeOutOfRange,
        fmt::format(
            "input size {}x{} is outside the served range {}-{} (--size-range): send H and W "
            "from {} to {} pixels, or resize the input",
            h, w, range.min, range.max, range.min, range.max)};
  }
  return std::nullopt;
}

std::vector<double> bucket_prepare_bounds() {
  return {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30};
}

BucketMetrics::BucketMetrics(metrics::Registry& registry)
    : hits_(registry.counter(
          "model_bucket_hits_total",
          "Predict requests whose size bucket was already prepared (serve --size-range).",
          {"model"})),
      misses_(registry.counter(
          "model_bucket_misses_total",
          "Predict requests that prepared their size bucket on their own path.", {"model"})),
      evictions_(registry.counter(
          "model_bucket_evictions_total",
          "Prepared size buckets dropped to make room (--bucket-cache), least recently "
          "used first.",
          {"model"})),
      fallbacks_(registry.counter(
          "model_bucket_fallbacks_total",
          "Predict requests past every size bucket, run unpadded on the dynamic path.", {"model"})),
      resident_(registry.gauge("model_buckets_resident", "Size buckets prepared and kept now.",
                               {"model"})),
      prepare_(registry.histogram(
          "model_bucket_prepare_seconds",
          "Time to prepare a size bucket's module (its first runs included), by bucket "
          "HxW; --precompile's preparations included.",
          {"model", "bucket"}, bucket_prepare_bounds())) {}

BucketSeries BucketMetrics::series(const std::string& model, const std::vector<Size>& buckets) {
  BucketSeries series;
  series.model = model;
  series.hits = &hits_.with({model});
  series.misses = &misses_.with({model});
  series.evictions = &evictions_.with({model});
  series.fallbacks = &fallbacks_.with({model});
  series.resident = &resident_.with({model});
  series.prepare = &prepare_;
  if (buckets.size() <= kMaxSeriesUpFront) {
    for (const Size& bucket : buckets) prepare_.with({model, format_size(bucket)});
  }
  return series;
}

BucketedModel::BucketedModel(ShapeServing shapes, RunFunction dynamic, Prepare prepare,
                             BucketSeries series)
    : shapes_(std::move(shapes)), dynamic_(std::move(dynamic)), series_(std::move(series)) {
  if (!shapes_.buckets.plan) return;
  BucketCache<const RunFunction>::Observer observer;
  metrics::Counter* evictions = series_.evictions;
  metrics::Gauge* resident = series_.resident;
  observer.evicted = [evictions](Size) {
    if (evictions) evictions->add();
  };
  observer.resident = [resident](size_t count) {
    if (resident) resident->set(static_cast<int64_t>(count));
  };
  cache_ = std::make_unique<BucketCache<const RunFunction>>(
      shapes_.buckets.cache, std::move(prepare), std::move(observer));
}

Expected<void> BucketedModel::precompile() {
  if (!cache_ || !shapes_.buckets.precompile) return {};
  const std::vector<Size> buckets = precompile_buckets(shapes_);
  if (buckets.size() > cache_->capacity()) {
    return make_error(
        "--precompile would prepare {} buckets but --bucket-cache holds {}. fix: --bucket-cache {} "
        "(each costs a "
        "module's memory), or --precompile with a shorter list",
        buckets.size(), cache_->capacity(), buckets.size());
  }
  for (const Size& bucket : buckets) {
    auto lookup = cache_->get(bucket);
    if (!lookup)
      return lookup.error().with_context(
          fmt::format("precompiling bucket {}", format_size(bucket)));
    if (!lookup->hit && series_.prepare) {
      series_.prepare->with({series_.model, format_size(bucket)})
          .observe(lookup->prepare_ms / 1000.0);
    }
  }
  return {};
}

Expected<OutputValues> BucketedModel::run(const TensorInput& input) {
  if (!cache_ || input.shape.size() < 2) return dynamic_(input);
  const Size size{input.shape[input.shape.size() - 2], input.shape.back()};
  const std::optional<Size> bucket = shapes_.buckets.plan->bucket_for(size);
  if (!bucket) {
    if (series_.fallbacks) series_.fallbacks->add();
    return dynamic_(input);
  }
  auto lookup = cache_->get(*bucket);
  if (!lookup)
    return lookup.error().with_context(fmt::format("preparing bucket {}", format_size(*bucket)));
  if (lookup->hit) {
    if (series_.hits) series_.hits->add();
  } else {
    if (series_.misses) series_.misses->add();
    if (series_.prepare) {
      series_.prepare->with({series_.model, format_size(*bucket)})
          .observe(lookup->prepare_ms / 1000.0);
    }
  }
  const RunFunction& module = *lookup->module;
  if (*bucket == size) return module(input);
  TensorInput padded;
  padded.shape = input.shape;
  padded.shape[padded.shape.size() - 2] = bucket->h;
  padded.shape.back() = bucket->w;
  auto values = pad_values(input.shape, input.values, *bucket);
  if (!values) {
    return make_error("input of shape {} cannot be padded to bucket {}", format_shape(input.shape),
                      format_size(*bucket));
  }
  padded.values = std::move(*values);
  auto output = module(padded);
  if (!output) return output.error();
  return crop_output(*output, size, *bucket);
}

}  // namespace coldbench::workload::serve
