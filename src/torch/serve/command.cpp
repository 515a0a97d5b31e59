// `coldbench-torch serve`: argument parsing, start-up order, signals and exit
// codes; the HTTP side is serve/server.cpp, the models serve/loader.cpp.

#include <fmt/format.h>
#include <pthread.h>
#include <signal.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "coldbench/marker.hpp"
#include "torch/common/runtime_info.hpp"
#include "torch/common/runtime_snapshot.hpp"
#include "torch/serve/ab.hpp"
#include "torch/serve/loader.hpp"
#include "torch/serve/options.hpp"
#include "torch/serve/server.hpp"
#include "torch/serve/watch.hpp"
#include "torch/subcommands.hpp"

namespace coldbench::workload {
namespace {

// SIGTERM/SIGINT are blocked in every thread and taken by one waiter thread,
// so a signal only sets a flag: the main thread drains and exits normally.
class ShutdownSignal {
 public:
  ShutdownSignal() {
    sigemptyset(&set_);
    sigaddset(&set_, SIGTERM);
    sigaddset(&set_, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set_, nullptr);
    waiter_ = std::thread([this] {
      const timespec tick{0, 50'000'000};
      while (!done_) {
        int signal = sigtimedwait(&set_, nullptr, &tick);
        if (signal == SIGTERM || signal == SIGINT) {
          signal_ = signal;
          request();
        }
      }
    });
  }
  ~ShutdownSignal() {
    done_ = true;
    waiter_.join();
  }
  void request() {
    {
      std::lock_guard lock(mutex_);
      requested_ = true;
    }
    changed_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return requested_.load(); });
  }
  const std::atomic<bool>& requested() const { return requested_; }
  int signal() const { return signal_; }

 private:
  sigset_t set_{};
  std::atomic<bool> done_{false};
  std::atomic<bool> requested_{false};
  std::atomic<int> signal_{0};
  std::mutex mutex_;
  std::condition_variable changed_;
  std::thread waiter_;
};

std::string url(const std::string& host, int port) {
  return host.find(':') != std::string::npos ? fmt::format("http://[{}]:{}", host, port)
                                             : fmt::format("http://{}:{}", host, port);
}

