#include "torch/infer/report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/output_file.hpp"

#include "core/json_text.hpp"
#include "torch/common/units.hpp"

namespace coldbench::workload {
namespace {

using nlohmann::json;

std::string accuracy_cell(const InferReport& report, const CombinationResult& result, bool first) {
  if (result.vs_script) {
    return fmt::format("cos {:.6f} max|d| {:.1e}{}", result.vs_script->cosine,
                       result.vs_script->max_abs_diff,
                       result.vs_script->within(report.options.tolerance) ? "" : " FAIL");
  }
  if (first) {
    switch (report.reference.status) {
      case ReferenceCheck::Status::kPassed:
        return fmt::format("reference ok (max|d| {:.1e})",
                           report.reference.comparison.max_abs_diff);
      case ReferenceCheck::Status::kFailed:
        return "reference FAIL";
      case ReferenceCheck::Status::kSkipped:
        return "reference skipped";
    }
  }
  return result.mode == Mode::kScript ? "(reference mode)" : "-";
}

}  // namespace

std::string format_duration_ms(double ms) {
  if (ms < 1.0) return fmt::format("{:.0f} µs", ms * 1000.0);
  if (ms < 10.0) return fmt::format("{:.2f} ms", ms);
  if (ms < 1000.0) return fmt::format("{:.1f} ms", ms);
  return fmt::format("{:.2f} s", ms / 1000.0);
}

void print_summary(const InferReport& report, std::FILE* out) {
  const RuntimeInfo& rt = report.snapshot.runtime;
  fmt::print(out, "coldbench-torch infer: {} ({})\n", report.model.name,
             report.model.path.string());
  fmt::print(out, "  input {} float32 per sample, seed {}, {}{}\n",
             format_shape(report.sample_shape), report.seed,
             report.options.inference_mode ? "inference mode" : "autograd on",
             report.options.channels_last ? ", channels-last" : "");
  fmt::print(out,
             "  LibTorch {} ({}; coldbench-torch {}), CPU capability {}, {}, mkldnn {}, mkl {}\n",
             rt.torch_version, rt.torch_compiler, rt.our_compiler, rt.cpu_capability,
             rt.parallel_backend.empty() ? "?" : rt.parallel_backend, rt.mkldnn ? "yes" : "no",
             rt.mkl ? "yes" : "no");
  std::string env;
  for (const auto& [name, value] : report.snapshot.thread_env) {
    if (!value.empty()) env += fmt::format(" {}={}", name, value);
  }
  fmt::print(out, "  threads {} compute / {} interop; CPUs {} (effective {}{}){}{}\n",
             rt.num_threads, rt.num_interop_threads, format_cpu_list(report.snapshot.cpu.budget.affinity),
             report.snapshot.cpu.effective_cpus,
             report.snapshot.cpu.budget.quota_cpus ? fmt::format(", quota {:.2f}", *report.snapshot.cpu.budget.quota_cpus) : "",
             rt.num_threads > report.snapshot.cpu.effective_cpus ? " OVERSUBSCRIBED" : "",
             env.empty() ? "" : fmt::format("; env{}", env));

  // Phase durations of the first combination: the cold start as a user sees it.
  std::string phases;
  int64_t previous = 0;
  for (const PhaseTime& phase : report.phases) {
    if (previous == 0) {
      if (report.process_start_ns) {
        phases +=
            fmt::format("{} ~{}", phase.name,
                        format_duration_ms(phase_ms(*report.process_start_ns, phase.monotonic_ns)));
      } else {
        phases += phase.name;
      }
    } else {
      phases += fmt::format(", {} +{}", phase.name,
                            format_duration_ms(phase_ms(previous, phase.monotonic_ns)));
    }
    previous = phase.monotonic_ns;
  }
  fmt::print(out, "  phases (first combination; ~ from process start): {}\n\n", phases);

  fmt::print(out, "{:<10} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12} {:>11} {:>8}  {}\n",
             "mode", "batch", "optimize", "first inf", "p50", "p95", "p99", "samples/s", "peak RSS",
             "iters", "accuracy");
  bool first = true;
  for (const CombinationResult& result : report.results) {
    fmt::print(out, "{:<10} {:>5} {:>10} {:>10} {:>10} {:>10} {:>10} {:>12.1f} {:>11} {:>8}  {}\n",
               mode_name(result.mode), result.batch_size, format_duration_ms(result.optimize_ms),
               format_duration_ms(result.first_inference_ms),
               format_duration_ms(result.summary.p50), format_duration_ms(result.summary.p95),
               format_duration_ms(result.summary.p99), result.throughput,
               format_mib(result.peak_rss_bytes), result.summary.n,
               accuracy_cell(report, result, first));
    first = false;
  }
  if (report.reference.status == ReferenceCheck::Status::kSkipped) {
    fmt::print(out, "\nreference check skipped: {}\n", report.reference.detail);
  }
  if (report.accuracy_ok()) {
    fmt::print(out, "\naccuracy: ok (tolerance {:g})\n", report.options.tolerance);
  } else {
    fmt::print(out, "\naccuracy: FAILED (tolerance {:g})\n", report.options.tolerance);
    for (const std::string& failure : report.accuracy_failures)
      fmt::print(out, "  - {}\n", failure);
  }
  print_explanations(report, out);
  std::fflush(out);
}

void print_explanations(const InferReport& report, std::FILE* out) {
  if (report.explanations.empty()) return;
  fmt::print(out, "\nwhat each mode runs (forward graph, inlined){}:\n",
             report.explanations.front().profiled_inferences > 0
                 ? fmt::format("; op self time per inference over {} profiled inferences",
                               report.explanations.front().profiled_inferences)
                 : "");
  for (const ModeExplanation& e : report.explanations) {
    std::string line = fmt::format("  {:<10} {} nodes", mode_name(e.mode), e.graph.nodes);
    if (!e.vs_script.empty()) line += fmt::format(" (vs script: {})", describe_delta(e.vs_script, 6));
    if (e.graph.unfused_activations > 0) {
      std::string kinds;
      for (const auto& [kind, n] : e.graph.unfused_by_kind) kinds += fmt::format("{}{} {}", kinds.empty() ? "" : ", ", n, kind);
      line += fmt::format("; {} activations after a convolution left unfused ({})", e.graph.unfused_activations, kinds);
    }
    fmt::print(out, "{}\n", line);
    if (e.profiled_inferences > 0 && !e.top_ops.empty()) {
      std::string ops;
      for (size_t i = 0; i < e.top_ops.size() && i < 4; ++i) {
        ops += fmt::format("{}{} {} ({:.0f}%)", i ? ", " : "", e.top_ops[i].name,
                           format_duration_ms(e.top_ops[i].self_ms_per_inference), 100 * e.top_ops[i].share);
      }
      fmt::print(out, "  {:<10} ops seen by the profiler {} of {} ({:.0f}%): {}\n", "",
                 format_duration_ms(e.profiled_self_ms_per_inference),
                 format_duration_ms(e.profiled_wall_ms_per_inference), 100 * e.coverage(), ops);
    }
  }
}

json explanations_json(const InferReport& report) {
  json list = json::array();
  for (const ModeExplanation& e : report.explanations) {
    json entry = {{"mode", std::string(mode_name(e.mode))},
                  {"graph_nodes", e.graph.nodes},
                  {"graph_nodes_by_kind", e.graph.by_kind},
                  {"unfused_activations", e.graph.unfused_activations},
                  {"unfused_by_kind", e.graph.unfused_by_kind}};
    json delta = json::array();
    for (const KindDelta& d : e.vs_script) delta.push_back({{"kind", d.kind}, {"script", d.before}, {"mode", d.after}});
    entry["vs_script"] = std::move(delta);
    if (e.profiled_inferences > 0) {
      json ops = json::array();
      for (const OpTime& op : e.top_ops) {
        ops.push_back({{"name", op.name},
                       {"calls_per_inference", op.calls_per_inference},
                       {"self_ms_per_inference", op.self_ms_per_inference},
                       {"share", op.share}});
      }
      entry["op_profile"] = {{"inferences", e.profiled_inferences},
                             {"self_ms_per_inference", e.profiled_self_ms_per_inference},
                             {"wall_ms_per_inference", e.profiled_wall_ms_per_inference},
                             {"coverage", e.coverage()},
                             {"top_ops", std::move(ops)}};
    }
    list.push_back(std::move(entry));
  }
  return list;
}

json to_json(const InferReport& report) {
  const InferOptions& options = report.options;
  json doc;
  doc["schema"] = kInferJsonSchema;
  json model = {{"name", report.model.name},
                {"path", report.model.path.string()},
                {"sample_shape", report.sample_shape},
                {"seed", report.seed},
                {"has_sidecar", report.model.sidecar.has_value()}};
  if (report.model.sidecar && report.model.sidecar->flops_per_sample) {
    model["flops_per_sample"] = *report.model.sidecar->flops_per_sample;
  }
  doc["model"] = model;
  std::vector<std::string> modes;
  for (Mode mode : options.modes) modes.emplace_back(mode_name(mode));
  doc["options"] = {{"modes", modes},
                    {"batch_sizes", options.batch_sizes},
                    {"threads", options.threads},
                    {"interop_threads", options.interop_threads},
                    {"warmup", options.warmup},
                    {"iters", options.duration_s ? json(nullptr) : json(options.iters)},
                    {"duration_s", options.duration_s ? json(*options.duration_s) : json(nullptr)},
                    {"channels_last", options.channels_last},
                    {"inference_mode", options.inference_mode},
                    {"tolerance", options.tolerance}};
  add_runtime_snapshot_json(doc, report.snapshot);
  doc["phases"] = phases_json(report.phases, report.process_start_ns);

  json results = json::array();
  for (const CombinationResult& result : report.results) {
    json entry = {{"mode", mode_name(result.mode)},
                  {"batch_size", result.batch_size},
                  {"optimize_ms", result.optimize_ms},
                  {"first_inference_ms", result.first_inference_ms},
                  {"latency_ms", latency_summary_json(result.summary)},
                  {"latencies_ms", result.latencies_ms},
                  {"throughput", result.throughput},
                  {"peak_rss_bytes", result.peak_rss_bytes},
                  {"rss_growth_bytes", result.rss_growth_bytes}};
    if (result.vs_script) {
      entry["vs_script"] = {{"cosine", result.vs_script->cosine},
                            {"max_abs_diff", result.vs_script->max_abs_diff},
                            {"within_tolerance", result.vs_script->within(options.tolerance)}};
    }
    results.push_back(entry);
  }
  doc["results"] = results;
  doc["reference_check"] = {{"status", status_name(report.reference.status)},
                            {"detail", report.reference.detail}};
  if (report.reference.status != ReferenceCheck::Status::kSkipped) {
    doc["reference_check"]["max_abs_diff"] = report.reference.comparison.max_abs_diff;
    doc["reference_check"]["cosine"] = report.reference.comparison.cosine;
    doc["reference_check"]["sum_diff"] = report.reference.sum_diff;
  }
  doc["accuracy_ok"] = report.accuracy_ok();
  doc["accuracy_failures"] = report.accuracy_failures;
  doc["peak_rss_bytes"] = report.peak_rss_bytes;
  doc["explanations"] = explanations_json(report);
  return doc;
}

Expected<void> write_json(const InferReport& report, const std::string& path) {
  auto written = write_file_atomically(path, json_text(to_json(report), 2) + "\n");
  if (!written)
    return make_error("--json: {}. fix: check that its directory exists and is writable",
                      written.error().message);
  return {};
}

}  // namespace coldbench::workload
