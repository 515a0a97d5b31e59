// `coldbench-torch profile`: argument parsing and exit codes only; the work is
// in profile/runner.cpp, the output in profile/report.cpp.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <memory>

#include "torch/profile/options.hpp"
#include "torch/profile/report.hpp"
#include "torch/profile/runner.hpp"
#include "torch/subcommands.hpp"

namespace coldbench::workload {
namespace {

// Both outputs' directories are created up front, so a bad path fails in
// milliseconds rather than after the run.
Expected<void> prepare_destinations(const ProfileOptions& options) {
  std::error_code error;
  std::filesystem::create_directories(options.trace_dir, error);
  if (error || !std::filesystem::is_directory(options.trace_dir)) {
    return make_error("--trace-dir {}: cannot create the directory ({}). fix: pick a writable path",
                      options.trace_dir, error ? error.message() : "not a directory");
  }
  if (!options.output_json.empty()) {
    std::filesystem::path parent = std::filesystem::absolute(options.output_json).parent_path();
    std::filesystem::create_directories(parent, error);
    if (error || !std::filesystem::is_directory(parent)) {
      return make_error(
          "--json {}: cannot create its directory {} ({}). fix: pick a writable path",
          options.output_json, parent.string(), error ? error.message() : "not a directory");
    }
  }
  return {};
}

}  // namespace

Subcommand add_profile_command(CLI::App& parent, const ProcessContext& context) {
  auto raw = std::make_shared<RawProfileArgs>();
  auto cpu_work = std::make_shared<long long>(0);
  auto io_sleep = std::make_shared<double>(0);
  CLI::App* app = parent.add_subcommand(
      "profile",
      "Profile a small CNN's training steps in a scenario that plants one bottleneck "
      "(dataloader, sync, tiny_ops, memory_churn; baseline plants none): Chrome/TensorBoard "
      "traces per active window, a top-ops table, and a metrics JSON. Exit 0 ok, 2 bad input.");
  app->add_option("-s,--scenario", raw->scenario,
                  "baseline | dataloader | sync | tiny_ops | memory_churn")
      ->capture_default_str();
  app->add_option("-b,--batch-size", raw->batch_size, "samples per batch")->capture_default_str();
  app->add_option("--num-workers", raw->num_workers,
                  "data-loader worker threads (0: load in the training thread)")
      ->capture_default_str();
  app->add_flag("--pin-memory", raw->pin_memory,
                "pin batches in page-locked memory before the copy to CUDA (no effect on CPU)");
  app->add_flag("--amp", raw->amp, "autocast: CPU bfloat16; CUDA float16 with loss scaling");
  // --warmup as in infer (there iterations, here steps); --warmup-steps is the older spelling.
  app->add_option("--warmup,--warmup-steps", raw->warmup_steps,
                  "unprofiled steps before the schedule")
      ->capture_default_str();
  app->add_option("--profile-steps", raw->profile_steps,
                  "active (recorded) steps per window; the schedule is wait 1, warmup 1, active N")
      ->capture_default_str();
  app->add_option("--repeat", raw->repeat, "profiler windows, one trace each")
      ->capture_default_str();
  app->add_option("--trace-dir", raw->trace_dir,
                  "where traces go, as <worker>.<ms>.pt.trace.json (tensorboard --logdir)")
      ->capture_default_str();
  // --json FILE as everywhere else; --output-json is the older spelling.
  app->add_option("--json,--output-json", raw->output_json, "the metrics JSON; '' for none")
      ->capture_default_str();
  app->add_flag("--with-stack", raw->with_stack,
                "record each op's native call stack (this program's frames) and enclosing ranges");
  app->add_option("--seed", raw->seed, "seed of the weights, data and sampling")
      ->capture_default_str();
  app->add_option("--device", raw->device, "auto (CUDA when usable, else CPU) | cpu | cuda")
      ->capture_default_str();
  app->add_option("--image-size", raw->image_size, "side of the synthetic square images")
      ->capture_default_str();
  app->add_option("--threads", raw->threads,
                  "LibTorch intra-op threads (at::set_num_threads); 0: LibTorch's default")
      ->capture_default_str();
  app->add_option("--top", raw->top, "rows of the top-ops table")->capture_default_str();
  CLI::Option* cpu_work_option = app->add_option(
      "--cpu-work", *cpu_work,
      "augmentation iterations per sample (default: 4000 for dataloader, else 200)");
  CLI::Option* io_sleep_option =
      app->add_option("--io-sleep-ms", *io_sleep,
                      "simulated I/O per sample in ms, fixed (default 0; dataloader instead paces "
                      "its storage from the measured step, so data wait >= 2x the step)");
  app->add_flag("-q,--quiet", raw->quiet, "do not print the summary and the top-ops table");

  auto run = [raw, cpu_work, io_sleep, cpu_work_option, io_sleep_option, context]() -> Expected<int> {
    if (cpu_work_option->count() > 0) raw->cpu_work = *cpu_work;
    if (io_sleep_option->count() > 0) raw->io_sleep_ms = *io_sleep;
    auto options = validate(*raw);
    if (!options) return options.error();
    if (auto ready = prepare_destinations(*options); !ready) return ready.error();

    auto report = run_profile(*options, context.runtime_ready_ns);
    if (!report) return report.error();
    if (!options->quiet) print_summary(*report, stdout);
    if (!options->output_json.empty()) {
      if (auto written = write_json(*report, options->output_json); !written) {
        return written.error();
      }
      if (!options->quiet)
        fmt::print(stderr, "wrote {} (metrics; --json '' for none)\n", options->output_json);
    }
    return kExitOk;
  };
  return Subcommand{app, run};
}

}  // namespace coldbench::workload
