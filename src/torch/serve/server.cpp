#include "torch/serve/server.hpp"

#include <fmt/format.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <cstring>
#include <functional>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <regex>
#include <stdexcept>
#include <thread>

#include "core/json_text.hpp"
#include "torch/serve/buckets.hpp"
#include "torch/serve/ab.hpp"
#include "torch/serve/batcher.hpp"
#include "torch/serve/inference_pool.hpp"
#include "torch/serve/process_metrics.hpp"

namespace coldbench::workload::serve {
namespace {

using Clock = std::chrono::steady_clock;

double ms_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double, std::milli>(to - from).count();
}

const std::regex& predict_route() {
  static const std::regex route(R"(/v1/models/([^/]+):predict)");
  return route;
}

constexpr const char* kJson = "application/json";

}  // namespace

ServerConfig server_config(const ServeOptions& options) {
  ServerConfig config;
  config.host = options.host;
  config.port = options.port;
  config.max_body = options.max_body;
  config.read_timeout_s = options.read_timeout_s;
  config.workers = options.workers;
  config.queue = options.queue;
  config.max_batch = options.max_batch;
  config.batch_timeout_ms = options.batch_timeout_ms;
  config.buckets = options.buckets;
  config.fault = options.fault;
  return config;
}

std::string route_label(const std::string& path) {
  // Plain string checks: this runs on every response, std::regex is slow.
  constexpr std::string_view prefix = "/v1/models/", suffix = ":predict";
  const std::string_view view = path;
  if (view.size() > prefix.size() + suffix.size() && view.starts_with(prefix) &&
      view.ends_with(suffix) &&
      view.substr(prefix.size(), view.size() - prefix.size() - suffix.size()).find('/') ==
          std::string_view::npos) {
    return "/v1/models/{name}:predict";
  }
  for (const char* known : {"/v1/models", "/v1/ab", "/healthz", "/readyz", "/metrics"}) {
    if (path == known) return known;
  }
  return "other";
}

// The bucket bounds of model_batch_size: powers of two up to the largest --max-batch.
std::vector<double> batch_size_buckets() {
  std::vector<double> bounds;
  for (double b = 1; b <= 1024; b *= 2) bounds.push_back(b);
  return bounds;
}

struct ModelServer::Impl {
  // One request's forward pass, alone or as rows of a batch.
  struct Outcome {
    Expected<OutputValues> output = make_error("not run");
    Clock::time_point started, finished;
  };
  struct PendingPredict {
    std::shared_ptr<const TensorInput> input;
    const ServedModel* model = nullptr;
    std::shared_ptr<const std::vector<ServedModel>> keep_models;  // outlives a concurrent publish()
    std::shared_ptr<std::promise<Outcome>> promise;
  };

  ServerConfig config;
  httplib::Server http;
  InferencePool pool;
  // --max-batch > 1: predicts go through the batcher instead of the pool.
  std::unique_ptr<DynamicBatcher<PendingPredict>> batcher;
  std::thread listener;
  std::vector<RequestObserver> observers;
  std::shared_ptr<AbExperiment> ab;  // null: no experiment

  std::mutex models_mutex;  // guards the pointer only; the table itself is immutable
  std::shared_ptr<const std::vector<ServedModel>> models =
      std::make_shared<std::vector<ServedModel>>();
  std::atomic<bool> ready{false};
  std::atomic<bool> stopping{false};
  std::atomic<bool> listener_done{false};
  std::atomic<int64_t> forwards{0};  // predict forwards started, for --fault throw-after
  std::atomic<uint64_t> next_request{0};
  std::mutex stop_mutex;

  metrics::Registry registry;
  metrics::Family<metrics::Histogram>* latency = nullptr;
  metrics::Family<metrics::Counter>* errors = nullptr;
  metrics::Family<metrics::Counter>* requests = nullptr;
  metrics::Family<metrics::Histogram>* batch_size = nullptr;
  metrics::Family<metrics::Histogram>* queue_wait = nullptr;
  metrics::Gauge* in_flight = nullptr;

