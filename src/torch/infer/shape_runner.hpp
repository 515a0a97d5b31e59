#pragma once
// `coldbench-torch infer --shapes LIST | --size-range MIN-MAX`: a stream of
// requests of varying size against one prepared model, with or without
// buckets (shapes.hpp), and what padding costs in accuracy. Free of LibTorch
// headers (it drives common/model.hpp).
//
// Per request the timed part is what a server would do on its path: with
// buckets, preparing the bucket on a miss (LibTorch's first run at a new
// shape included), the zero padding and the forward pass; without, the
// forward pass at the request's own size. The random input of each request
// is made before its clock starts.
//
// Phases: runtime_ready, model_loaded, model_optimized (the dynamic path's
// module), first_inference and warmup_done (at the sample shape, precompiled
// buckets before warmup_done), inference_done (the stream). Metrics:
// latency (every request), latency.first_seen / latency.repeat, bucket.*
// counters and prepare times; docs/torch-infer.md lists them.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model_catalog.hpp"
#include "torch/common/phase_log.hpp"
#include "torch/common/shapes.hpp"
#include "torch/infer/latency_summary.hpp"
#include "torch/infer/options.hpp"

namespace coldbench::workload {

struct ShapeRequest {
  Size size;
  std::optional<Size> bucket;  // nullopt: unbucketed, or the dynamic path past every bucket
  double latency_ms = 0;
  bool first_seen = false;     // the shape it ran at had not run before in this process
  bool fallback = false;       // past every bucket
};

struct BucketPreparation {
  Size bucket;
  double prepare_ms = 0;      // prepare the module + two forward passes at the bucket's shape
  int64_t rss_bytes = 0;      // resident memory it added
  bool precompiled = false;   // before ready, not on a request's path
};

struct PaddingAccuracy {
  int samples = 0;           // sizes checked: the first distinct bucketed sizes of the stream
  int top1_agree = 0;        // padded top-1 == unpadded top-1
  double min_cosine = 1;
  double mean_cosine = 1;
  // The sidecar's reference input (the sample shape, seeded) through its bucket.
  std::optional<Size> reference_bucket;
  std::optional<bool> reference_top1_agree;
  std::optional<double> reference_cosine;
};

struct ShapeReport {
  ResolvedModel model;
  InferOptions options;
  std::vector<int64_t> sample_shape;  // C, H, W
  uint64_t seed = 0;
  PhaseLog phases;
  std::optional<int64_t> process_start_ns;
  double optimize_ms = 0;
  double first_inference_ms = 0;
  std::vector<ShapeRequest> requests;
  BucketCounters counters;
  std::vector<BucketPreparation> preparations;
  size_t distinct_sizes = 0;
  size_t distinct_shapes_run = 0;  // shapes the model ran at (buckets, or sizes)
  LatencySummary all, first_seen, repeat;
  std::optional<PaddingAccuracy> accuracy;
  int64_t peak_rss_bytes = 0;
};

Expected<ShapeReport> run_shapes(const InferOptions& options, const ResolvedModel& model,
                                 int64_t runtime_ready_ns);

void print_shape_summary(const ShapeReport& report, std::FILE* out);
Expected<void> write_shape_json(const ShapeReport& report, const std::string& path);

}  // namespace coldbench::workload
