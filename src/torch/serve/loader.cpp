#include "torch/serve/loader.hpp"

#include <fmt/format.h>

#include <fstream>

#include "coldbench/marker.hpp"

namespace coldbench::workload::serve {

Expected<std::string> model_version(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return make_error("cannot read {} to compute its version", path.string());
  uint64_t hash = 0xcbf29ce484222325ull;
  std::vector<char> buffer(1 << 16);
  while (in.read(buffer.data(), static_cast<std::streamsize>(buffer.size())) || in.gcount() > 0) {
    for (std::streamsize i = 0; i < in.gcount(); ++i) {
      hash ^= static_cast<unsigned char>(buffer[static_cast<size_t>(i)]);
      hash *= 0x100000001b3ull;
    }
  }
  return fmt::format("{:012x}", hash >> 16);
}

Expected<std::vector<std::pair<std::string, ResolvedModel>>> resolve_models(
    const ServeOptions& options, const ModelSearchPath& search) {
  std::vector<std::pair<std::string, ResolvedModel>> resolved;
  for (const ModelSpec& spec : options.models) {
    auto model = resolve_model(spec.source, search);
    if (!model) return model.error().with_context(fmt::format("--model {}", spec.source));
    std::string name = spec.name.empty() ? model->name : spec.name;
    for (const auto& [other, _] : resolved) {
      if (other == name) {
        return make_error(
            "--model: two models are named '{}'. fix: give one another name with --model NAME=PATH",
            name);
      }
    }
    resolved.emplace_back(std::move(name), std::move(*model));
  }
  return resolved;
}

Expected<std::vector<ServedModel>> load_models(
    const ServeOptions& options, const std::vector<std::pair<std::string, ResolvedModel>>& models,
    const std::atomic<bool>& cancel, BucketMetrics* bucket_metrics) {
  std::vector<TorchModel> loaded;
  for (const auto& [name, model] : models) {
    auto torch_model = TorchModel::load(model.path);
    if (!torch_model) return torch_model.error();
    loaded.push_back(std::move(*torch_model));
    if (cancel) return std::vector<ServedModel>{};
  }
  marker::phase(marker::kPhaseModelLoaded);

  std::vector<ServedModel> served;
  std::vector<RunFunction> warm;  // the dynamic path: warmup must not count as bucket traffic
  std::vector<std::shared_ptr<BucketedModel>> bucketed;
  const PrepareOptions prepare_options{false, true};
  for (size_t i = 0; i < models.size(); ++i) {
    const auto& [name, model] = models[i];
    // resolve_models keeps --model's order, so spec i is model i.
    const Mode mode = i < options.models.size() && options.models[i].mode ? *options.models[i].mode
                                                                          : options.mode;
    auto prepared = loaded[i].prepare(mode, prepare_options);
    if (!prepared) return prepared.error();
    auto version = model_version(model.path);
    if (!version) return version.error();
    ServedModel entry;
    entry.name = name;
    entry.version = *version;
    entry.mode = std::string(mode_name(mode));
    if (model.sidecar) entry.sample_shape = model.sidecar->sample_shape();
    RunFunction dynamic = [prepared = *prepared](const TensorInput& input) {
      return prepared.run(input.shape, input.values);
    };
    warm.push_back(dynamic);
    if (options.shapes) {
      if (entry.sample_shape.size() != 3) {
        return make_error(
            "--size-range varies the last two dimensions of a (C, H, W) input, and {}'s input "
            "shape is {}. fix: "
            "serve an image model exported with its sidecar (models/export.py), or drop "
            "--size-range",
            name,
            entry.sample_shape.empty() ? std::string("unknown (no sidecar)")
                                       : format_shape(entry.sample_shape));
      }
      const int64_t channels = entry.sample_shape[0];
      // A module of its own per bucket, run twice at the bucket's shape:
      // LibTorch's profiling executor records shapes on the first run and
      // compiles its plan on the second (as infer's buckets).
      BucketedModel::Prepare prepare =
          [torch_model = loaded[i], mode = options.mode,
           channels](Size bucket) -> Expected<std::shared_ptr<const RunFunction>> {
        auto module = torch_model.prepare(mode, PrepareOptions{false, true, true});
        if (!module) return module.error();
        const std::vector<int64_t> shape{1, channels, bucket.h, bucket.w};
        const std::vector<float> zeros(static_cast<size_t>(channels * bucket.h * bucket.w), 0.0f);
        for (int run = 0; run < 2; ++run) {
          if (auto ran = module->run(shape, zeros); !ran) return ran.error();
        }
        auto shared = std::make_shared<const PreparedModel>(std::move(*module));
        return std::make_shared<const RunFunction>(
            [shared](const TensorInput& input) { return shared->run(input.shape, input.values); });
      };
      BucketSeries series;
      if (bucket_metrics) {
        series = bucket_metrics->series(
            name, options.shapes->buckets.plan
                      ? options.shapes->buckets.plan->buckets_for(options.shapes->range)
                      : std::vector<Size>{});
      }
      auto model_buckets =
          std::make_shared<BucketedModel>(*options.shapes, dynamic, prepare, series);
      bucketed.push_back(model_buckets);
      entry.run = [model_buckets](const TensorInput& input) { return model_buckets->run(input); };
      entry.size_range = options.shapes->range;
      entry.bucket_plan = options.shapes->buckets.plan;
      entry.bucket_cache = options.shapes->buckets.cache;
    } else {
      entry.run = dynamic;
    }
    served.push_back(std::move(entry));
  }
  bool optimized = options.mode != Mode::kScript;
  for (const ModelSpec& spec : options.models)
    optimized |= spec.mode && *spec.mode != Mode::kScript;
  if (optimized) marker::phase(marker::kPhaseModelOptimized);

  // Warmup on zeros of one sample; a model without a sidecar has no known
  // shape, so it is not warmed up (docs/serve.md).
  bool first = true;
  for (int round = 0; round < options.warmup && !cancel; ++round) {
    for (size_t i = 0; i < served.size(); ++i) {
      const ServedModel& model = served[i];
      if (model.sample_shape.empty()) continue;
      TensorInput input;
      input.shape = {1};
      input.shape.insert(input.shape.end(), model.sample_shape.begin(), model.sample_shape.end());
      int64_t count = 1;
      for (int64_t dim : input.shape) count *= dim;
      input.values.assign(static_cast<size_t>(count), 0.0f);
      auto output = warm[i](input);
      if (!output) return output.error().with_context(fmt::format("warming up {}", model.name));
      if (first) marker::phase(marker::kPhaseFirstInference);
      first = false;
    }
  }
  // --precompile: every listed (or usable) bucket prepared before ready.
  for (size_t i = 0; i < bucketed.size() && !cancel; ++i) {
    if (auto done = bucketed[i]->precompile(); !done) {
      return done.error().with_context(fmt::format("--precompile for {}", served[i].name));
    }
  }
  marker::phase(marker::kPhaseWarmupDone);
  return served;
}

}  // namespace coldbench::workload::serve
