// `coldbench-torch infer`: argument parsing and exit codes only; the work is
// in infer/runner.cpp, the output in infer/report.cpp.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "torch/infer/options.hpp"
#include "torch/infer/report.hpp"
#include "torch/infer/runner.hpp"
#include "torch/infer/shape_runner.hpp"
#include "torch/common/model_catalog.hpp"
#include "torch/subcommands.hpp"

namespace coldbench::workload {
namespace {

Expected<void> check_json_destination(const std::string& path) {
  if (path.empty()) return {};
  std::filesystem::path parent = std::filesystem::absolute(path).parent_path();
  std::error_code error;
  if (!std::filesystem::is_directory(parent, error)) {
    return make_error("--json {}: directory {} does not exist. fix: create it or pick another path",
                      path, parent.string());
  }
  return {};
}

}  // namespace

Subcommand add_infer_command(CLI::App& parent, const ProcessContext& context) {
  auto raw = std::make_shared<RawInferArgs>();
  auto batch_size = std::make_shared<long long>(1);
  CLI::App* app = parent.add_subcommand(
      "infer",
      "Cold start and steady-state latency of a TorchScript model: load, prepare per mode, first "
      "inference, warmup, measured loop; accuracy of every mode against script mode and the "
      "model's sidecar reference. Exit 0 ok, 1 accuracy check failed, 2 bad input.");
  app->add_option("-m,--model", raw->model,
                  "model name (see `coldbench-torch models`) or path to a TorchScript .pt file")
      ->capture_default_str();
  app->add_option("--mode", raw->mode,
                  "script | frozen (torch::jit::freeze) | optimized "
                  "(torch::jit::optimize_for_inference) | all, or a comma list")
      ->capture_default_str();
  CLI::Option* batch = app->add_option("-b,--batch-size", *batch_size, "batch size (default 1)");
  app->add_option("--batch-sizes", raw->batch_sizes,
                  "several batch sizes, comma-separated (e.g. 1,4,8); each is measured in turn");
  app->add_option("--input-shape", raw->input_shape,
                  "one sample's shape without the batch dimension (e.g. 3,224,224); default: the "
                  "model's sidecar; required for a .pt without one");
  app->add_option("--threads", raw->threads,
                  "LibTorch intra-op threads (at::set_num_threads); 0: LibTorch's default");
  app->add_option("--interop-threads", raw->interop_threads,
                  "LibTorch inter-op threads (at::set_num_interop_threads); 0: LibTorch's default");
  app->add_option("--warmup", raw->warmup, "unmeasured iterations after the first inference")
      ->capture_default_str();
  CLI::Option* iters =
      app->add_option("--iters", raw->iters, "measured iterations")->capture_default_str();
  CLI::Option* duration = app->add_option("--duration", raw->duration_s,
                                          "measure for this many seconds instead of --iters");
  app->add_flag("--channels-last", raw->channels_last,
                "run with channels-last (NHWC) input and 4-D parameters");
  app->add_flag("--inference-mode,!--no-inference-mode", raw->inference_mode,
                "run forward under c10::InferenceMode (default on)");
  app->add_option("--seed", raw->seed,
                  "seed of the random input (torch::manual_seed; default: the sidecar's, else 0)");
  app->add_option("--tolerance", raw->tolerance,
                  "accuracy tolerance: max abs diff <= tol * max(1, max|reference|) and cosine "
                  ">= 1 - tol")
      ->capture_default_str();
  app->add_option("--json", raw->json_path, "also write the results as JSON to this file");
  app->add_flag("-q,--quiet", raw->quiet, "do not print the summary table");
  app->add_option("--op-profile", raw->op_profile,
                  "after everything timed, profile this many inferences per mode for the op table that "
                  "explains the modes (0: none; default 10 with several modes, else 0)");
  app->add_option("--shapes", raw->shapes,
                  "inputs of varying size: HxW sizes (or one number for a square) in turn, e.g. "
                  "160,224,192x256; --iters counts requests, one size each (docs/torch-infer.md)");
  app->add_option("--size-range", raw->size_range,
                  "inputs of varying size: H and W drawn uniformly per request from MIN-MAX pixels, "
                  "seeded by --seed, e.g. 160-320");
  app->add_option("--bucket-width", raw->bucket_width,
                  "pad each input up to the next multiple of W pixels per side and run one prepared "
                  "module per bucket");
  app->add_option(
      "--buckets,--size-buckets", raw->buckets,
      "pad each input up to the smallest listed bucket that holds it (HxW list); a size past "
      "every bucket runs unpadded on the dynamic path (a fallback). --size-buckets: the same, "
      "spelled as serve spells it");
  CLI::Option* cache = app->add_option("--bucket-cache", raw->bucket_cache,
                                       "prepared buckets kept, least recently used out (default 16)");
  CLI::Option* precompile =
      app->add_option("--precompile", raw->precompile,
                      "prepare these buckets (HxW list) before ready; alone: every bucket the sizes can use")
          ->expected(0, 1);
  app->add_option("--accuracy-samples", raw->accuracy_samples,
                  "with buckets: distinct sizes whose padded output is checked against the unpadded one")
      ->capture_default_str();

  auto run = [raw, batch, batch_size, iters, duration, cache, precompile, context]() -> Expected<int> {
    if (batch->count() > 0) raw->batch_size = *batch_size;
    if (cache->count() == 0) raw->bucket_cache.reset();
    raw->precompile_given = precompile->count() > 0;
    raw->iters_given = iters->count() > 0;
    if (duration->count() == 0) raw->duration_s.reset();
    auto options = validate(*raw);
    if (!options) return options.error();
    if (auto json_ok = check_json_destination(options->json_path); !json_ok) {
      return json_ok.error();
    }
    auto model = resolve_model(options->model, default_model_search_path());
    if (!model) return model.error();

    if (options->varying_sizes()) {
      auto shapes = run_shapes(*options, *model, context.runtime_ready_ns);
      if (!shapes) return shapes.error();
      if (!options->quiet) print_shape_summary(*shapes, stdout);
      if (!options->json_path.empty()) {
        if (auto written = write_shape_json(*shapes, options->json_path); !written) return written.error();
        if (!options->quiet) fmt::print(stderr, "wrote {}\n", options->json_path);
      }
      return kExitOk;
    }
    auto report = run_infer(*options, *model, context.runtime_ready_ns);
    if (!report) return report.error();

    if (!options->quiet) print_summary(*report, stdout);
    if (!options->json_path.empty()) {
      if (auto written = write_json(*report, options->json_path); !written) {
        return written.error();
      }
      if (!options->quiet) fmt::print(stderr, "wrote {}\n", options->json_path);
    }
    if (!report->accuracy_ok()) {
      for (const std::string& failure : report->accuracy_failures) {
        fmt::print(stderr, "coldbench-torch infer: accuracy check failed: {}\n", failure);
      }
      return kExitAccuracy;
    }
    return kExitOk;
  };
  return Subcommand{app, run};
}

}  // namespace coldbench::workload
