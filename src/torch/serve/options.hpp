#pragma once
// What `coldbench-torch serve` was asked to do, validated without LibTorch or
// HTTP: every bad value becomes one Error naming the option and the fix
// (exit code 2).

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model.hpp"  // Mode
#include "torch/serve/anomaly.hpp"
#include "torch/serve/buckets.hpp"
#include "torch/serve/canary.hpp"
#include "torch/serve/leak_watch.hpp"

namespace coldbench::workload::serve {

// `--model NAME=PATH` serves PATH as NAME; `--model NAME_OR_PATH` serves a
// catalog model or file under its own name (resolved later). A trailing
// `@MODE` (script, frozen, optimized) serves that model in that mode instead
// of --mode's, so one file can be served twice, e.g. as an A/B pair.
struct ModelSpec {
  std::string name;  // empty: the resolved model's name
  std::string source;
  std::optional<Mode> mode;  // nullopt: --mode
};
Expected<ModelSpec> parse_model_spec(std::string_view text);

// Injected faults, so tests can make the model fail (docs/serve.md).
struct FaultPlan {
  std::optional<int64_t> throw_after;  // every predict after the first K throws
  int64_t delay_ms = 0;                // every forward sleeps this long first
  int64_t leak_per_request = 0;        // bytes every served predict allocates and keeps
  std::optional<int64_t> delay_after;  // every predict after the first K sleeps delay_after_ms
  int64_t delay_after_ms = 0;
  std::optional<int64_t> stall_at;  // the K-th predict (1-based) sleeps stall_ms, once
  int64_t stall_ms = 0;
};
// "throw-after:K", "delay-ms:D", "leak-per-request:BYTES", "delay-after:K:MS",
// "stall-at:K:MS", comma-separated.
Expected<FaultPlan> parse_fault(std::string_view text);

// Structured JSON-lines logs (serve/structured_log.hpp).
struct LogOptions {
  std::string target = "stderr";  // "stderr", "off", or a file path
  int64_t max_bytes = 10 << 20;   // a file rotates past this; 0: never
  int files = 3;                  // rotated files kept beside the live one
  double sample = 0.01;           // fraction of successful inferences logged
};

// Detectors, leak watch and diagnostics (serve/watch.hpp).
struct WatchOptions {
  LogOptions log;
  std::vector<anomaly::DetectorKind> detectors = {anomaly::DetectorKind::kBaseline3Sigma,
                                                  anomaly::DetectorKind::kEwma,
                                                  anomaly::DetectorKind::kMad};
  anomaly::DetectorParams anomaly;
  bool leak_enabled = true;  // --leak-sample-ms 0 turns the sampler off
  leak::LeakParams leak;
  std::string diagnostics_dir;  // empty: no snapshots written
  int recent_latencies = 200;   // per model, in each anomaly snapshot
};

// An A/B experiment (docs/serve.md, "A/B and canary"): requests addressed to
// model `a` are served by `a` or `b`, routed by a stable hash of the request id.
struct AbOptions {
  std::string a;  // served model names
  std::string b;
  double ratio = 0.1;       // share of traffic to B (fixed; a canary ramps it)
  double threshold = 0.05;  // the verdict's practical margin (ComparisonPolicy::threshold)
  double alpha = 0.05;
  size_t window = 2000;  // latest forward-pass latencies kept per arm for the verdict
  std::optional<CanaryParams> canary;
};
// "A=NAME,B=NAME" (either order).
Expected<std::pair<std::string, std::string>> parse_ab_arms(std::string_view text);
// "1,5,20,50,100": whole percents, strictly increasing, ending at 100.
Expected<std::vector<int>> parse_canary_stages(std::string_view text);

struct ServeOptions {
  std::vector<ModelSpec> models;
  Mode mode = Mode::kScript;
  int threads = 0;  // intra-op; 0: LibTorch's default
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: any free port
  int warmup = 5;
  size_t max_body = 16u << 20;
  bool exit_when_ready = false;
  std::vector<double> buckets;  // seconds
  int workers = 1;              // inference threads
  int queue = 16;               // requests waiting for a worker beyond those
  int max_batch = 1;            // rows stacked into one forward pass; 1: no batching
  double batch_timeout_ms = 5;  // the longest a request waits for a batch to fill
  int read_timeout_s = 5;
  int drain_timeout_s = 10;
  FaultPlan fault;
  WatchOptions watch;
  // --size-range (and its buckets): any H x W within the range; nullopt:
  // the sidecar's input shape only.
  std::optional<ShapeServing> shapes;
  std::optional<AbOptions> ab;
};

struct RawServeArgs {
  std::vector<std::string> models;
  std::string mode = "script";
  long long threads = 0;
  std::string host = "127.0.0.1";
  long long port = 8080;
  long long warmup = 5;
  long long max_body = 16ll << 20;
  bool exit_when_ready = false;
  std::string buckets;  // empty: the defaults
  long long workers = 1;
  long long queue = 16;
  long long max_batch = 1;
  double batch_timeout_ms = 5;
  long long read_timeout_s = 5;
  long long drain_timeout_s = 10;
  std::string fault;
  // Inputs of any size within a range, through size buckets (serve/buckets.hpp).
  std::string size_range;
  RawBucketArgs size_buckets;  // its `buckets` is --size-buckets
  // Logs, detectors, leak watch (defaults as in WatchOptions).
  std::string log = "stderr";
  long long log_max_bytes = 10 << 20;
  long long log_files = 3;
  double log_sample = 0.01;
  std::string anomaly_detectors = "baseline_3sigma,ewma,mad";
  long long anomaly_baseline = 100;
  double anomaly_sigma = 3;
  double anomaly_ewma_alpha = 0.1;
  double anomaly_ewma_z = 3;
  long long anomaly_mad_window = 100;
  double anomaly_mad_k = 3.5;
  long long anomaly_min_count = 30;
  double anomaly_floor = 0.1;
  long long anomaly_raise_after = 5;
  long long anomaly_raise_window = 10;
  long long anomaly_clear_after = 20;
  long long leak_sample_ms = 1000;
  double leak_window_s = 300;
  double leak_threshold = 65536;
  std::string diagnostics_dir;
  // A/B and canary (defaults as in AbOptions and CanaryParams).
  std::string ab;
  double ab_ratio = 0.1;
  double ab_threshold = 0.05;
  double ab_alpha = 0.05;
  long long ab_window = 2000;
  bool canary = false;
  std::string canary_stages = "1,5,20,50,100";
  double canary_margin = 0.20;
  double canary_error_margin = 0.01;
  long long canary_stage_requests = 2000;
  double canary_stage_seconds = 300;
};

Expected<ServeOptions> validate(const RawServeArgs& raw);

// The start-up notice about libgomp's wait policy: with OpenMP and more than
// one intra-op thread, and neither OMP_WAIT_POLICY nor GOMP_SPINCOUNT set
// (null: unset), spinning between parallel regions makes forward passes many
// times slower once other work shares the CPUs (docs/serve.md, "Threads and
// CPUs"). nullopt when there is nothing to say.
std::optional<std::string> spin_wait_notice(bool openmp, int threads, const char* wait_policy,
                                            const char* spin_count);

}  // namespace coldbench::workload::serve
