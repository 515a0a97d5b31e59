#pragma once
// The HTTP side of `coldbench-torch serve` (cpp-httplib): endpoints, the
// inference pool, metrics and bad-input handling. It runs models through
// ServedModel::run, so this file and server.cpp include no LibTorch header;
// command.cpp loads the models and hands them over.
//
// Every finished predict request (served, refused or failed) is reported to
// the RequestObservers as one RequestRecord: the metrics subscribe that way,
// and structured logs and anomaly detectors are meant to as well.

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "torch/common/model.hpp"  // OutputValues
#include "torch/common/shapes.hpp"
#include "torch/serve/metrics.hpp"
#include "torch/serve/options.hpp"
#include "torch/serve/request.hpp"

namespace coldbench::workload::serve {

class AbExperiment;

struct ServedModel {
  std::string name;
  std::string version;  // a digest of the model file
  std::string mode;     // script | frozen | optimized
  std::string device = "cpu";
  std::vector<int64_t>
      sample_shape;  // one sample, no batch dimension; empty: unknown (not checked)
  std::function<Expected<OutputValues>(const TensorInput&)> run;  // thread-safe
  // serve --size-range: H and W of a request may be anything in the range
  // (the other dimensions as sample_shape's), through these buckets.
  std::optional<SizeRange> size_range;
  std::optional<BucketPlan> bucket_plan;
  size_t bucket_cache = 0;
};

struct RequestRecord {
  std::string request_id;
  std::string model;    // a served model's name; "" when the request named none
  std::string version;  // "" with no model
  std::string mode;
  int status = 0;
  std::string error_type;            // "" on success
  std::vector<int64_t> input_shape;  // empty when the body was not parsed
  double queue_ms = 0;               // waiting for a worker (and, batching, for the batch)
  double inference_ms = 0;           // forward pass; 0 when it did not run
  bool inference_ran = false;
  std::string arm;  // "A" or "B" when an A/B experiment routed it (serve/ab.hpp); "" otherwise
};
using RequestObserver = std::function<void(const RequestRecord&)>;

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 0;
  size_t max_body = 16u << 20;
  int read_timeout_s = 5;
  int workers = 1;
  int queue = 16;
  int max_batch = 1;  // dynamic batching off at 1 (batcher.hpp)
  double batch_timeout_ms = 5;
  std::vector<double> buckets = metrics::default_latency_buckets();
  FaultPlan fault;
};
ServerConfig server_config(const ServeOptions& options);

// The path label of http_requests_total: the route, not the raw path, so
// clients cannot grow the label set ("/v1/models/{name}:predict", "other").
std::string route_label(const std::string& path);

class ModelServer {
 public:
  explicit ModelServer(ServerConfig config);
  ~ModelServer();  // stop()
  ModelServer(const ModelServer&) = delete;
  ModelServer& operator=(const ModelServer&) = delete;

  // Before start(): subscribers to every finished predict request.
  void add_observer(RequestObserver observer);
  // Before start(): route requests to the experiment's A model between its
  // arms, answer X-Coldbench-Arm, and serve GET /v1/ab (docs/serve.md).
  void set_ab(std::shared_ptr<AbExperiment> experiment);
  // Binds host:port; returns the port (the chosen one for port 0).
  Expected<int> bind();
  void start();  // serves on a thread of its own; /readyz says 503 until set_ready
  // The models to serve, then readiness (after load and warmup).
  void publish(std::vector<ServedModel> models);
  void set_ready();

  // Stops accepting, lets in-flight requests finish, joins every thread.
  // Callable from any thread, more than once.
  void stop();
  bool stopping() const;
  int64_t in_flight() const;
  metrics::Registry& registry();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace coldbench::workload::serve