  explicit Impl(ServerConfig c)
      : config(std::move(c)),
        pool(static_cast<size_t>(config.workers), static_cast<size_t>(config.queue)) {
    latency = &registry.histogram("model_inference_latency_seconds",
                                  "Forward-pass latency of successful predict requests in seconds.",
                                  {"model", "version", "device"}, config.buckets);
    errors =
        &registry.counter("model_inference_errors_total",
                          "Predict requests that failed, by model and error_type (docs/serve.md).",
                          {"model", "error_type"});
    requests =
        &registry.counter("http_requests_total", "HTTP responses sent, by route and status code.",
                          {"path", "status"});
    in_flight =
        &registry.gauge("http_requests_in_flight", "HTTP requests being handled now.", {}).with({});
    batch_size = &registry.histogram(
        "model_batch_size",
        "Rows in each forward pass of predict requests (above 1 only with --max-batch).", {"model"},
        batch_size_buckets());
    queue_wait = &registry.histogram(
        "model_queue_wait_seconds",
        "Time a served predict request waited for a worker (and, batching, for its batch).",
        {"model"}, config.buckets);
    if (config.max_batch > 1) {
      const auto timeout_ns = static_cast<int64_t>(config.batch_timeout_ms * 1e6);
      const auto capacity =
          static_cast<size_t>(config.workers) * static_cast<size_t>(config.max_batch) +
          static_cast<size_t>(config.queue);
      batcher = std::make_unique<DynamicBatcher<PendingPredict>>(
          static_cast<size_t>(config.workers), capacity, config.max_batch, timeout_ns,
          [this](std::vector<PendingPredict>& batch) { run_batch(batch); });
    }
    metrics::register_process_metrics(registry);
    observers.push_back([this](const RequestRecord& record) { count(record); });
  }

  // --fault leak-per-request: memory that is written (so it is resident) and
  // kept until the process exits.
  std::mutex leaked_mutex;
  std::vector<std::unique_ptr<char[]>> leaked;
  void leak(int64_t bytes) {
    auto block = std::make_unique_for_overwrite<char[]>(static_cast<size_t>(bytes));
    std::memset(block.get(), 0xA5, static_cast<size_t>(bytes));
    std::lock_guard lock(leaked_mutex);
    leaked.push_back(std::move(block));
  }

  void count(const RequestRecord& record) {
    if (!record.error_type.empty()) {
      errors->with({record.model, record.error_type}).add();
    } else if (record.inference_ran) {
      latency->with({record.model, record.version, "cpu"}).observe(record.inference_ms / 1000.0);
      queue_wait->with({record.model}).observe(record.queue_ms / 1000.0);
    }
  }

  void notify(const RequestRecord& record) {
    for (const RequestObserver& observer : observers) observer(record);
  }

  std::shared_ptr<const std::vector<ServedModel>> table() {
    std::lock_guard lock(models_mutex);
    return models;
  }

  std::string request_id(const httplib::Request& req) {
    if (auto given = accept_request_id(req.get_header_value("X-Request-Id"))) return *given;
    return fmt::format("{:x}-{:06}", static_cast<unsigned>(getpid()),
                       next_request.fetch_add(1) + 1);
  }

  // Leaves the JSON error on `res` and tells the observers.
  void fail(httplib::Response& res, RequestRecord& record, const ApiError& error) {
    record.status = error.status;
    record.error_type = error.error_type;
    res.status = error.status;
    res.set_header("X-Request-Id", record.request_id);
    if (!record.arm.empty()) res.set_header("X-Coldbench-Arm", record.arm);
    res.set_content(error_json(error, record.request_id), kJson);
    notify(record);
  }

