#include "torch/serve/watch.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "torch/serve/diagnostics.hpp"

namespace coldbench::workload::serve {
namespace {

using SystemClock = std::chrono::system_clock;
constexpr size_t kMaxShapesRemembered =
    1024;  // a client sending every batch size must not grow it forever

// Model names are [A-Za-z0-9_.-] already; anything else would be a path.
std::string file_safe(std::string_view text) {
  std::string safe(text);
  for (char& c : safe) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.') c = '_';
  }
  return safe;
}

std::string compact_utc(SystemClock::time_point time) {
  std::string text = rfc3339_utc_ms(time);  // 2026-12-02T15:43:23.123Z
  std::string compact;
  for (char c : text) {
    if (std::isdigit(static_cast<unsigned char>(c)) || c == 'T' || c == 'Z') compact += c;
  }
  return compact;  // 20261202T154323123Z
}

LogEvent detector_json(const anomaly::LatencyWatch& watch) {
  const anomaly::DetectorState state = watch.state();
  LogEvent json;
  json["ready"] = state.ready;
  json["seen"] = state.seen;
  json["center_ms"] = state.center;
  json["spread_ms"] = state.spread;
  json["threshold_ms"] = state.threshold;
  json["last_latency_ms"] = state.last_value;
  json["last_score"] = state.last_score;
  json["alerts"] = watch.alerts();
  return json;
}

struct ModelWatch {
  std::string name, version;
  std::mutex mutex;
  std::vector<anomaly::LatencyWatch> watches;
  std::vector<metrics::Gauge*> active, ready;
  std::vector<metrics::Counter*> raised;
  std::deque<double> recent;  // successful forward latencies, ms, newest last
  std::set<std::vector<int64_t>> shapes;
};

// One alert transition, acted on after the model's lock is released.
struct AlertAction {
  anomaly::Transition transition;
  std::string detector;
  LogEvent state;
  std::vector<double> recent;  // only for a raise (the snapshot)
  double latency_ms = 0;
};

}  // namespace

struct ServeWatch::Impl {
  explicit Impl(const WatchOptions& o) : options(o), sampler(o.log.sample) {}
  WatchOptions options;
  std::shared_ptr<EventLog> log;
  InferenceSampler sampler;
  metrics::Family<metrics::Gauge>* anomaly_active = nullptr;
  metrics::Family<metrics::Counter>* anomaly_raised = nullptr;
  metrics::Family<metrics::Gauge>* detector_ready = nullptr;
  metrics::Gauge* leak_suspected = nullptr;
  metrics::Counter* leak_alerts = nullptr;
  std::shared_ptr<std::atomic<double>> slope = std::make_shared<std::atomic<double>>(0);
  std::shared_ptr<std::atomic<double>> latest_rss = std::make_shared<std::atomic<double>>(0);

  std::mutex models_mutex;  // guards the map, not the ModelWatch it points to
  std::map<std::string, std::unique_ptr<ModelWatch>, std::less<>> models;
  std::function<int64_t()> in_flight;
  std::atomic<uint64_t> snapshots{0};

  std::thread leak_thread;
  std::mutex leak_mutex;
  std::condition_variable leak_wake;
  bool leak_stop = false;

  ModelWatch* find(std::string_view name) {
    std::lock_guard lock(models_mutex);
    auto it = models.find(name);
    return it == models.end() ? nullptr : it->second.get();
  }

  LogEvent snapshot_common(SystemClock::time_point now, std::string_view alert) {
    LogEvent document;
    document["timestamp"] = rfc3339_utc_ms(now);
    document["alert"] = alert;
    SystemSnapshot system = read_system_snapshot();
    document["process"] = to_json(system);
    document["in_flight"] = in_flight ? LogEvent(in_flight()) : LogEvent();
    return document;
  }

  // Writes the snapshot when --diagnostics-dir is set, and says so in the log.
  void write_snapshot(const std::string& stem, const LogEvent& document,
                      SystemClock::time_point now) {
    if (options.diagnostics_dir.empty()) return;
    const std::string name =
        fmt::format("{}-{}-{}", stem, compact_utc(now), snapshots.fetch_add(1) + 1);
    auto path = write_diagnostics(options.diagnostics_dir, name, document);
    LogEvent event = log_event("diagnostics_written", now);
    event["alert"] = document["alert"];
    if (path) {
      event["path"] = *path;
    } else {
      event["error"] = path.error().message;
    }
    log->write(event);
  }

