#include "torch/infer/shape_runner.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <set>
#include <utility>

#include "coldbench/marker.hpp"
#include "torch/common/model.hpp"
#include "torch/common/runtime_info.hpp"
#include "torch/common/system_info.hpp"
#include "torch/infer/accuracy.hpp"

namespace coldbench::workload {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

std::vector<int64_t> batch_shape(int64_t batch, int64_t channels, Size size) {
  return {batch, channels, size.h, size.w};
}

// Forward passes at a bucket's shape that preparing it includes: LibTorch's
// profiling executor records shapes on the first run and compiles its
// optimized plan on the second (measured: without the second, the first
// request of each precompiled bucket took ~7x its steady latency).
constexpr int kPreparationRuns = 2;

// The prepared buckets (common/shapes.hpp's BucketCache, as serve's), with
// what infer reports of each preparation: its time and the memory it added.
class BucketModels {
 public:
  BucketModels(const TorchModel& loaded, Mode mode, PrepareOptions prepare, int64_t batch,
               int64_t channels, uint64_t seed, size_t capacity)
      : cache_(capacity,
               [&loaded, mode, prepare, batch, channels,
                seed](Size bucket) mutable -> Expected<std::shared_ptr<PreparedModel>> {
                 prepare.own_copy = true;
                 auto prepared = loaded.prepare(mode, prepare);
                 if (!prepared) return prepared.error();
                 auto probe = InputBatch::make(batch_shape(batch, channels, bucket), seed,
                                               prepare.channels_last);
                 if (!probe) return probe.error();
                 for (int run = 0; run < kPreparationRuns; ++run) {
                   if (auto ran = prepared->forward(*probe); !ran) return ran.error();
                 }
                 return std::make_shared<PreparedModel>(std::move(*prepared));
               }) {}

  // The module of `bucket`, prepared (and run at its shape) when absent.
  Expected<PreparedModel*> get(Size bucket, bool precompiling, ShapeReport& report) {
    const bool present = cache_.contains(bucket);
    const int64_t rss_before = present ? 0 : current_rss_bytes();
    auto lookup = cache_.get(bucket);
    if (!lookup) return lookup.error();
    if (lookup->evicted) ++report.counters.evictions;
    if (!lookup->hit) {
      report.preparations.push_back(BucketPreparation{
          bucket, lookup->prepare_ms, current_rss_bytes() - rss_before, precompiling});
    }
    return lookup->module.get();
  }
  bool contains(Size bucket) const { return cache_.contains(bucket); }
  size_t capacity() const { return cache_.capacity(); }

