#pragma once
// `serve --size-range MIN-MAX` with size buckets: a model that accepts any
// H x W within its range on its predict endpoint. Each request is padded up
// to its bucket (common/shapes.hpp), runs on that bucket's prepared module
// (one per bucket, --bucket-cache of them, least recently used out) and its
// output is cropped back where it has spatial dimensions. Past the largest
// listed bucket a request runs unpadded on the dynamic path (the module
// prepared at start) and counts as a fallback. Without LibTorch or HTTP:
// the loader hands in the functions that run and prepare modules, so the
// unit tests drive it with fakes.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model.hpp"  // OutputValues
#include "torch/common/shapes.hpp"
#include "torch/serve/metrics.hpp"
#include "torch/serve/request.hpp"

namespace coldbench::workload::serve {

// What --size-range and the bucket options asked for (one setting for every
// served model).
struct ShapeServing {
  SizeRange range;
  BucketOptions buckets;  // plan nullopt: every size runs on the dynamic path
};

// The buckets --precompile prepares: its list, or every bucket a size of the range can use.
std::vector<Size> precompile_buckets(const ShapeServing& shapes);

// A request to a ranged model: [N, C, H, W] for a model whose sample is
// [C, H0, W0]: every dimension but the last two as the sample's, H and W
// within the range (400 shape_mismatch or size_out_of_range otherwise).
std::optional<ApiError> check_input_size(const std::vector<int64_t>& shape,
                                         const std::vector<int64_t>& sample_shape, SizeRange range);

// The bucket series of one served model (label model; the preparation
// histogram also bucket="HxW").
struct BucketSeries {
  std::string model;
  metrics::Counter* hits = nullptr;
  metrics::Counter* misses = nullptr;
  metrics::Counter* evictions = nullptr;
  metrics::Counter* fallbacks = nullptr;
  metrics::Gauge* resident = nullptr;
  metrics::Family<metrics::Histogram>* prepare = nullptr;
};

// Preparation times: from a tiny model's milliseconds to a large one's seconds.
std::vector<double> bucket_prepare_bounds();

// The bucket families (docs/serve.md, "Size buckets"), registered before
// the server serves.
class BucketMetrics {
 public:
  explicit BucketMetrics(metrics::Registry& registry);
  // One model's series, at zero; the preparation histogram of each of
  // `buckets` too (the others appear when first prepared).
  BucketSeries series(const std::string& model, const std::vector<Size>& buckets);

 private:
  metrics::Family<metrics::Counter>& hits_;
  metrics::Family<metrics::Counter>& misses_;
  metrics::Family<metrics::Counter>& evictions_;
  metrics::Family<metrics::Counter>& fallbacks_;
  metrics::Family<metrics::Gauge>& resident_;
  metrics::Family<metrics::Histogram>& prepare_;
};

using RunFunction = std::function<Expected<OutputValues>(const TensorInput&)>;

class BucketedModel {
 public:
  // `prepare` makes a bucket's module, run at its shape so that requests do
  // not pay its first runs; `dynamic` runs any size unpadded.
  using Prepare = std::function<Expected<std::shared_ptr<const RunFunction>>(Size)>;
  BucketedModel(ShapeServing shapes, RunFunction dynamic, Prepare prepare, BucketSeries series);

  // --precompile's buckets, before ready: preparations, not misses.
  Expected<void> precompile();
  // One request whose size check_input_size accepted. Thread-safe.
  Expected<OutputValues> run(const TensorInput& input);

 private:
  ShapeServing shapes_;
  RunFunction dynamic_;
  BucketSeries series_;
  std::unique_ptr<BucketCache<const RunFunction>> cache_;  // null without buckets
};

}  // namespace coldbench::workload::serve