  void act(const ModelWatch& model, const AlertAction& action, SystemClock::time_point now) {
    const bool raised = action.transition == anomaly::Transition::kRaised;
    LogEvent event = log_event(raised ? "anomaly_start" : "anomaly_end", now);
    event["model"] = model.name;
    event["model_version"] = model.version;
    event["detector"] = action.detector;
    event["latency_ms"] = action.latency_ms;
    event["detector_state"] = action.state;
    log->write(event);
    if (!raised) return;
    LogEvent document = snapshot_common(now, "latency_anomaly");
    document["model"] = model.name;
    document["model_version"] = model.version;
    document["detector"] = action.detector;
    document["detector_state"] = action.state;
    const anomaly::DetectorParams& p = options.anomaly;
    document["parameters"] = {{"baseline", p.baseline},
                              {"sigma", p.sigma},
                              {"ewma_alpha", p.ewma_alpha},
                              {"ewma_z", p.ewma_z},
                              {"mad_window", p.mad_window},
                              {"mad_k", p.mad_k},
                              {"min_count", p.min_count},
                              {"floor", p.floor_fraction},
                              {"raise_after", p.hysteresis.raise_after},
                              {"raise_window", p.hysteresis.raise_window},
                              {"clear_after", p.hysteresis.clear_after}};
    document["recent_latencies_ms"] = action.recent;
    write_snapshot(fmt::format("anomaly-{}-{}", file_safe(model.name), action.detector), document,
                   now);
  }

  void observe(const RequestRecord& record) {
    const SystemClock::time_point now = SystemClock::now();
    ModelWatch* model = record.model.empty() ? nullptr : find(record.model);
    std::optional<bool> first_seen;
    std::vector<AlertAction> actions;
    if (model) {
      std::lock_guard lock(model->mutex);
      if (!record.input_shape.empty()) {
        first_seen = !model->shapes.contains(record.input_shape);
        // Only a shape that ran makes later ones warm.
        if (*first_seen && record.inference_ran && model->shapes.size() < kMaxShapesRemembered)
          model->shapes.insert(record.input_shape);
      }
      if (record.inference_ran) {
        model->recent.push_back(record.inference_ms);
        if (static_cast<int>(model->recent.size()) > options.recent_latencies)
          model->recent.pop_front();
        for (size_t i = 0; i < model->watches.size(); ++i) {
          anomaly::LatencyWatch& watch = model->watches[i];
          const anomaly::Transition transition = watch.observe(record.inference_ms);
          model->ready[i]->set(watch.ready() ? 1 : 0);
          if (transition == anomaly::Transition::kNone) continue;
          model->active[i]->set(watch.active() ? 1 : 0);
          if (transition == anomaly::Transition::kRaised) model->raised[i]->add();
          AlertAction action{transition,
                             std::string(anomaly::detector_name(watch.kind())),
                             detector_json(watch),
                             {},
                             record.inference_ms};
          if (transition == anomaly::Transition::kRaised)
            action.recent.assign(model->recent.begin(), model->recent.end());
          actions.push_back(std::move(action));
        }
      }
    }
    // Errors always; successes sampled (the log must not cost what inference does).
    const bool success = record.status == 200 && record.error_type.empty();
    if (log->enabled() && (!success || sampler.take())) {
      InferenceContext context;
      context.first_seen_shape = first_seen;
      // The leak watch's latest sample when it runs (at most --leak-sample-ms
      // old), so a logged request does not read /proc.
      const double sampled = latest_rss->load(std::memory_order_relaxed);
      auto rss = sampled > 0 ? std::optional<double>(sampled) : read_rss_bytes();
      if (rss) context.memory_mb = *rss / (1024.0 * 1024.0);
      log->write(inference_event(record, context, now));
    }
    for (const AlertAction& action : actions) act(*model, action, now);
  }

  void leak_loop() {
    leak::LeakJudge judge(options.leak);
    const auto start = std::chrono::steady_clock::now();
    const auto period = std::chrono::milliseconds(options.leak.sample_ms);
    auto next = start;
    std::unique_lock lock(leak_mutex);
    while (!leak_stop) {
      lock.unlock();
      const auto now = std::chrono::steady_clock::now();
      if (auto rss = read_rss_bytes()) {
        const double t = std::chrono::duration<double>(now - start).count();
        latest_rss->store(*rss, std::memory_order_relaxed);
        const anomaly::Transition transition = judge.add({t, *rss});
        const leak::LeakState& state = judge.state();
        slope->store(state.slope);
        leak_suspected->set(state.active ? 1 : 0);
        if (transition != anomaly::Transition::kNone) on_leak(transition, state, *rss);
      }
      // After a stall (a suspended process), resume the cadence rather than
      // catch up with a burst of samples.
      next = std::max(next + period, std::chrono::steady_clock::now());
      lock.lock();
      leak_wake.wait_until(lock, next, [this] { return leak_stop; });
    }
  }

  void on_leak(anomaly::Transition transition, const leak::LeakState& state, double rss) {
    const SystemClock::time_point now = SystemClock::now();
    const bool raised = transition == anomaly::Transition::kRaised;
    if (raised) leak_alerts->add();
    LogEvent event = log_event(raised ? "leak_suspected" : "leak_cleared", now);
    event["slope_bytes_per_second"] = state.slope;
    event["r2"] = state.r2;
    event["threshold_bytes_per_second"] = options.leak.threshold_bytes_per_s;
    event["window_s"] = state.span_s;
    event["samples"] = state.samples;
    event["memory_mb"] = rss / (1024.0 * 1024.0);
    log->write(event);
    if (!raised) return;
    LogEvent document = snapshot_common(now, "memory_leak");
    document["slope_bytes_per_second"] = state.slope;
    document["r2"] = state.r2;
    document["threshold_bytes_per_second"] = options.leak.threshold_bytes_per_s;
    document["window_s"] = state.span_s;
    document["samples"] = state.samples;
    write_snapshot("leak", document, now);
  }
};

