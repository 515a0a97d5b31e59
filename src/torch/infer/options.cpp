#include "torch/infer/options.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/text.hpp"

namespace coldbench::workload {
namespace {

constexpr long long kMaxCount = 100'000'000;
constexpr int64_t kMaxDim = 1'000'000;
constexpr int kMaxThreads = 4096;

std::vector<std::string_view> split(std::string_view text, std::string_view separators) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    size_t end = text.find_first_of(separators, start);
    parts.push_back(trim(text.substr(start, end == std::string_view::npos ? end : end - start)));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  return parts;
}

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

Expected<std::vector<Mode>> parse_modes(std::string_view text) {
  std::vector<Mode> modes;
  for (std::string_view part : split(text, ",")) {
    if (part == "all") {
      modes.insert(modes.end(), {Mode::kScript, Mode::kFrozen, Mode::kOptimized});
    } else if (part == "script") {
      modes.push_back(Mode::kScript);
    } else if (part == "frozen") {
      modes.push_back(Mode::kFrozen);
    } else if (part == "optimized") {
      modes.push_back(Mode::kOptimized);
    } else {
      return make_error(
          "--mode: unknown mode '{}'. fix: use script, frozen, optimized or all "
          "(or a comma list such as script,optimized)",
          part);
    }
  }
  std::sort(modes.begin(), modes.end());
  modes.erase(std::unique(modes.begin(), modes.end()), modes.end());
  return modes;
}

Expected<std::vector<int64_t>> parse_batch_sizes(std::string_view text) {
  std::vector<int64_t> sizes;
  for (std::string_view part : split(text, ",")) {
    auto value = parse_int(part);
    if (value && *value > kMaxDim) {
      return make_error("--batch-sizes: batch size {} is larger than {}, the most a dimension may be. fix: "
                        "use smaller batches",
                        *value, kMaxDim);
    }
    if (!value || *value <= 0) {
      return make_error(
          "--batch-sizes: '{}' is not a positive integer (in '{}'). fix: pass a "
          "comma list of positive batch sizes, e.g. --batch-sizes 1,4,8",
          part, text);
    }
    if (std::find(sizes.begin(), sizes.end(), *value) != sizes.end()) {
      return make_error("--batch-sizes: batch size {} is listed twice in '{}'", *value, text);
    }
    sizes.push_back(*value);
  }
  return sizes;
}

Expected<std::vector<int64_t>> parse_shape(std::string_view text) {
  std::vector<int64_t> shape;
  std::string_view body = trim(text);
  if (body.size() >= 2 && body.front() == '[' && body.back() == ']') {
    body = body.substr(1, body.size() - 2);
  }
  for (std::string_view part : split(body, ",x")) {
    auto value = parse_int(part);
    if (!value || *value <= 0 || *value > kMaxDim) {
      return make_error(
          "--input-shape: '{}' is not a positive dimension (in '{}'). fix: give one "
          "sample's shape without the batch dimension, e.g. --input-shape 3,224,224",
          part, text);
    }
    shape.push_back(*value);
  }
  return shape;
}

namespace {

// --shapes / --size-range and the bucket options, which only make sense with them.
Expected<void> validate_sizes(const RawInferArgs& raw, InferOptions& options) {
  const bool bucketed = raw.bucket_width != 0 || !raw.buckets.empty();
  if (!raw.shapes.empty() && !raw.size_range.empty()) {
    return make_error("--shapes and --size-range were both given. fix: use one of them");
  }
  if (!raw.shapes.empty()) {
    auto sizes = parse_sizes(raw.shapes, "--shapes");
    if (!sizes) return sizes.error();
    options.shapes = *sizes;
  } else if (!raw.size_range.empty()) {
    auto range = parse_size_range(raw.size_range);
    if (!range) return range.error();
    options.size_range = *range;
  }
  if (!options.varying_sizes()) {
    if (bucketed || raw.bucket_cache || raw.precompile_given) {
      return make_error(
          "bucket options need inputs of varying size. fix: add --size-range MIN-MAX or --shapes LIST");
    }
    return {};
  }
  if (options.modes.size() != 1 || options.batch_sizes.size() != 1) {
    return make_error(
        "--shapes/--size-range measure one mode at one batch size. fix: give one --mode and one "
        "--batch-size (run again for another)");
  }
  RawBucketArgs bucket_args{raw.bucket_width, raw.buckets, raw.bucket_cache, raw.precompile_given,
                            raw.precompile};
  auto bucket_options = validate_bucket_options(bucket_args, "--buckets");
  if (!bucket_options) return bucket_options.error();
  options.buckets = bucket_options->plan;
  options.bucket_cache = bucket_options->cache;
  options.precompile = bucket_options->precompile;
  options.precompile_list = bucket_options->precompile_list;
  if (raw.accuracy_samples < 0 || raw.accuracy_samples > kMaxCount) {
    return make_error("--accuracy-samples must be 0 to {}, got {}", kMaxCount, raw.accuracy_samples);
  }
  options.accuracy_samples = static_cast<int>(raw.accuracy_samples);
  return {};
}

}  // namespace

Expected<InferOptions> validate(const RawInferArgs& raw) {
  InferOptions options;
  if (raw.model.empty()) {
    return make_error(
        "--model is empty. fix: pass a model name (see `coldbench-torch models`) "
        "or a path to a TorchScript .pt file");
  }
  options.model = raw.model;

  auto modes = parse_modes(raw.mode);
  if (!modes) return modes.error();
  options.modes = *modes;

  if (raw.batch_size && !raw.batch_sizes.empty()) {
    return make_error("--batch-size and --batch-sizes were both given. fix: use one of them");
  }
  if (!raw.batch_sizes.empty()) {
    auto sizes = parse_batch_sizes(raw.batch_sizes);
    if (!sizes) return sizes.error();
    options.batch_sizes = *sizes;
  } else if (raw.batch_size) {
    if (*raw.batch_size <= 0) {
      return make_error("--batch-size must be a positive integer, got {}", *raw.batch_size);
    }
    if (*raw.batch_size > kMaxDim) {
      return make_error("--batch-size {} is larger than {}, the most a dimension may be. fix: use a smaller "
                        "batch",
                        *raw.batch_size, kMaxDim);
    }
    options.batch_sizes = {*raw.batch_size};
  }

  if (!raw.input_shape.empty()) {
    auto shape = parse_shape(raw.input_shape);
    if (!shape) return shape.error();
    options.sample_shape = *shape;
  }

  auto check_threads = [](const char* flag, long long value) -> Expected<int> {
    if (value < 0 || value > kMaxThreads) {
      return make_error("{} must be 0 (LibTorch's default) to {}, got {}", flag, kMaxThreads, value);
    }
    return static_cast<int>(value);
  };
  auto threads = check_threads("--threads", raw.threads);
  if (!threads) return threads.error();
  options.threads = *threads;
  auto interop = check_threads("--interop-threads", raw.interop_threads);
  if (!interop) return interop.error();
  options.interop_threads = *interop;

  if (raw.warmup < 0 || raw.warmup > kMaxCount) {
    return make_error("--warmup must be 0 to {}, got {}", kMaxCount, raw.warmup);
  }
  options.warmup = static_cast<int>(raw.warmup);

  if (raw.duration_s && raw.iters_given) {
    return make_error("--iters and --duration were both given. fix: use one of them");
  }
  if (raw.duration_s) {
    if (!std::isfinite(*raw.duration_s) || *raw.duration_s <= 0 || *raw.duration_s > 86400) {
      return make_error("--duration must be a positive number of seconds, got {}", *raw.duration_s);
    }
    options.duration_s = raw.duration_s;
  } else if (raw.iters <= 0 || raw.iters > kMaxCount) {
    return make_error("--iters must be 1 to {}, got {}", kMaxCount, raw.iters);
  }
  options.iters = static_cast<int>(std::clamp<long long>(raw.iters, 1, kMaxCount));

  if (raw.seed) {
    if (*raw.seed < 0) return make_error("--seed must not be negative, got {}", *raw.seed);
    options.seed = static_cast<uint64_t>(*raw.seed);
  }
  if (!std::isfinite(raw.tolerance) || raw.tolerance <= 0 || raw.tolerance >= 1) {
    return make_error("--tolerance must be a number in (0, 1), got {}", raw.tolerance);
  }
  options.tolerance = raw.tolerance;
  options.channels_last = raw.channels_last;
  options.inference_mode = raw.inference_mode;
  options.json_path = raw.json_path;
  options.quiet = raw.quiet;
  if (raw.op_profile && (*raw.op_profile < 0 || *raw.op_profile > 10000)) {
    return make_error("--op-profile must be 0 (none) to 10000 inferences, got {}", *raw.op_profile);
  }
  options.op_profile = raw.op_profile ? static_cast<int>(*raw.op_profile) : (options.modes.size() > 1 ? 10 : 0);
  if (auto sizes = validate_sizes(raw, options); !sizes) return sizes.error();
  return options;
}

std::vector<Combination> combinations(const InferOptions& options) {
  std::vector<Combination> result;
  for (Mode mode : options.modes) {
    for (int64_t batch : options.batch_sizes) result.push_back({mode, batch});
  }
  return result;
}

}  // namespace coldbench::workload