Expected<int> run_serve(const serve::ServeOptions& options) {
  ShutdownSignal shutdown;  // before any thread starts, so all inherit the mask
  auto resolved = serve::resolve_models(options, default_model_search_path());
  if (!resolved) return resolved.error();
  if (auto configured = configure_threads(options.threads, 0); !configured)
    return configured.error();
  const RuntimeInfo runtime = take_runtime_snapshot().runtime;
  const auto spin_notice = serve::spin_wait_notice(
      runtime.openmp, runtime.num_threads, std::getenv("OMP_WAIT_POLICY"), std::getenv("GOMP_SPINCOUNT"));
  serve::ModelServer server(serve::server_config(options));
  // Registered before the server serves, like every family.
  std::optional<serve::BucketMetrics> bucket_metrics;
  if (options.shapes && options.shapes->buckets.plan) bucket_metrics.emplace(server.registry());
  // Before the server serves: the watch registers its metrics, and the
  // server's observers hold it alive as long as they can be called.
  auto created = serve::ServeWatch::create(options.watch, server.registry());
  if (!created) return created.error();
  std::shared_ptr<serve::ServeWatch> watch = *created;
  // In the structured log, so a log on stderr stays JSON lines.
  if (spin_notice) {
    serve::LogEvent notice = serve::log_event("notice", std::chrono::system_clock::now());
    notice["message"] = *spin_notice;
    watch->write(notice);
  }
  server.add_observer([watch](const serve::RequestRecord& record) { watch->observe(record); });
  watch->set_in_flight([&server] { return server.in_flight(); });
  std::shared_ptr<serve::AbExperiment> ab;
  if (options.ab) {
    for (const std::string& arm : {options.ab->a, options.ab->b}) {
      bool served = false;
      std::string names;
      for (const auto& [name, _] : *resolved) {
        served |= name == arm;
        names += (names.empty() ? "" : ", ") + name;
      }
      if (!served) {
        return make_error(
            "--ab: no served model is named '{}' (serving: {}). fix: name both arms after --model "
            "entries, e.g. --model fast=mobilenet_v2@optimized --model slow=mobilenet_v2@script "
            "--ab A=fast,B=slow",
            arm, names);
      }
    }
    ab = std::make_shared<serve::AbExperiment>(
        *options.ab, server.registry(), options.buckets,
        [watch](const serve::LogEvent& event) { watch->write(event); });
    server.set_ab(ab);
  }
  auto port = server.bind();
  if (!port) return port.error();
  const std::string address = url(options.host, *port);
  fmt::print("listening {}\n", address);
  std::fflush(stdout);
  server.start();
  marker::info("serve.port", *port);

  // Loaded, prepared and warmed up on a thread of its own that then exits.
  // With OpenMP (libgomp), every thread that starts a parallel region keeps
  // a team of --threads - 1 threads for the rest of its life, and once the
  // process holds more such threads than CPUs, libgomp all but stops
  // spinning between parallel regions: each of a forward pass's regions
  // then waits for a futex wake-up. Loading on the main thread left its team
  // beside the inference worker's: MobileNetV2 at --threads 2 on 2 CPUs ran
  // its forward pass in 13.5 ms instead of infer's 9.5 ms (docs/serve.md).
  std::optional<Expected<std::vector<serve::ServedModel>>> loaded;
  std::thread loader([&] {
    loaded = serve::load_models(options, *resolved, shutdown.requested(),
                                bucket_metrics ? &*bucket_metrics : nullptr);
  });
  loader.join();
  auto& models = *loaded;
  if (!models) return models.error();
  watch->watch_models(*models, options.warmup > 0);
  serve::LogEvent ready = serve::log_event("server_ready", std::chrono::system_clock::now());
  ready["address"] = address;
  for (const serve::ServedModel& model : *models) {
    ready["models"].push_back(
        {{"model", model.name}, {"model_version", model.version}, {"mode", model.mode}});
  }
  server.publish(std::move(*models));
  if (!shutdown.requested()) {
    server.set_ready();
    watch->start_leak_watch();
    if (ab) {
      ready["ab"] = {{"a", options.ab->a},
                     {"b", options.ab->b},
                     {"b_fraction", ab->b_fraction()},
                     {"canary", options.ab->canary.has_value()}};
    }
    watch->write(ready);
    if (ab) ab->start();
    emit_runtime_markers(take_runtime_snapshot());
    fmt::print("ready {}\n", address);
    std::fflush(stdout);
    if (!options.exit_when_ready) shutdown.wait();
  }
  serve::LogEvent stopping = serve::log_event("server_stopping", std::chrono::system_clock::now());
  stopping["reason"] = shutdown.signal() == SIGTERM   ? "SIGTERM"
                       : shutdown.signal() == SIGINT ? "SIGINT"
                                                     : "exit-when-ready";
  stopping["in_flight"] = server.in_flight();
  watch->write(stopping);
  watch->stop_leak_watch();

  // Drain, bounded: a request stuck in a model must not keep the process
  // alive past --drain-timeout.
  std::atomic<bool> drained{false};
  std::thread watchdog([&] {
    auto deadline =
        std::chrono::steady_clock::now() + std::chrono::seconds(options.drain_timeout_s);
    while (!drained && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    if (!drained) {
      fmt::print(stderr,
                 "coldbench-torch serve: {} request(s) still in flight after --drain-timeout {} s; "
                 "exiting\n",
                 server.in_flight(), options.drain_timeout_s);
      std::fflush(stderr);
      std::_Exit(kExitFailedRuns);
    }
  });
  server.stop();
  drained = true;
  watchdog.join();
  if (shutdown.signal() != 0) {
    fmt::print(stderr, "coldbench-torch serve: {} received, drained, exiting\n",
               shutdown.signal() == SIGTERM ? "SIGTERM" : "SIGINT");
  }
  return kExitOk;
}

// Logs, anomaly detectors, leak watch (docs/serve.md "Watching the server").
void add_watch_options(CLI::App& app, serve::RawServeArgs& raw) {
  app.add_option("--log", raw.log,
                 "structured JSON-lines log: stderr, off, or a FILE (rotated, see --log-max-bytes)")
      ->capture_default_str();
  app.add_option("--log-max-bytes", raw.log_max_bytes,
                 "a --log FILE rotates when it would pass this size; 0: never rotates")
      ->capture_default_str();
  app.add_option("--log-files", raw.log_files, "rotated log files kept (serve.log: serve.1.log ... serve.N.log)")
      ->capture_default_str();
  app.add_option("--log-sample", raw.log_sample,
                 "fraction (0..1) of successful inferences logged, exactly every 1/RATE-th; "
                 "errors, alerts and lifecycle events are always logged")
      ->capture_default_str();
  app.add_option("--anomaly-detectors", raw.anomaly_detectors,
                 "latency detectors per model: baseline_3sigma, ewma, mad (comma-separated) or none")
      ->capture_default_str();
  app.add_option("--anomaly-baseline", raw.anomaly_baseline,
                 "baseline_3sigma: the first N successful latencies form the baseline")
      ->capture_default_str();
  app.add_option("--anomaly-sigma", raw.anomaly_sigma,
                 "baseline_3sigma: anomalous above baseline mean + SIGMA * sd")
      ->capture_default_str();
  app.add_option("--anomaly-ewma-alpha", raw.anomaly_ewma_alpha, "ewma: weight of the newest latency")
      ->capture_default_str();
  app.add_option("--anomaly-ewma-z", raw.anomaly_ewma_z, "ewma: anomalous above mean + Z * sd")
      ->capture_default_str();
  app.add_option("--anomaly-mad-window", raw.anomaly_mad_window, "mad: rolling window of latencies")
      ->capture_default_str();
  app.add_option("--anomaly-mad-k", raw.anomaly_mad_k,
                 "mad: anomalous above median + K * 1.4826 * MAD")
      ->capture_default_str();
  app.add_option("--anomaly-min-count", raw.anomaly_min_count,
                 "ewma, mad: latencies seen before they judge")
      ->capture_default_str();
  app.add_option("--anomaly-floor", raw.anomaly_floor,
                 "the spread (sd, MAD) is taken as at least this fraction of the mean/median")
      ->capture_default_str();
  app.add_option("--anomaly-raise-after", raw.anomaly_raise_after,
                 "alert after this many anomalous latencies among the last --anomaly-raise-window")
      ->capture_default_str();
  app.add_option("--anomaly-raise-window", raw.anomaly_raise_window,
                 "judged latencies the raise count looks back over")
      ->capture_default_str();
  app.add_option("--anomaly-clear-after", raw.anomaly_clear_after,
                 "an active alert clears after this many normal latencies in a row")
      ->capture_default_str();
  app.add_option("--leak-sample-ms", raw.leak_sample_ms,
                 "leak watch: ms between resident-memory samples; 0: no leak watch")
      ->capture_default_str();
  app.add_option("--leak-window-s", raw.leak_window_s,
                 "leak watch: seconds of samples the slope is fitted over")
      ->capture_default_str();
  app.add_option("--leak-threshold", raw.leak_threshold,
                 "leak watch: alert when RSS grows faster than this (bytes/s) across the window")
      ->capture_default_str();
  app.add_option("--diagnostics-dir", raw.diagnostics_dir,
                 "write one JSON diagnostics snapshot per alert here (default: none written)");
}

// A/B and canary (docs/serve.md "A/B and canary").
void add_ab_options(CLI::App& app, serve::RawServeArgs& raw) {
  app.add_option("--ab", raw.ab,
                 "A/B experiment A=NAME,B=NAME over two served models (a model may be served "
                 "twice in two modes: --model NAME=SOURCE@MODE): requests to A's name go to A or B "
                 "by a stable hash of X-Request-Id; responses carry X-Coldbench-Arm; GET /v1/ab "
                 "gives the live verdict");
  app.add_option("--ab-ratio", raw.ab_ratio, "share of the experiment's traffic sent to B (0..1)")
      ->capture_default_str();
  app.add_option("--ab-threshold", raw.ab_threshold,
                 "the verdict's practical margin: a change smaller than this fraction is never "
                 "called slower or faster (0.05 = 5%)")
      ->capture_default_str();
  app.add_option("--ab-alpha", raw.ab_alpha, "the verdict's error rate")->capture_default_str();
  app.add_option("--ab-window", raw.ab_window,
                 "latest forward-pass latencies per arm the verdict compares")
      ->capture_default_str();
  app.add_flag("--canary", raw.canary,
               "ramp B through --canary-stages, each held until a sequential test decides (or a "
               "stage limit), promoted when B is not worse in p99 and error rate, rolled back to "
               "0% when it is (replaces --ab-ratio)");
  app.add_option("--canary-stages", raw.canary_stages,
                 "percent of traffic to B per stage, increasing, ending at 100")
      ->capture_default_str();
  app.add_option("--canary-margin", raw.canary_margin,
                 "B's p99 may be this fraction above A's (0.2 = 20%) and still pass")
      ->capture_default_str();
  app.add_option("--canary-error-margin", raw.canary_error_margin,
                 "B's 5xx rate may be this much above A's (0.01 = 1 point) and still pass")
      ->capture_default_str();
  app.add_option("--canary-stage-requests", raw.canary_stage_requests,
                 "a stage undecided after this many experiment requests is promoted; 0: no limit")
      ->capture_default_str();
  app.add_option("--canary-stage-seconds", raw.canary_stage_seconds,
                 "a stage undecided after this many seconds is promoted; 0: no limit")
      ->capture_default_str();
}

}  // namespace

