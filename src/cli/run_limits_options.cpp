// `coldbench run --cpus F --cpuset LIST --memory SIZE --affinity LIST
// --threads auto|N`: turns the flags into the setup's LimitSpec.

#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <memory>

#include "cli/run_option_groups.hpp"
#include "core/env_var.hpp"
#include "core/units.hpp"
#include "limits/limit_spec.hpp"
#include "limits/limits_hook.hpp"
#include "limits/resolved_limits.hpp"

namespace coldbench::cli {
namespace {

Expected<double> parse_cpus(const std::string& text) {
  double cpus = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), cpus);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(cpus)) {
    return make_error("--cpus '{}': not a number of CPUs; write e.g. 0.5 or 2", text);
  }
  return cpus;
}

Expected<limits::ThreadSetting> parse_threads(const std::string& text) {
  limits::ThreadSetting setting;
  if (text == "auto") {
    setting.automatic = true;
    return setting;
  }
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), setting.count);
  if (ec != std::errc() || end != text.data() + text.size() || setting.count < 1) {
    return make_error("--threads '{}': give auto or a thread count of at least 1", text);
  }
  return setting;
}

class LimitsOptionGroup : public RunOptionGroup {
 public:
  void add_options(CLI::App& sub) override {
    sub.add_option("--cpus", cpus_,
                   "CPU quota of each run in CPUs, e.g. 0.5 or 1.5 (CFS quota per 100 ms period "
                   "in a per-run cgroup; needs root or a delegated cgroup v2 subtree, see "
                   "`coldbench env`)")
        ->type_name("F");
    sub.add_option("--cpuset", cpuset_,
                   "CPUs each run's cgroup may use, e.g. 0 or 0-1,3 (cgroup cpuset)")
        ->type_name("LIST");
    sub.add_option("--memory", memory_,
                   "Memory limit of each run, e.g. 64M or 2G (at least 4M), without swap; a run "
                   "killed by it is recorded as OOM-killed")
        ->type_name("SIZE");
    sub.add_option("--affinity", affinity_,
                   "Pin each run to these CPUs with sched_setaffinity, e.g. 0-1 (no privileges "
                   "needed)")
        ->type_name("LIST");
    sub.add_option("--threads", threads_,
                   "Set OMP_NUM_THREADS, MKL_NUM_THREADS and OPENBLAS_NUM_THREADS in the "
                   "workload's environment; auto = the run's effective CPUs (CPU quota rounded "
                   "down, at least 1)")
        ->type_name("auto|N");
  }

  Expected<void> apply(const bench::SessionOptions& options, setup::RunSetup& run_setup) override {
    limits::LimitSpec& spec = run_setup.limits;
    if (!cpus_.empty()) {
      auto cpus = parse_cpus(cpus_);
      if (!cpus) return cpus.error();
      spec.cpus = *cpus;
    }
    if (!cpuset_.empty()) spec.cpuset = cpuset_;
    if (!memory_.empty()) {
      auto bytes = parse_size_bytes(memory_);
      if (!bytes) return bytes.error().with_context("--memory");
      auto allowed = limits::check_memory_limit(*bytes);
      if (!allowed) return allowed.error().with_context(fmt::format("--memory {}", memory_));
      spec.memory_bytes = *bytes;
    }
    if (!affinity_.empty()) spec.affinity = affinity_;
    if (!threads_.empty()) {
      auto threads = parse_threads(threads_);
      if (!threads) return threads.error();
      spec.threads = *threads;
      for (const auto& [key, value] : options.env) {
        for (std::string_view name : thread_count_variables()) {
          if (key == name) {
            return make_error("--threads and --env {}={} both set {}; keep one of them", key, value,
                              name);
          }
        }
      }
    }
    return {};
  }

  void describe(const setup::RunSetup&, const setup::RunHooks& hooks,
                nlohmann::json& options_json) const override {
    const limits::ResolvedLimits& resolved = hooks.limits->limits();
    const limits::LimitSpec& spec = resolved.spec;
    auto applied = limits::applied_limits(resolved, "");
    nlohmann::json description = {
        {"cpus", spec.cpus ? nlohmann::json(*spec.cpus) : nlohmann::json(nullptr)},
        {"cpuset", applied.cpuset},
        {"memory_bytes",
         spec.memory_bytes ? nlohmann::json(*spec.memory_bytes) : nlohmann::json(nullptr)},
        {"affinity", applied.affinity},
        {"threads", threads_},
        {"effective_cpus", resolved.effective_cpus}};
    options_json["limits"] = description;
  }

 private:
  std::string cpus_, cpuset_, memory_, affinity_, threads_;
};

}  // namespace

std::unique_ptr<RunOptionGroup> make_limits_options() {
  return std::make_unique<LimitsOptionGroup>();
}

}  // namespace coldbench::cli