  // The body is read here, through httplib's content reader, before any
  // answer (a request refused early must still leave its body off the
  // keep-alive connection): a raw float32 body lands in the tensor's values
  // directly (PredictBody), not in a string that is then copied.
  void predict(const httplib::Request& req, httplib::Response& res,
               const httplib::ContentReader& read_body) {
    const std::string content_type = req.get_header_value("Content-Type");
    // Content-Length only sizes the buffer (httplib enforces it and --max-body).
    size_t announced = 0;
    const std::string length = req.get_header_value("Content-Length");
    std::from_chars(length.data(), length.data() + length.size(), announced);
    PredictBody body(content_type, std::min<size_t>(announced, config.max_body));
    // On failure httplib has set 413 (over --max-body) or 400 (cut short);
    // on_error writes the answer and counts it.
    if (!read_body([&body](const char* data, size_t size) {
          body.append(data, size);
          return true;
        }))
      return;
    RequestRecord record;
    record.request_id = request_id(req);
    const std::string name = req.matches[1];
    if (stopping)
      return fail(res, record,
                  {503, kErrShuttingDown, "the server is shutting down; retry elsewhere"});
    if (!ready)
      return fail(res, record,
                  {503, kErrNotReady, "models are still loading; retry when /readyz says 200"});
    auto models_now = table();
    std::string target = name;
    if (ab) {
      if (auto arm = ab->route(name, record.request_id)) {
        record.arm = std::string(arm_name(*arm));
        target = ab->model_of(*arm);
      }
    }
    const ServedModel* model = nullptr;
    for (const ServedModel& candidate : *models_now) {
      if (candidate.name == target) model = &candidate;
    }
    if (!model) {
      std::string names;
      for (const ServedModel& served : *models_now)
        names += (names.empty() ? "" : ", ") + served.name;
      return fail(
          res, record,
          {404, kErrUnknownModel,
           fmt::format("no model named '{}' is served (serving: {}); GET /v1/models lists them",
                       name.substr(0, 64), names)});
    }
    record.model = model->name;
    record.version = model->version;
    record.mode = model->mode;
    auto parsed = std::move(body).parse(content_type, req.get_header_value("X-Shape"),
                                        req.get_header_value("X-Dtype"));
    if (auto* error = std::get_if<ApiError>(&parsed)) return fail(res, record, *error);
    auto input = std::make_shared<TensorInput>(std::get<TensorInput>(std::move(parsed)));
    record.input_shape = input->shape;
    if (auto error = model->size_range
                         ? check_input_size(input->shape, model->sample_shape, *model->size_range)
                         : check_input_shape(input->shape, model->sample_shape))
      return fail(res, record, *error);

    auto promise = std::make_shared<std::promise<Outcome>>();
    std::future<Outcome> future = promise->get_future();
    const Clock::time_point submitted = Clock::now();
    PendingPredict pending{input, model, models_now, promise};
    bool accepted = false;
    if (batcher) {
      accepted = batcher->try_submit(batch_key(model->name, input->shape), batch_rows(input->shape),
                                     std::move(pending));
    } else {
      accepted = pool.try_submit([this, pending = std::move(pending)]() mutable {
        std::vector<PendingPredict> one;
        one.push_back(std::move(pending));
        run_batch(one);
      });
    }
    if (!accepted) {
      return fail(
          res, record,
          stopping
              ? ApiError{503, kErrShuttingDown, "the server is shutting down; retry elsewhere"}
              : ApiError{503, kErrQueueFull,
                         fmt::format("every inference worker is busy and the queue ({} waiting) is "
                                     "full; retry later or raise --workers/--queue",
                                     config.queue)});
    }
    Outcome outcome = future.get();
    record.queue_ms = ms_between(submitted, outcome.started);
    record.inference_ms = ms_between(outcome.started, outcome.finished);
    if (!outcome.output) {
      return fail(res, record,
                  {500, kErrModelError,
                   fmt::format("the model failed: {}", outcome.output.error().message)});
    }
    record.inference_ran = true;
    record.status = 200;
    PredictAnswer answer;
    answer.model = model->name;
    answer.version = model->version;
    answer.request_id = record.request_id;
    answer.output_shape = outcome.output->shape;
    answer.output = std::move(outcome.output->values);
    answer.latency_ms = record.inference_ms;
    answer.queue_ms = record.queue_ms;
    res.set_header("X-Request-Id", record.request_id);
    if (!record.arm.empty()) res.set_header("X-Coldbench-Arm", record.arm);
    res.set_content(predict_json(answer), kJson);
    notify(record);
  }

