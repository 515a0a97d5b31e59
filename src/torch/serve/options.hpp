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
#include "torch/serve/leak_watch.hpp"

namespace coldbench::workload::serve {

// `--model NAME=PATH` serves PATH as NAME; `--model NAME_OR_PATH` serves a
// catalog model or file under its own name (resolved later).
struct ModelSpec {
  std::string name;  // empty: the resolved model's name
  std::string source;
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
};

Expected<ServeOptions> validate(const RawServeArgs& raw);

}  // namespace coldbench::workload::serve