 private:
  BucketCache<PreparedModel> cache_;
};

std::vector<Size> precompile_list(const InferOptions& options) {
  if (options.precompile_list) return *options.precompile_list;
  if (options.size_range) return options.buckets->buckets_for(*options.size_range);
  std::vector<Size> buckets;
  for (const Size& size : *options.shapes) {
    auto bucket = options.buckets->bucket_for(size);
    if (bucket && std::find(buckets.begin(), buckets.end(), *bucket) == buckets.end()) buckets.push_back(*bucket);
  }
  return buckets;
}

// Padded-and-cropped output against the unpadded one, on the first distinct
// bucketed sizes of the stream and on the sidecar's reference input.
Expected<PaddingAccuracy> check_padding(const ShapeReport& report, PreparedModel& dynamic, BucketModels& buckets,
                                        ShapeReport& scratch) {
  PaddingAccuracy accuracy;
  const int64_t batch = report.options.batch_sizes.front();
  const int64_t channels = report.sample_shape[0];
  double cosine_sum = 0;
  auto compare = [&](Size size, Size bucket, uint64_t seed) -> Expected<std::pair<bool, double>> {
    auto input = InputBatch::make(batch_shape(batch, channels, size), seed, report.options.channels_last);
    if (!input) return input.error();
    if (auto ran = dynamic.forward(*input); !ran) return ran.error();
    auto plain = dynamic.last_output();
    if (!plain) return plain.error();
    auto padded = input->padded(batch_shape(batch, channels, bucket));
    if (!padded) return padded.error();
    auto module = buckets.get(bucket, false, scratch);
    if (!module) return module.error();
    if (auto ran = (*module)->forward(*padded); !ran) return ran.error();
    auto out = (*module)->last_output();
    if (!out) return out.error();
    const OutputValues cropped = crop_output(*out, size, bucket);
    const OutputComparison comparison = compare_outputs(plain->values, cropped.values);
    return std::make_pair(top1(*plain) == top1(cropped), comparison.comparable ? comparison.cosine : 0.0);
  };
  std::set<Size> checked;
  for (const ShapeRequest& request : report.requests) {
    if (static_cast<int>(checked.size()) >= report.options.accuracy_samples) break;
    if (!request.bucket || request.bucket == request.size || !checked.insert(request.size).second) continue;
    auto result = compare(request.size, *request.bucket, report.seed + checked.size());
    if (!result) return result.error();
    ++accuracy.samples;
    accuracy.top1_agree += result->first ? 1 : 0;
    accuracy.min_cosine = std::min(accuracy.min_cosine, result->second);
    cosine_sum += result->second;
  }
  accuracy.mean_cosine = accuracy.samples ? cosine_sum / accuracy.samples : 1.0;
  const Size reference{report.sample_shape[1], report.sample_shape[2]};
  if (auto bucket = report.options.buckets->bucket_for(reference)) {
    auto result = compare(reference, *bucket, report.seed);
    if (!result) return result.error();
    accuracy.reference_bucket = *bucket;
    accuracy.reference_top1_agree = result->first;
    accuracy.reference_cosine = result->second;
  }
  return accuracy;
}

void emit_markers(const ShapeReport& report) {
  std::vector<double> all, first, repeat;
  for (const ShapeRequest& request : report.requests) {
    all.push_back(request.latency_ms);
    (request.first_seen ? first : repeat).push_back(request.latency_ms);
  }
  marker::metric(marker::kMetricLatency, "ms", all);
  if (!first.empty()) marker::metric("latency.first_seen", "ms", first);
  if (!repeat.empty()) marker::metric("latency.repeat", "ms", repeat);
  marker::metric("optimize_time", "ms", report.optimize_ms);
  marker::metric("first_inference", "ms", report.first_inference_ms);
  marker::metric("sizes.distinct", "", static_cast<double>(report.distinct_sizes));
  marker::info("model.name", report.model.name);
  marker::info("infer.sizes", report.options.size_range
                                  ? fmt::format("{}-{}", report.options.size_range->min, report.options.size_range->max)
                                  : std::string("list"));
  if (report.options.buckets) {
    marker::info("infer.buckets", report.options.buckets->describe());
    marker::metric("bucket.hits", "", static_cast<double>(report.counters.hits));
    marker::metric("bucket.misses", "", static_cast<double>(report.counters.misses));
    marker::metric("bucket.evictions", "", static_cast<double>(report.counters.evictions));
    marker::metric("bucket.fallbacks", "", static_cast<double>(report.counters.fallbacks));
    marker::metric("bucket.hit_rate", "", report.counters.hit_rate());
    std::vector<double> prepare_ms;
    for (const BucketPreparation& p : report.preparations) prepare_ms.push_back(p.prepare_ms);
    if (!prepare_ms.empty()) marker::metric("bucket.prepare_time", "ms", prepare_ms);
  }
  if (report.accuracy && report.accuracy->samples > 0) {
    marker::metric("padding.top1_agreement", "",
                   double(report.accuracy->top1_agree) / double(report.accuracy->samples));
    marker::metric("padding.cosine_min", "", report.accuracy->min_cosine);
  }
}

}  // namespace