  // One forward pass with serve's injected faults (--fault), errors as values.
  Expected<OutputValues> forward(const ServedModel& model, const TensorInput& input) {
    try {
      const int64_t index = forwards.fetch_add(1) + 1;
      const FaultPlan& fault = config.fault;
      if (fault.delay_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_ms));
      if (fault.delay_after && index > *fault.delay_after && fault.delay_after_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(fault.delay_after_ms));
      if (fault.stall_at && index == *fault.stall_at && fault.stall_ms > 0)
        std::this_thread::sleep_for(std::chrono::milliseconds(fault.stall_ms));
      if (fault.throw_after && index > *fault.throw_after) {
        throw std::runtime_error(fmt::format("injected fault: throw-after:{} (this is forward {})",
                                             *fault.throw_after, index));
      }
      auto output = model.run(input);
      if (output && fault.leak_per_request > 0) leak(fault.leak_per_request);
      return output;
    } catch (const std::exception& e) {
      return make_error("{}", e.what());
    }
  }

  // Runs requests of one model and trailing shape as one forward pass (rows
  // stacked along dim 0) and answers each with its own rows. A model whose
  // output does not keep the batch dimension gets each request run alone.
  void run_batch(std::vector<PendingPredict>& batch) {
    const ServedModel& model = *batch.front().model;
    Outcome shared;
    shared.started = Clock::now();
    std::vector<int64_t> rows;
    rows.reserve(batch.size());
    int64_t total_rows = 0;
    for (const PendingPredict& p : batch) {
      rows.push_back(batch_rows(p.input->shape));
      total_rows += rows.back();
    }
    if (batch.size() == 1) {
      shared.output = forward(model, *batch.front().input);
      shared.finished = Clock::now();
      batch_size->with({model.name}).observe(static_cast<double>(total_rows));
      batch.front().promise->set_value(std::move(shared));
      return;
    }
    std::vector<const TensorInput*> inputs;
    inputs.reserve(batch.size());
    for (const PendingPredict& p : batch) inputs.push_back(p.input.get());
    Expected<std::vector<OutputValues>> parts = make_error("not run");
    auto stacked = stack_inputs(inputs);
    if (stacked) {
      auto output = forward(model, *stacked);
      shared.finished = Clock::now();
      if (!output) {
        for (PendingPredict& p : batch) {
          Outcome failed{output.error(), shared.started, shared.finished};
          p.promise->set_value(std::move(failed));
        }
        return;
      }
      parts = split_output(*output, rows);
    }
    if (!parts) {
      for (PendingPredict& p : batch) {
        std::vector<PendingPredict> one;
        one.push_back(std::move(p));
        run_batch(one);
      }
      return;
    }
    batch_size->with({model.name}).observe(static_cast<double>(total_rows));
    for (size_t i = 0; i < batch.size(); ++i) {
      Outcome outcome{std::move((*parts)[i]), shared.started, shared.finished};
      batch[i].promise->set_value(std::move(outcome));
    }
  }

  // httplib calls this for every response of status 400 or more, just before
  // writing it: ours, its own, and the exception handler's 500. Errors httplib
  // makes itself (no handler ran: 413, 404, a request it could not read) get
  // the same JSON shape; our own handlers' errors keep theirs.
  httplib::Server::HandlerResponse on_error(const httplib::Request& req, httplib::Response& res) {
    count_response(req, res.status);
    if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
    ApiError error{res.status, "http_error", fmt::format("HTTP {}", res.status)};
    if (res.status == 413) {
      error = {413, kErrBodyTooLarge,
               fmt::format("the body is larger than --max-body ({} bytes); send a smaller input",
                           config.max_body)};
    } else if (res.status == 404 || res.status == 405) {
      error = {res.status, kErrNotFound,
               fmt::format("no endpoint {} {}; see docs/serve.md for the endpoints", req.method,
                           req.path.substr(0, 128))};
    } else if (res.status == 400) {
      error = {400, kErrIncompleteRequest,
               fmt::format("the request could not be read in full (malformed, or slower than "
                           "--read-timeout {} s)",
                           config.read_timeout_s)};
    }
    std::smatch match;
    RequestRecord record;
    record.request_id = request_id(req);
    record.status = error.status;
    record.error_type = error.error_type;
    if (req.method == "POST" && std::regex_match(req.path, match, predict_route())) {
      for (const ServedModel& model : *table()) {
        if (model.name == match[1]) {
          record.model = model.name;
          record.version = model.version;
        }
      }
      notify(record);
    }
    res.set_header("X-Request-Id", record.request_id);
    res.set_content(error_json(error, record.request_id), kJson);
    return httplib::Server::HandlerResponse::Handled;
  }

  // serve --size-range: the range and its buckets, as /v1/models lists them.
  static nlohmann::json size_range_json(const ServedModel& model) {
    nlohmann::json sizes = {{"min", model.size_range->min}, {"max", model.size_range->max}};
    if (!model.bucket_plan) return sizes;
    nlohmann::json buckets = {{"cache", model.bucket_cache},
                              {"describe", model.bucket_plan->describe()}};
    if (model.bucket_plan->width() > 0) {
      buckets["width"] = model.bucket_plan->width();
    } else {
      nlohmann::json listed = nlohmann::json::array();
      for (const Size& bucket : model.bucket_plan->listed()) listed.push_back(format_size(bucket));
      buckets["list"] = std::move(listed);
      buckets["fallback"] = "dynamic";
    }
    sizes["buckets"] = std::move(buckets);
    return sizes;
  }

  void models_listing(httplib::Response& res) {
    nlohmann::json list = nlohmann::json::array();
    for (const ServedModel& model : *table()) {
      nlohmann::json shape = nlohmann::json::array();
      if (!model.sample_shape.empty()) {
        shape.push_back(1);
        for (int64_t dim : model.sample_shape) shape.push_back(dim);
      }
      nlohmann::json entry = {
          {"name", model.name},
          {"version", model.version},
          {"mode", model.mode},
          {"device", model.device},
          {"input_shape", model.sample_shape.empty() ? nlohmann::json() : shape}};
      if (model.size_range) entry["size_range"] = size_range_json(model);
      list.push_back(std::move(entry));
    }
    res.set_content(json_text(nlohmann::json{{"models", list}}), kJson);
  }

  // Counted before the response is written, so a scrape that follows an
  // answer always includes it (httplib's logger runs only after the write).
  void count_response(const httplib::Request& req, int status) {
    requests->with({route_label(req.path), std::to_string(status)}).add();
  }

  // Every handler runs under this: http_requests_in_flight while it runs,
  // then the count of a success (errors are counted in on_error; a handler
  // that throws reaches on_error as the exception handler's 500).
  void tracked(const httplib::Request& req, httplib::Response& res,
               const std::function<void()>& handler) {
    in_flight->add(1);
    struct Leave {
      metrics::Gauge* gauge;
      ~Leave() { gauge->add(-1); }
    } leave{in_flight};
    handler();
    // httplib turns an unset status into 200 (206 for a range request) when it writes.
    const int status = res.status == -1 ? (req.ranges.empty() ? 200 : 206) : res.status;
    if (status < 400) count_response(req, status);
  }

  void routes() {
    auto handled = [this](std::function<void(const httplib::Request&, httplib::Response&)> handler) {
      return [this, handler = std::move(handler)](const httplib::Request& req, httplib::Response& res) {
        tracked(req, res, [&] { handler(req, res); });
      };
    };
    http.Post(R"(/v1/models/([^/]+):predict)",
              httplib::Server::HandlerWithContentReader(
                  [this](const httplib::Request& req, httplib::Response& res,
                         const httplib::ContentReader& read_body) {
                    tracked(req, res, [&] { predict(req, res, read_body); });
                  }));
    http.Get("/v1/models", handled([this](const httplib::Request&, httplib::Response& res) { models_listing(res); }));
    http.Get("/v1/ab", handled([this](const httplib::Request&, httplib::Response& res) {
               if (!ab) {
                 res.status = 404;
                 res.set_content(error_json({404, kErrNotFound,
                                             "no A/B experiment: start serve with --ab "
                                             "A=NAME,B=NAME (docs/serve.md)"}),
                                 kJson);
                 return;
               }
               res.set_content(json_text(ab->status()), kJson);
             }));
    http.Get("/healthz", handled([](const httplib::Request&, httplib::Response& res) {
               res.set_content(R"({"status":"ok"})", kJson);
             }));
    http.Get("/readyz", handled([this](const httplib::Request&, httplib::Response& res) {
               if (ready && !stopping) {
                 res.set_content(R"({"status":"ready"})", kJson);
                 return;
               }
               res.status = 503;
               res.set_content(error_json({503, kErrNotReady,
                                           stopping ? "the server is shutting down"
                                                    : "models are loading or warming up"}),
                               kJson);
             }));
    http.Get("/metrics", handled([this](const httplib::Request&, httplib::Response& res) {
               res.set_content(registry.encode(), metrics::kContentType);
             }));
    http.set_error_handler(httplib::Server::HandlerWithResponse(
        [this](const httplib::Request& req, httplib::Response& res) {
          return on_error(req, res);
        }));
    http.set_exception_handler(
        [](const httplib::Request&, httplib::Response& res, std::exception_ptr error) {
          std::string what = "unknown error";
          try {
            if (error) std::rethrow_exception(error);
          } catch (const std::exception& e) {
            what = e.what();
          } catch (...) {
          }
          res.status = 500;
          res.set_content(error_json({500, "internal_error", what}), kJson);
        });
  }
};