Subcommand add_serve_command(CLI::App& parent, const ProcessContext& /*context*/) {
  auto raw = std::make_shared<serve::RawServeArgs>();
  CLI::App* app =
      parent.add_subcommand("serve",
                            "HTTP model server (docs/serve.md): POST /v1/models/NAME:predict, GET "
                            "/v1/models, /v1/ab, /healthz, /readyz, "
                            "/metrics (Prometheus). Marks runtime_ready, model_loaded, "
                            "model_optimized, first_inference and "
                            "warmup_done, prints 'listening URL' when bound and 'ready URL' when "
                            "warmed up. SIGTERM/SIGINT drain "
                            "and exit 0. Exit 2 on bad options.");
  app->add_option("-m,--model", raw->models,
                  "a model to serve, repeatable: a catalog name (see `coldbench-torch models`), a "
                  ".pt path, or "
                  "NAME=PATH; a trailing @MODE (script, frozen, optimized) overrides --mode for it")
      ->required();
  app->add_option("--mode", raw->mode, "script | frozen | optimized (one mode)")
      ->capture_default_str();
  app->add_option("--threads", raw->threads, "LibTorch intra-op threads; 0: LibTorch's default")
      ->capture_default_str();
  app->add_option("--host", raw->host, "address to listen on (only 127.0.0.1 unless given)")
      ->capture_default_str();
  app->add_option("--port", raw->port,
                  "port; 0 picks a free one (printed on the listening/ready lines)")
      ->capture_default_str();
  app->add_option("--warmup", raw->warmup, "forward passes per model on a zero input before ready")
      ->capture_default_str();
  app->add_option("--max-body", raw->max_body, "largest request body in bytes; larger ones get 413")
      ->capture_default_str();
  app->add_option("--workers", raw->workers, "inference threads (each runs one request at a time)")
      ->capture_default_str();
  app->add_option("--queue", raw->queue,
                  "requests that may wait for a worker; beyond that 503 queue_full")
      ->capture_default_str();
  app->add_option(
         "--max-batch", raw->max_batch,
         "dynamic batching: stack up to N rows of requests for the same model and input "
         "shape into one forward pass (1: off). Pays in throughput at saturation; costs up "
         "to --batch-timeout in latency (docs/serve.md)")
      ->capture_default_str();
  app->add_option("--batch-timeout", raw->batch_timeout_ms,
                  "with --max-batch > 1: milliseconds a request waits for its batch to fill before "
                  "it runs with what has come")
      ->capture_default_str();
  app->add_option("--read-timeout", raw->read_timeout_s,
                  "seconds a client may take to send its request (slow clients get 400 or a closed "
                  "connection)")
      ->capture_default_str();
  app->add_option("--drain-timeout", raw->drain_timeout_s,
                  "seconds to let in-flight requests finish after SIGTERM; past it exit 1")
      ->capture_default_str();
  app->add_option("--buckets", raw->buckets,
                  "latency histogram upper bounds in seconds, comma-separated (default "
                  "0.001,0.002,0.005,0.01,0.02,0.05,0.1,0.2,0.5,1,2.5,5,10)");
  app->add_flag("--exit-when-ready", raw->exit_when_ready,
                "exit 0 once ready (to measure a server's cold start with `coldbench run`)");
  app->add_option(
      "--fault", raw->fault,
      "fault injection for tests, comma-separated: throw-after:K (every predict after the first "
      "K fails, 500 model_error), delay-ms:D (each forward waits D ms first), "
      "leak-per-request:BYTES (each served predict keeps BYTES of touched memory), "
      "delay-after:K:MS (every predict after the first K waits MS: a latency step), "
      "stall-at:K:MS (the K-th predict waits MS, once, holding its worker)");
  app->add_option("--size-range", raw->size_range,
                  "accept any input H x W from MIN to MAX pixels (e.g. 160-320) on the predict "
                  "endpoint, other dimensions as the sidecar's; with --bucket-width/--size-buckets "
                  "through size buckets (docs/serve.md, \"Inputs of any size\")");
  app->add_option("--bucket-width", raw->size_buckets.bucket_width,
                  "with --size-range: pad each input up to the next multiple of W pixels per side "
                  "and run one prepared module per bucket");
  app->add_option(
      "--size-buckets", raw->size_buckets.buckets,
      "with --size-range: pad each input up to the smallest listed bucket that holds it "
      "(HxW list); a size past every bucket runs unpadded on the dynamic path (a "
      "fallback). (--buckets is the latency histogram)");
  CLI::Option* cache = app->add_option("--bucket-cache", raw->size_buckets.bucket_cache,
                                       "prepared size buckets kept per model, least recently used "
                                       "out (default 16)");
  CLI::Option* precompile =
      app->add_option("--precompile", raw->size_buckets.precompile,
                      "prepare these size buckets (HxW list) before ready; alone: every bucket of "
                      "the range")
          ->expected(0, 1);
  add_watch_options(*app, *raw);
  add_ab_options(*app, *raw);
  auto run = [raw, cache, precompile]() -> Expected<int> {
    if (cache->count() == 0) raw->size_buckets.bucket_cache.reset();
    raw->size_buckets.precompile_given = precompile->count() > 0;
    auto options = serve::validate(*raw);
    if (!options) return options.error();
    return run_serve(*options);
  };
  return Subcommand{app, run};
}

}  // namespace coldbench::workload
