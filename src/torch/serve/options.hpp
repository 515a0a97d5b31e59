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
};
// "throw-after:K", "delay-ms:D", or both comma-separated.
Expected<FaultPlan> parse_fault(std::string_view text);

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
  int read_timeout_s = 5;
  int drain_timeout_s = 10;
  FaultPlan fault;
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
  long long read_timeout_s = 5;
  long long drain_timeout_s = 10;
  std::string fault;
};

Expected<ServeOptions> validate(const RawServeArgs& raw);

}  // namespace coldbench::workload::serve
