#include "torch/profile/report.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <filesystem>

#include "coldbench/marker.hpp"
#include "core/output_file.hpp"
#include "core/json_text.hpp"
#include "torch/common/units.hpp"
#include "torch/common/runtime_snapshot.hpp"

namespace coldbench::workload {
namespace {

using nlohmann::json;

std::string format_seconds(double seconds) {
  return fmt::format("{:.6f}", seconds);
}

json counts_json(const ProfileCounts& counts) {
  return {{"steps", counts.steps},
          {"op_calls", counts.op_calls},
          {"op_calls_per_step", counts.per_step(counts.op_calls)},
          {"host_reads", counts.host_reads},
          {"host_reads_per_step", counts.per_step(counts.host_reads)},
          {"alloc_events", counts.alloc_events},
          {"alloc_events_per_step", counts.per_step(counts.alloc_events)},
          {"alloc_bytes", counts.alloc_bytes},
          {"alloc_bytes_per_step", counts.per_step(counts.alloc_bytes)},
          {"free_events", counts.free_events},
          {"peak_allocated_bytes", counts.peak_allocated_bytes},
          {"other_thread_op_calls", counts.other_thread_op_calls},
          {"other_thread_busy_s", static_cast<double>(counts.other_thread_busy_ns) / 1e9}};
}

json steps_json(const std::vector<StepTiming>& steps) {
  json out = json::array();
  for (const StepTiming& step : steps) {
    out.push_back({{"step", step.step},
                   {"action", step_action_name(step.action)},
                   {"step_time_s", step.step_s},
                   {"dataloader_wait_s", step.data_wait_s}});
  }
  return out;
}

std::vector<double> field(const std::vector<StepTiming>& steps, double StepTiming::*member,
                          double scale) {
  std::vector<double> values;
  for (const StepTiming& step : steps) values.push_back(step.*member * scale);
  return values;
}

void print_data_sizing(const DataCostSizer& sizing, double measured, std::FILE* out) {
  fmt::print(out,
             "  data cost sized from the training step, so that waiting for data takes >= {:.1f}x "
             "the step on any device and batch size:\n",
             sizing.target());
  fmt::print(out,
             "    the simulated storage delivers one batch per {:.1f} x the slowest step so far "
             "({} calibration steps: {:.2f} ms; slowest of the run: {:.2f} ms) = {:.2f} ms\n",
             1.0 + sizing.target(), sizing.calibration_steps_s().size(),
             sizing.calibration_step_s() * 1e3, sizing.reference_step_s() * 1e3,
             sizing.batch_interval_ms());
  fmt::print(out, "    measured: data wait / step = {:.2f} (target >= {:.1f}){}\n", measured,
             sizing.target(),
             measured >= sizing.target() ? ": data-bound, as designed"
                                         : ": below target, a step much slower than any before it "
                                           "came late in the run");
}

json sizing_json(const DataCostSizer& sizing, double measured) {
  return {{"rule", "paced storage: one batch per (1 + target) x the slowest step so far"},
          {"target_wait_ratio", sizing.target()},
          {"calibration_steps_s", sizing.calibration_steps_s()},
          {"calibration_step_s", sizing.calibration_step_s()},
          {"reference_step_s", sizing.reference_step_s()},
          {"initial_batch_interval_ms", sizing.initial_batch_interval_ms()},
          {"batch_interval_ms", sizing.batch_interval_ms()},
          {"measured_wait_ratio", measured}};
}

}  // namespace

double mean_step_time(const std::vector<StepTiming>& steps) {
  double sum = 0;
  for (const StepTiming& step : steps) sum += step.step_s;
  return steps.empty() ? 0 : sum / static_cast<double>(steps.size());
}

double mean_data_wait(const std::vector<StepTiming>& steps) {
  double sum = 0;
  for (const StepTiming& step : steps) sum += step.data_wait_s;
  return steps.empty() ? 0 : sum / static_cast<double>(steps.size());
}

double wait_to_step_ratio(double wait_s, double step_s) {
  return step_s > 0 ? wait_s / step_s : 0;
}

void print_summary(const ProfileReport& report, std::FILE* out) {
  const ProfileOptions& options = report.options;
  const RuntimeInfo& rt = report.snapshot.runtime;
  fmt::print(out, "coldbench-torch profile: scenario {} on {}\n", scenario_name(options.scenario),
             device_name(report.device));
  fmt::print(out, "  batch {} x 3x{}x{}, {} data-loader workers, pin_memory {}, amp {}, seed {}\n",
             options.batch_size, options.image_size, options.image_size, options.num_workers,
             options.pin_memory ? "on" : "off",
             report.amp.enabled ? fmt::format("on ({})", report.amp.dtype) : "off", options.seed);
  fmt::print(out, "  data per sample: cpu_work {}, {}; {} parameters{}{}{}\n",
             options.data.cpu_work,
             report.data_sizing ? std::string("then a paced storage (below)")
                                : fmt::format("io sleep {} ms", options.data.io_sleep_ms),
             report.shape.parameters,
             report.shape.tiny_ops_depth ? fmt::format("; tiny-ops block {} x (mul, add, tanh)",
                                                       report.shape.tiny_ops_depth)
                                         : "",
             report.shape.churn_tensors
                 ? fmt::format("; {} temporaries per step", report.shape.churn_tensors)
                 : "",
             report.shape.host_reads_per_step
                 ? fmt::format("; {} host reads per step", report.shape.host_reads_per_step)
                 : "");
  fmt::print(out,
             "  schedule: {} unprofiled warmup steps, then wait {}, warmup {}, active {} (x{})\n",
             options.warmup_steps, report.schedule.wait, report.schedule.warmup,
             report.schedule.active, report.schedule.repeat);
  fmt::print(out, "  LibTorch {}, {} compute threads, CPUs {} (effective {})\n", rt.torch_version,
             rt.num_threads, format_cpu_list(report.snapshot.cpu.budget.affinity), report.snapshot.cpu.effective_cpus);
  fmt::print(out, "\n");
  fmt::print(out, "  avg_step_time_s        {}\n", format_seconds(report.avg_step_time_s));
  fmt::print(out, "  avg_dataloader_wait_s  {}\n", format_seconds(report.avg_dataloader_wait_s));
  fmt::print(out, "  data wait / step       {:.2f}\n", report.data_wait_ratio);
  if (report.data_sizing) print_data_sizing(*report.data_sizing, report.data_wait_ratio, out);
  const ProfileCounts& counts = report.summary.counts;
  fmt::print(out,
             "  per active step (training thread): {:.1f} op calls, {:.1f} host reads, {:.1f} "
             "allocations ({}), peak allocated {}\n",
             counts.per_step(counts.op_calls), counts.per_step(counts.host_reads),
             counts.per_step(counts.alloc_events),
             format_mib(static_cast<int64_t>(counts.per_step(counts.alloc_bytes))),
             format_mib(counts.peak_allocated_bytes));
  if (counts.other_thread_op_calls > 0 || counts.other_thread_busy_ns > 0) {
    fmt::print(out,
               "  other threads (data-loader workers): {} op calls, {} busy in recorded ranges\n",
               counts.other_thread_op_calls,
               format_profiler_time(static_cast<double>(counts.other_thread_busy_ns) / 1e3));
  }
  for (const TraceWindowResult& window : report.windows) {
    fmt::print(out, "  trace (steps {}-{}): {}\n", window.first_step, window.last_step,
               window.trace_path);
  }
  fmt::print(out, "\nTop ops by self {} time (training thread, {} active steps):\n",
             report.device_time ? "CUDA" : "CPU", counts.steps);
  fmt::print(
      out, "{}",
      format_top_ops_table(report.summary, report.summary.ops, options.top, report.device_time));
  for (const std::string& note : report.notes) fmt::print(out, "note: {}\n", note);
  std::fflush(out);
}

json to_json(const ProfileReport& report) {
  const ProfileOptions& options = report.options;
  json doc;
  doc["schema"] = kProfileJsonSchema;
  doc["config"] = {{"scenario", scenario_name(options.scenario)},
                   {"batch_size", options.batch_size},
                   {"num_workers", options.num_workers},
                   {"pin_memory", options.pin_memory},
                   {"amp", options.amp},
                   {"amp_dtype", report.amp.enabled ? json(report.amp.dtype) : json(nullptr)},
                   {"loss_scaling", report.amp.loss_scaling},
                   {"device", device_name(report.device)},
                   {"warmup_steps", options.warmup_steps},
                   {"profile_steps", options.profile_steps},
                   {"schedule",
                    {{"wait", report.schedule.wait},
                     {"warmup", report.schedule.warmup},
                     {"active", report.schedule.active},
                     {"repeat", report.schedule.repeat}}},
                   {"with_stack", options.with_stack},
                   {"seed", options.seed},
                   {"image_size", options.image_size},
                   {"threads", options.threads},
                   {"cpu_work", options.data.cpu_work},
                   {"io_sleep_ms", options.data.io_sleep_ms},
                   {"paced_storage", options.data.paced},
                   {"dataset_size", report.dataset_size},
                   {"parameters", report.shape.parameters},
                   {"tiny_ops_depth", report.shape.tiny_ops_depth},
                   {"churn_tensors", report.shape.churn_tensors},
                   {"host_reads_per_step", report.shape.host_reads_per_step}};
  doc["avg_step_time_s"] = report.avg_step_time_s;
  doc["avg_dataloader_wait_s"] = report.avg_dataloader_wait_s;
  doc["data_wait_ratio"] = report.data_wait_ratio;
  doc["data_sizing"] = report.data_sizing
                           ? sizing_json(*report.data_sizing, report.data_wait_ratio)
                           : json(nullptr);
  doc["trace_dir"] = options.trace_dir;
  json traces = json::array();
  json windows = json::array();
  for (const TraceWindowResult& window : report.windows) {
    traces.push_back(window.trace_path);
    windows.push_back({{"index", window.index},
                       {"first_step", window.first_step},
                       {"last_step", window.last_step},
                       {"trace", window.trace_path},
                       {"op_events", window.op_events},
                       {"memory_events", window.memory_events},
                       {"counts", counts_json(window.counts)}});
  }
  doc["traces"] = traces;
  doc["windows"] = windows;
  doc["counts"] = counts_json(report.summary.counts);
  auto op_rows = [&](const std::vector<OpStats>& ops) {
    json rows = json::array();
    for (const OpStats& op : ops) {
      if (static_cast<int>(rows.size()) >= options.top) break;
      json entry = {{"name", op.name},
                    {"annotation", op.annotation},
                    {"calls", op.calls},
                    {"self_cpu_us", static_cast<double>(op.self_ns) / 1e3},
                    {"cpu_total_us", static_cast<double>(op.total_ns) / 1e3},
                    {"alloc_events", op.alloc_events},
                    {"alloc_bytes", op.alloc_bytes}};
      if (report.device_time) {
        entry["self_device_us"] = op.self_device_us;
        entry["device_total_us"] = op.total_device_us;
      }
      rows.push_back(entry);
    }
    return rows;
  };
  json top = op_rows(report.summary.ops);
  // Operators by number of calls (torch.profiler's sort_by="count"): where
  // tiny ops and churn show, whatever their time.
  std::vector<OpStats> by_calls;
  for (const OpStats& op : report.summary.ops) {
    if (!op.annotation) by_calls.push_back(op);
  }
  std::stable_sort(by_calls.begin(), by_calls.end(),
                   [](const OpStats& a, const OpStats& b) { return a.calls > b.calls; });
  doc["top_ops_by_calls"] = op_rows(by_calls);
  doc["top_ops"] = top;
  doc["top_ops_sort"] = report.device_time ? "self_device_time" : "self_cpu_time";
  doc["self_cpu_total_us"] = static_cast<double>(report.summary.self_total_ns) / 1e3;
  doc["steps"] = steps_json(report.steps);
  doc["warmup"] = steps_json(report.warmup_steps);
  doc["final_loss"] = report.final_loss;
  add_runtime_snapshot_json(doc, report.snapshot);
  // The profiler is coldbench-torch's own (no Kineto); the worker names the trace files.
  doc["runtime"]["kineto"] = false;
  doc["runtime"]["worker"] = report.worker;
  doc["phases"] = phases_json(report.phases, std::nullopt);
  doc["notes"] = report.notes;
  doc["peak_rss_bytes"] = report.peak_rss_bytes;
  return doc;
}

Expected<void> write_json(const ProfileReport& report, const std::string& path) {
  std::error_code error;
  std::filesystem::path parent = std::filesystem::absolute(path).parent_path();
  std::filesystem::create_directories(parent, error);
  auto written = write_file_atomically(path, json_text(to_json(report), 2) + "\n");
  if (!written) {
    return make_error("--json: {}. fix: check that {} is writable", written.error().message,
                      parent.string());
  }
  return {};
}

void emit_markers(const ProfileReport& report) {
  if (!marker::enabled()) return;
  const ProfileCounts& counts = report.summary.counts;
  marker::metric("step_time", "ms", field(report.steps, &StepTiming::step_s, 1e3));
  marker::metric("dataloader_wait", "ms", field(report.steps, &StepTiming::data_wait_s, 1e3));
  marker::metric("avg_step_time_s", "s", report.avg_step_time_s);
  marker::metric("avg_dataloader_wait_s", "s", report.avg_dataloader_wait_s);
  marker::metric("data_wait_ratio", "", report.data_wait_ratio);
  if (report.data_sizing) {
    marker::metric("data_batch_interval", "ms", report.data_sizing->batch_interval_ms());
  }
  marker::metric("op_calls_per_step", "", counts.per_step(counts.op_calls));
  marker::metric("host_reads_per_step", "", counts.per_step(counts.host_reads));
  marker::metric("alloc_events_per_step", "", counts.per_step(counts.alloc_events));
  marker::metric("alloc_bytes_per_step", "bytes", counts.per_step(counts.alloc_bytes));
  marker::metric("peak_allocated", "bytes", static_cast<double>(counts.peak_allocated_bytes));
  marker::metric("self_cpu_total", "ms", static_cast<double>(report.summary.self_total_ns) / 1e6);
  marker::metric("rss.peak", "bytes", static_cast<double>(report.peak_rss_bytes));

  const ProfileOptions& options = report.options;
  marker::info("profile.scenario", std::string(scenario_name(options.scenario)));
  marker::info("profile.device", std::string(device_name(report.device)));
  marker::info("profile.batch_size", static_cast<long long>(options.batch_size));
  marker::info("profile.num_workers", options.num_workers);
  marker::info("profile.pin_memory", options.pin_memory);
  marker::info("profile.amp", report.amp.enabled ? report.amp.dtype : std::string("off"));
  marker::info("profile.image_size", static_cast<long long>(options.image_size));
  marker::info("profile.cpu_work", static_cast<long long>(options.data.cpu_work));
  marker::info("profile.io_sleep_ms", options.data.io_sleep_ms);
  marker::info("profile.paced_storage", options.data.paced);
  marker::info("profile.active_steps", static_cast<long long>(counts.steps));
  for (size_t i = 0; i < report.windows.size(); ++i) {
    marker::info(fmt::format("profile.trace.{}", i), report.windows[i].trace_path);
  }
  if (!report.options.output_json.empty()) marker::info("profile.output_json", options.output_json);
  emit_runtime_markers(report.snapshot);
}

}  // namespace coldbench::workload