ModelServer::ModelServer(ServerConfig config) : impl_(std::make_unique<Impl>(std::move(config))) {
  Impl& impl = *impl_;
  impl.http.set_payload_max_length(impl.config.max_body);
  // Without TCP_NODELAY a small answer waits for the client's delayed ACK (~40 ms).
  impl.http.set_tcp_nodelay(true);
  impl.http.set_read_timeout(impl.config.read_timeout_s, 0);
  impl.http.set_write_timeout(impl.config.read_timeout_s, 0);
  // An idle keep-alive connection holds a thread through shutdown: keep it short.
  impl.http.set_keep_alive_timeout(2);
  // httplib closes a connection after 5 requests by default; scrapers and
  // clients that keep one open would pay a new TCP handshake every 5th time.
  impl.http.set_keep_alive_max_count(1000);
  // Enough HTTP threads for every request a worker or the queue can take,
  // plus a few for /metrics, /healthz and refusals.
  // Batching: every request of a full batch per worker holds a thread too.
  const int batching = impl.config.workers * (impl.config.max_batch - 1);
  const size_t threads = static_cast<size_t>(std::min(impl.config.workers + impl.config.queue, 64) +
                                             std::min(batching, 1024) + 4);
  impl.http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
  impl.routes();
}

ModelServer::~ModelServer() {
  stop();
}

