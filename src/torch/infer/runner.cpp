#include "torch/infer/runner.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <chrono>
#include <cmath>
#include <map>
#include <optional>
#include <utility>

#include "coldbench/marker.hpp"
#include "torch/common/runtime_snapshot.hpp"
#include "torch/common/model.hpp"
#include "torch/profile/collector.hpp"

namespace coldbench::workload {
namespace {

using Clock = std::chrono::steady_clock;

double elapsed_ms(Clock::time_point since) {
  return std::chrono::duration<double, std::milli>(Clock::now() - since).count();
}

std::string qualified(std::string_view metric, Mode mode, int64_t batch) {
  return fmt::format("{}.{}.b{}", metric, mode_name(mode), batch);
}

std::string shape_hint(const InferReport& report) {
  if (report.model.sidecar) {
    return fmt::format(
        "fix: pass --input-shape with one sample's shape as the model expects it "
        "(its sidecar says {}), without the batch dimension",
        format_shape(report.model.sidecar->sample_shape()));
  }
  return "fix: pass --input-shape with one sample's shape as the model expects it, without the "
         "batch dimension (e.g. 3,224,224)";
}

ReferenceCheck check_against_sidecar(const InferReport& report, double input_sum,
                                     const OutputValues& output, int64_t batch) {
  ReferenceCheck skipped;
  const auto& sidecar = report.model.sidecar;
  if (!sidecar || !sidecar->reference) {
    skipped.detail = "the model has no sidecar reference output";
  } else if (report.sample_shape != sidecar->sample_shape()) {
    skipped.detail =
        fmt::format("--input-shape {} differs from the sidecar's {}",
                    format_shape(report.sample_shape), format_shape(sidecar->sample_shape()));
  } else if (report.seed != sidecar->seed) {
    skipped.detail =
        fmt::format("--seed {} differs from the sidecar's {}", report.seed, sidecar->seed);
  } else if (sidecar->input_sum && std::abs(input_sum - *sidecar->input_sum) >
                                       1e-6 * std::max(1.0, std::abs(input_sum))) {
    skipped.detail = fmt::format(
        "this LibTorch's torch::rand makes a different input than the exporter's ({}), so the "
        "reference cannot be reproduced here; re-export the models with this version",
        sidecar->exported_with.empty() ? std::string("unknown version") : sidecar->exported_with);
  } else {
    return check_reference(*sidecar->reference, output, batch, report.options.tolerance);
  }
  return skipped;
}

void emit_combination_metrics(const CombinationResult& result, bool first, bool several) {
  auto emit = [&](std::string_view name, std::string_view unit, const auto& values) {
    if (first) marker::metric(name, unit, values);
    if (several) marker::metric(qualified(name, result.mode, result.batch_size), unit, values);
  };
  emit(marker::kMetricLatency, "ms", result.latencies_ms);
  emit("throughput", "samples/s", result.throughput);
  emit("first_inference", "ms", result.first_inference_ms);
  emit("rss.peak", "bytes", static_cast<double>(result.peak_rss_bytes));
  emit("rss.growth", "bytes", static_cast<double>(result.rss_growth_bytes));
}

void emit_info(const InferReport& report) {
  emit_runtime_markers(report.snapshot);
  marker::info("model.name", report.model.name);
  marker::info("model.path", report.model.path.string());
  marker::info("model.input_shape", format_shape(report.sample_shape));
  std::vector<std::string> modes;
  for (Mode mode : report.options.modes) modes.emplace_back(mode_name(mode));
  marker::info("model.modes", fmt::format("{}", fmt::join(modes, ",")));
  marker::info("model.batch_sizes", fmt::format("{}", fmt::join(report.options.batch_sizes, ",")));
  marker::info("model.seed", static_cast<long long>(report.seed));
  marker::info("infer.channels_last", report.options.channels_last);
  marker::info("infer.inference_mode", report.options.inference_mode);
  marker::info("accuracy.reference", std::string(status_name(report.reference.status)));
  marker::info("accuracy.ok", report.accuracy_ok());
}

// One sample's shape: --input-shape, else the sidecar's.
Expected<std::vector<int64_t>> sample_shape_for(const InferOptions& options, const ResolvedModel& model) {
  if (options.sample_shape) return *options.sample_shape;
  if (model.sidecar) return model.sidecar->sample_shape();
  return make_error(
      "{} has no sidecar ({}), so its input shape is unknown. fix: pass "
      "--input-shape with one sample's shape without the batch dimension, e.g. "
      "--input-shape 3,224,224",
      model.path.string(), sidecar_path_for(model.path).string());
}

// One seeded input per batch size, made before anything is timed.
Expected<std::map<int64_t, InputBatch>> make_inputs(const InferReport& report) {
  std::map<int64_t, InputBatch> inputs;
  for (int64_t batch : report.options.batch_sizes) {
    std::vector<int64_t> shape{batch};
    shape.insert(shape.end(), report.sample_shape.begin(), report.sample_shape.end());
    auto input = InputBatch::make(shape, report.seed, report.options.channels_last);
    if (!input) return input.error();
    inputs.emplace(batch, std::move(*input));
  }
  return inputs;
}

// First inference, warmup and the measured loop of one (mode, batch). The
// first combination also marks the standard phases and checks the sidecar.
Expected<CombinationResult> measure_combination(InferReport& report, PreparedModel& prepared,
                                                const InputBatch& input, int64_t batch, bool first) {
  const InferOptions& options = report.options;
  CombinationResult result;
  result.mode = prepared.mode();
  result.batch_size = batch;
  const int64_t rss_before = current_rss_bytes();

  auto started = Clock::now();
  if (auto ok = prepared.forward(input); !ok) {
    return make_error("{}. {}", ok.error().message, shape_hint(report));
  }
  result.first_inference_ms = elapsed_ms(started);
  if (first) {
    mark_phase(report.phases, marker::kPhaseFirstInference);
    auto output = prepared.last_output();
    if (!output) return output.error();
    report.reference = check_against_sidecar(report, input.first_sample_sum(), *output, batch);
  }

  for (int i = 0; i < options.warmup; ++i) {
    if (auto ok = prepared.forward(input); !ok) return ok.error();
  }
  if (first) mark_phase(report.phases, marker::kPhaseWarmupDone);

  auto loop_start = Clock::now();
  const double budget_ms = options.duration_s.value_or(0) * 1000.0;
  for (int64_t i = 0;; ++i) {
    if (options.duration_s ? elapsed_ms(loop_start) >= budget_ms : i >= options.iters) break;
    started = Clock::now();
    auto ok = prepared.forward(input);
    double latency = elapsed_ms(started);
    if (!ok) return ok.error();
    result.latencies_ms.push_back(latency);
  }
  if (first) mark_phase(report.phases, marker::kPhaseInferenceDone);

  result.rss_growth_bytes = current_rss_bytes() - rss_before;
  result.peak_rss_bytes = peak_rss_bytes();
  result.summary = summarize_latencies(result.latencies_ms);
  result.throughput = throughput_per_s(result.summary, batch);
  return result;
}

using OutputsByCombination = std::map<std::pair<Mode, int64_t>, OutputValues>;

// Every non-script mode against script mode on the same input. Without a
// measured script mode the loaded module runs once per batch size here,
// after everything timed.
Expected<void> compare_with_script(InferReport& report, const TorchModel& loaded,
                                   const PrepareOptions& prepare_options,
                                   const std::map<int64_t, InputBatch>& inputs,
                                   OutputsByCombination& outputs) {
  const double tolerance = report.options.tolerance;
  std::optional<PreparedModel> script;
  for (CombinationResult& result : report.results) {
    if (result.mode == Mode::kScript) continue;
    auto key = std::make_pair(Mode::kScript, result.batch_size);
    if (!outputs.count(key)) {
      if (!script) {
        auto prepared = loaded.prepare(Mode::kScript, prepare_options);
        if (!prepared) return prepared.error();
        script = std::move(*prepared);
      }
      if (auto ok = script->forward(inputs.at(result.batch_size)); !ok) return ok.error();
      auto output = script->last_output();
      if (!output) return output.error();
      outputs.emplace(key, std::move(*output));
    }
    const OutputValues& reference = outputs.at(key);
    const OutputValues& candidate = outputs.at({result.mode, result.batch_size});
    result.vs_script = compare_outputs(reference.values, candidate.values);
    marker::metric(qualified("accuracy.cosine", result.mode, result.batch_size), "",
                   result.vs_script->cosine);
    marker::metric(qualified("accuracy.max_abs_diff", result.mode, result.batch_size), "",
                   result.vs_script->max_abs_diff);
    if (reference.shape != candidate.shape || !result.vs_script->within(tolerance)) {
      report.accuracy_failures.push_back(fmt::format(
          "{} mode at batch {} differs from script mode on the same input: cosine similarity "
          "{:.6f}, max abs diff {:.3g} (shape {} vs {}); allowed: max abs diff <= {:.3g}, "
          "cosine >= {:.6f}. fix: if the difference is expected for this model, raise "
          "--tolerance",
          mode_name(result.mode), result.batch_size, result.vs_script->cosine,
          result.vs_script->max_abs_diff, format_shape(candidate.shape),
          format_shape(reference.shape), tolerance * std::max(1.0, result.vs_script->max_abs_reference),
          1.0 - tolerance));
    }
  }
  return {};
}

// A sidecar reference that does not reproduce is the first accuracy failure.
void record_reference_failure(InferReport& report) {
  if (report.reference.status != ReferenceCheck::Status::kFailed) return;
  const ResolvedModel& model = report.model;
  report.accuracy_failures.insert(
      report.accuracy_failures.begin(),
      fmt::format("{} does not reproduce its sidecar's reference output ({} mode, batch {}): {}. "
                  "fix: re-export the model ({}), or raise --tolerance if the difference is "
                  "expected on this machine",
                  model.path.string(), mode_name(report.results.front().mode),
                  report.results.front().batch_size, report.reference.detail,
                  model.sidecar && !model.sidecar->regenerate.empty() ? model.sidecar->regenerate
                                                                      : "models/export.py"));
}

// What each mode's graph is and where its inference time goes, after
// everything timed (the profiler's callback would cost the timed loops).
Expected<void> explain_modes(InferReport& report, const std::vector<PreparedModel>& prepared,
                             const std::map<int64_t, InputBatch>& inputs) {
  constexpr size_t kDeltaKinds = 12, kTopOps = 10;
  std::optional<GraphStats> script_graph;
  for (const PreparedModel& model : prepared) {
    auto graph = model.graph_stats();
    if (!graph) return graph.error();
    ModeExplanation explanation;
    explanation.mode = model.mode();
    explanation.graph = *graph;
    if (model.mode() == Mode::kScript) script_graph = *graph;
    report.explanations.push_back(std::move(explanation));
  }
  for (ModeExplanation& explanation : report.explanations) {
    if (script_graph && explanation.mode != Mode::kScript) {
      explanation.vs_script = graph_delta(*script_graph, explanation.graph, kDeltaKinds);
    }
    marker::metric(fmt::format("graph.nodes.{}", mode_name(explanation.mode)), "",
                   static_cast<double>(explanation.graph.nodes));
  }
  const int inferences = report.options.op_profile;
  if (inferences <= 0) return {};
  const InputBatch& input = inputs.begin()->second;
  for (size_t i = 0; i < prepared.size(); ++i) {
    PreparedModel model = prepared[i];  // shares the module; forward() keeps its own last output
    OpCollector collector;
    CollectorSettings settings;
    settings.record_shapes = false;
    settings.profile_memory = false;
    if (auto started = collector.start(settings); !started) return started.error();
    const auto loop_start = Clock::now();
    for (int n = 0; n < inferences; ++n) {
      if (auto ok = model.forward(input); !ok) return ok.error();
    }
    const double wall_ms = elapsed_ms(loop_start);
    const WindowSummary summary = summarize_window(collector.stop(), inferences);
    ModeExplanation& explanation = report.explanations[i];
    explanation.profiled_inferences = inferences;
    explanation.profiled_self_ms_per_inference = static_cast<double>(summary.self_total_ns) / 1e6 / inferences;
    explanation.profiled_wall_ms_per_inference = wall_ms / inferences;
    explanation.top_ops = top_ops(summary, inferences, kTopOps);
  }
  return {};
}

}  // namespace

Expected<InferReport> run_infer(const InferOptions& options, const ResolvedModel& model,
                                int64_t runtime_ready_ns) {
  InferReport report;
  report.model = model;
  report.options = options;
  report.process_start_ns = process_start_monotonic_ns();
  report.phases.push_back({marker::kPhaseRuntimeReady, runtime_ready_ns});
  auto sample_shape = sample_shape_for(options, model);
  if (!sample_shape) return sample_shape.error();
  report.sample_shape = std::move(*sample_shape);
  report.seed = options.seed.value_or(model.sidecar ? model.sidecar->seed : 0);

  if (auto configured = configure_threads(options.threads, options.interop_threads); !configured) {
    return configured.error();
  }
  auto loaded = TorchModel::load(model.path);
  if (!loaded) return loaded.error();
  mark_phase(report.phases, marker::kPhaseModelLoaded);
  auto inputs = make_inputs(report);
  if (!inputs) return inputs.error();

  const PrepareOptions prepare_options{options.channels_last, options.inference_mode};
  const bool several = options.modes.size() * options.batch_sizes.size() > 1;
  OutputsByCombination outputs;
  std::vector<PreparedModel> prepared_modes;  // for the explanations, after everything timed
  bool needs_script = false;
  for (Mode mode : options.modes) {
    const bool first = report.results.empty();
    auto prepare_start = Clock::now();
    auto prepared = loaded->prepare(mode, prepare_options);
    double optimize_ms = elapsed_ms(prepare_start);
    if (!prepared) return prepared.error();
    if (first) mark_phase(report.phases, marker::kPhaseModelOptimized);
    if (first) marker::metric("optimize_time", "ms", optimize_ms);
    if (several) marker::metric(fmt::format("optimize_time.{}", mode_name(mode)), "ms", optimize_ms);
    needs_script |= mode != Mode::kScript;

    for (int64_t batch : options.batch_sizes) {
      const bool first_combination = report.results.empty();
      auto result = measure_combination(report, *prepared, inputs->at(batch), batch, first_combination);
      if (!result) return result.error();
      result->optimize_ms = optimize_ms;
      auto output = prepared->last_output();
      if (!output) return output.error();
      outputs.emplace(std::make_pair(mode, batch), std::move(*output));
      emit_combination_metrics(*result, first_combination, several);
      report.results.push_back(std::move(*result));
    }
    prepared_modes.push_back(std::move(*prepared));
  }
  if (needs_script) {
    if (auto compared = compare_with_script(report, *loaded, prepare_options, *inputs, outputs);
        !compared) {
      return compared.error();
    }
  }
  record_reference_failure(report);
  report.peak_rss_bytes = peak_rss_bytes();  // before the explanations' extra inferences
  if (auto explained = explain_modes(report, prepared_modes, *inputs); !explained) return explained.error();

  report.snapshot = take_runtime_snapshot();
  emit_info(report);
  return report;
}

}  // namespace coldbench::workload