Expected<ShapeReport> run_shapes(const InferOptions& options, const ResolvedModel& model, int64_t runtime_ready_ns) {
  ShapeReport report;
  report.model = model;
  report.options = options;
  report.process_start_ns = process_start_monotonic_ns();
  report.phases.push_back({marker::kPhaseRuntimeReady, runtime_ready_ns});
  if (options.sample_shape) {
    report.sample_shape = *options.sample_shape;
  } else if (model.sidecar) {
    report.sample_shape = model.sidecar->sample_shape();
  }
  if (report.sample_shape.size() != 3) {
    return make_error(
        "--shapes/--size-range vary the last two dimensions of a (C, H, W) sample, and {}'s sample shape is {}. "
        "fix: pass --input-shape C,H,W for an image model",
        model.name, report.sample_shape.empty() ? std::string("unknown") : format_shape(report.sample_shape));
  }
  report.seed = options.seed.value_or(model.sidecar ? model.sidecar->seed : 0);
  const int64_t batch = options.batch_sizes.front();
  const int64_t channels = report.sample_shape[0];
  const Mode mode = options.modes.front();

  if (auto configured = configure_threads(options.threads, options.interop_threads); !configured) {
    return configured.error();
  }
  auto loaded = TorchModel::load(model.path);
  if (!loaded) return loaded.error();
  mark_phase(report.phases, marker::kPhaseModelLoaded);
  const PrepareOptions prepare{options.channels_last, options.inference_mode, false};
  auto started = Clock::now();
  auto dynamic = loaded->prepare(mode, prepare);
  if (!dynamic) return dynamic.error();
  report.optimize_ms = elapsed_ms(started);
  mark_phase(report.phases, marker::kPhaseModelOptimized);

  // The dynamic path, warm at the sample shape (what infer measures without --shapes).
  const Size base{report.sample_shape[1], report.sample_shape[2]};
  auto base_input = InputBatch::make(batch_shape(batch, channels, base), report.seed, options.channels_last);
  if (!base_input) return base_input.error();
  started = Clock::now();
  if (auto ran = dynamic->forward(*base_input); !ran) return ran.error();
  report.first_inference_ms = elapsed_ms(started);
  mark_phase(report.phases, marker::kPhaseFirstInference);
  for (int i = 0; i < options.warmup; ++i) {
    if (auto ran = dynamic->forward(*base_input); !ran) return ran.error();
  }
  std::set<Size> shapes_run{base};

  std::optional<BucketModels> buckets;
  if (options.buckets) {
    buckets.emplace(*loaded, mode, prepare, batch, channels, report.seed, options.bucket_cache);
    if (options.precompile) {
      const std::vector<Size> list = precompile_list(options);
      if (list.size() > options.bucket_cache) {
        return make_error(
            "--precompile would prepare {} buckets but --bucket-cache holds {}. fix: --bucket-cache {} (each "
            "costs a module's memory), or --precompile with a shorter list",
            list.size(), options.bucket_cache, list.size());
      }
      for (const Size& bucket : list) {
        auto module = buckets->get(bucket, true, report);
        if (!module) return module.error();
        shapes_run.insert(bucket);
      }
    }
  }
  mark_phase(report.phases, marker::kPhaseWarmupDone);

  SizeStream stream = options.size_range ? SizeStream::uniform(*options.size_range, report.seed)
                                         : SizeStream::cycle(*options.shapes);
  std::set<Size> sizes_seen;
  const auto loop_start = Clock::now();
  const double budget_ms = options.duration_s.value_or(0) * 1000.0;
  for (int64_t i = 0;; ++i) {
    if (options.duration_s ? elapsed_ms(loop_start) >= budget_ms : i >= options.iters) break;
    ShapeRequest request;
    request.size = stream.next();
    sizes_seen.insert(request.size);
    // The request's input exists before its clock starts, as it would on arrival.
    auto input = InputBatch::make(batch_shape(batch, channels, request.size), report.seed + static_cast<uint64_t>(i),
                                  options.channels_last);
    if (!input) return input.error();
    std::optional<Size> bucket = options.buckets ? options.buckets->bucket_for(request.size) : std::nullopt;
    ++report.counters.requests;
    started = Clock::now();
    if (bucket) {
      const bool present = buckets->contains(*bucket);
      (present ? report.counters.hits : report.counters.misses) += 1;
      auto module = buckets->get(*bucket, false, report);
      if (!module) return module.error();
      auto padded = input->padded(batch_shape(batch, channels, *bucket));
      if (!padded) return padded.error();
      if (auto ran = (*module)->forward(*padded); !ran) return ran.error();
      request.bucket = bucket;
      request.first_seen = shapes_run.insert(*bucket).second;
    } else {
      if (options.buckets) {
        ++report.counters.fallbacks;
        request.fallback = true;
      }
      if (auto ran = dynamic->forward(*input); !ran) {
        return make_error("{}. fix: the model may not accept this size; narrow --size-range/--shapes",
                          ran.error().message);
      }
      request.first_seen = shapes_run.insert(request.size).second;
    }
    request.latency_ms = elapsed_ms(started);
    report.requests.push_back(request);
  }
  mark_phase(report.phases, marker::kPhaseInferenceDone);
  report.distinct_sizes = sizes_seen.size();
  report.distinct_shapes_run = shapes_run.size();

  std::vector<double> all, first, repeat;
  for (const ShapeRequest& request : report.requests) {
    all.push_back(request.latency_ms);
    (request.first_seen ? first : repeat).push_back(request.latency_ms);
  }
  report.all = summarize_latencies(all);
  report.first_seen = summarize_latencies(first);
  report.repeat = summarize_latencies(repeat);
  report.peak_rss_bytes = peak_rss_bytes();

  if (options.buckets && options.accuracy_samples >= 0) {
    // After everything timed; buckets it prepares are not the stream's.
    ShapeReport scratch;
    auto accuracy = check_padding(report, *dynamic, *buckets, scratch);
    if (!accuracy) return accuracy.error();
    report.accuracy = *accuracy;
  }
  emit_markers(report);
  return report;
}

}  // namespace coldbench::workload