ServeWatch::ServeWatch(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

ServeWatch::~ServeWatch() {
  stop_leak_watch();
}

Expected<std::shared_ptr<ServeWatch>> ServeWatch::create(const WatchOptions& options,
                                                         metrics::Registry& registry) {
  auto impl = std::make_unique<Impl>(options);
  auto log = EventLog::open(options.log);
  if (!log) return log.error();
  impl->log = std::move(*log);
  if (!options.diagnostics_dir.empty()) {
    std::error_code error;
    std::filesystem::create_directories(options.diagnostics_dir, error);
    if (error || !std::filesystem::is_directory(options.diagnostics_dir)) {
      return make_error("--diagnostics-dir {}: cannot create it ({}). fix: a writable directory",
                        options.diagnostics_dir, error ? error.message() : "not a directory");
    }
  }
  impl->anomaly_active = &registry.gauge(
      "model_latency_anomaly",
      "1 while this detector's latency anomaly alert is active (after min-count and hysteresis).",
      {"model", "detector"});
  impl->anomaly_raised = &registry.counter("model_latency_anomalies_total",
                                           "Latency anomaly alerts raised.", {"model", "detector"});
  impl->detector_ready = &registry.gauge(
      "model_latency_detector_ready",
      "1 once the detector has its minimum count or baseline and judges latencies, else 0.",
      {"model", "detector"});
  auto slope = impl->slope;
  registry.sampled("process_resident_memory_slope_bytes_per_second",
                   "Least-squares slope of resident memory over the leak watch's window (0 until "
                   "the window is full).",
                   metrics::Type::kGauge, [slope] { return std::optional<double>(slope->load()); });
  impl->leak_suspected =
      &registry
           .gauge("model_memory_leak_suspected",
                  "1 while resident memory grows faster than --leak-threshold across the window.",
                  {})
           .with({});
  impl->leak_alerts =
      &registry.counter("model_memory_leak_alerts_total", "Memory leak alerts raised.", {})
           .with({});
  // Weak: the log must close (and write out its queue) with the watch, while
  // the registry lives on.
  std::weak_ptr<EventLog> event_log = impl->log;
  registry.sampled("serve_log_lines_dropped_total",
                   "Log lines dropped because the log writer fell behind.", metrics::Type::kCounter,
                   [event_log]() -> std::optional<double> {
                     auto log = event_log.lock();
                     if (!log) return std::nullopt;
                     return static_cast<double>(log->dropped());
                   });
  return std::shared_ptr<ServeWatch>(new ServeWatch(std::move(impl)));
}

void ServeWatch::watch_models(const std::vector<ServedModel>& models, bool warmed_up) {
  Impl& impl = *impl_;
  for (const ServedModel& served : models) {
    auto model = std::make_unique<ModelWatch>();
    model->name = served.name;
    model->version = served.version;
    if (warmed_up && !served.sample_shape.empty()) {
      std::vector<int64_t> shape{1};
      shape.insert(shape.end(), served.sample_shape.begin(), served.sample_shape.end());
      model->shapes.insert(shape);
    }
    for (anomaly::DetectorKind kind : impl.options.detectors) {
      const std::string detector(anomaly::detector_name(kind));
      model->watches.emplace_back(kind, impl.options.anomaly);
      model->active.push_back(&impl.anomaly_active->with({served.name, detector}));
      model->raised.push_back(&impl.anomaly_raised->with({served.name, detector}));
      model->ready.push_back(&impl.detector_ready->with({served.name, detector}));
    }
    std::lock_guard lock(impl.models_mutex);
    impl.models[served.name] = std::move(model);
  }
}

void ServeWatch::set_in_flight(std::function<int64_t()> read) {
  impl_->in_flight = std::move(read);
}

void ServeWatch::observe(const RequestRecord& record) {
  impl_->observe(record);
}

void ServeWatch::start_leak_watch() {
  Impl& impl = *impl_;
  if (!impl.options.leak_enabled || impl.leak_thread.joinable()) return;
  impl.leak_thread = std::thread([&impl] { impl.leak_loop(); });
}

void ServeWatch::stop_leak_watch() {
  Impl& impl = *impl_;
  {
    std::lock_guard lock(impl.leak_mutex);
    impl.leak_stop = true;
  }
  impl.leak_wake.notify_all();
  if (impl.leak_thread.joinable()) impl.leak_thread.join();
}

void ServeWatch::write(const LogEvent& event) {
  impl_->log->write(event);
}

}  // namespace coldbench::workload::serve