void ModelServer::add_observer(RequestObserver observer) {
  impl_->observers.push_back(std::move(observer));
}

void ModelServer::set_ab(std::shared_ptr<AbExperiment> experiment) {
  impl_->ab = experiment;
  impl_->observers.push_back(
      [experiment](const RequestRecord& record) { experiment->observe(record); });
}

Expected<int> ModelServer::bind() {
  Impl& impl = *impl_;
  if (impl.config.port == 0) {
    int port = impl.http.bind_to_any_port(impl.config.host);
    if (port <= 0) {
      return make_error(
          "cannot listen on {} (any port). fix: check --host is an address of this machine",
          impl.config.host);
    }
    return port;
  }
  if (!impl.http.bind_to_port(impl.config.host, impl.config.port)) {
    return make_error(
        "cannot listen on {}:{} (in use, or not an address of this machine). fix: pick another "
        "--port, or --port 0 for any free port",
        impl.config.host, impl.config.port);
  }
  return impl.config.port;
}

void ModelServer::start() {
  impl_->listener = std::thread([this] {
    impl_->http.listen_after_bind();
    impl_->listener_done = true;
  });
}

void ModelServer::publish(std::vector<ServedModel> models) {
  // Every series a served model can have exists from the start, at zero:
  // Prometheus' rate() and increase() need a sample before the first event,
  // or the first burst of errors (or a model's first successes) never
  // reaches a rate-based alert.
  for (const ServedModel& model : models) {
    impl_->latency->with({model.name, model.version, model.device});
    impl_->batch_size->with({model.name});
    impl_->queue_wait->with({model.name});
    for (const char* type : {kErrInvalidShape, kErrShapeMismatch, kErrSizeMismatch, kErrUnsupportedDtype,
                             kErrMalformedJson, kErrBodyTooLarge, kErrUnsupportedMediaType, kErrIncompleteRequest,
                             kErrNotReady, kErrQueueFull, kErrShuttingDown, kErrModelError}) {
      impl_->errors->with({model.name, type});
    }
    if (model.size_range) impl_->errors->with({model.name, kErrSizeOutOfRange});
  }
  auto table = std::make_shared<const std::vector<ServedModel>>(std::move(models));
  std::lock_guard lock(impl_->models_mutex);
  impl_->models = std::move(table);
}

void ModelServer::set_ready() {
  impl_->ready = true;
}

void ModelServer::stop() {
  Impl& impl = *impl_;
  impl.stopping = true;
  std::lock_guard lock(impl.stop_mutex);
  if (impl.listener.joinable()) {
    // httplib's stop() does nothing before listen has begun; wait for that
    // (or for a listener that ended on its own), then stop it once.
    while (!impl.listener_done && !impl.http.is_running())
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    if (!impl.listener_done) impl.http.stop();
    impl.listener.join();  // httplib joins its handler threads: in-flight requests finish
  }
  impl.pool.shutdown();
  if (impl.batcher) impl.batcher->shutdown();
}

bool ModelServer::stopping() const {
  return impl_->stopping;
}

int64_t ModelServer::in_flight() const {
  return impl_->in_flight->value();
}

metrics::Registry& ModelServer::registry() {
  return impl_->registry;
}

}  // namespace coldbench::workload::serve
