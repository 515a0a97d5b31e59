#include "torch/serve/options.hpp"

#include <charconv>
#include <climits>
#include <cmath>

#include "core/text.hpp"
#include "torch/infer/options.hpp"  // parse_modes
#include "torch/serve/metrics.hpp"

namespace coldbench::workload::serve {
namespace {

std::optional<int64_t> parse_int(std::string_view text) {
  int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (text.empty() || error != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

Expected<long long> in_range(const char* flag, long long value, long long low, long long high,
                             const char* unit) {
  if (value < low || value > high) {
    return make_error("{} must be {} to {}{}, got {}", flag, low, high, unit, value);
  }
  return value;
}

std::vector<std::string_view> split(std::string_view text, char separator) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t end = text.find(separator, start);
    parts.push_back(text.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return parts;
    start = end + 1;
  }
}

bool valid_model_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return false;
  for (char c : name) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.')
      return false;
  }
  return true;
}

}  // namespace

Expected<ModelSpec> parse_model_spec(std::string_view text) {
  ModelSpec spec;
  size_t eq = text.find('=');
  if (eq == std::string_view::npos) {
    spec.source = std::string(trim(text));
  } else {
    spec.name = std::string(trim(text.substr(0, eq)));
    spec.source = std::string(trim(text.substr(eq + 1)));
    if (!valid_model_name(spec.name)) {
      return make_error(
          "--model {}: '{}' is not a model name (1-64 letters, digits, '_', '-', '.'). fix: "
          "--model NAME=PATH, e.g. --model cnn=models/cnn.pt",
          text, spec.name);
    }
  }
  if (const size_t at = spec.source.rfind('@'); at != std::string::npos) {
    const std::string_view suffix = std::string_view(spec.source).substr(at + 1);
    for (Mode mode : {Mode::kScript, Mode::kFrozen, Mode::kOptimized}) {
      if (suffix == mode_name(mode)) {
        spec.mode = mode;
        spec.source = std::string(trim(std::string_view(spec.source).substr(0, at)));
      }
    }
  }
  if (spec.source.empty()) {
    return make_error(
        "--model '{}' names no model. fix: a catalog name (see `coldbench-torch models`), a "
        ".pt path, or NAME=PATH",
        text);
  }
  return spec;
}

Expected<std::pair<std::string, std::string>> parse_ab_arms(std::string_view text) {
  std::string a, b;
  for (std::string_view part : split(text, ',')) {
    part = trim(part);
    const size_t eq = part.find('=');
    const std::string_view arm = eq == std::string_view::npos ? part : trim(part.substr(0, eq));
    const std::string_view name =
        eq == std::string_view::npos ? std::string_view() : trim(part.substr(eq + 1));
    std::string* slot = arm == "A" || arm == "a" ? &a : arm == "B" || arm == "b" ? &b : nullptr;
    if (!slot || name.empty() || !slot->empty()) {
      return make_error(
          "--ab {}: expected A=NAME,B=NAME with each arm once (NAME: a served model's name). fix: "
          "e.g. --model fast=mobilenet_v2@optimized --model slow=mobilenet_v2@script --ab "
          "A=fast,B=slow",
          text);
    }
    *slot = std::string(name);
  }
  if (a.empty() || b.empty()) {
    return make_error("--ab {}: both arms are needed. fix: --ab A=NAME,B=NAME", text);
  }
  return std::make_pair(a, b);
}

Expected<std::vector<int>> parse_canary_stages(std::string_view text) {
  std::vector<int> stages;
  for (std::string_view part : split(text, ',')) {
    auto value = parse_int(trim(part));
    if (!value || *value < 1 || *value > 100 || (!stages.empty() && *value <= stages.back())) {
      return make_error(
          "--canary-stages {}: expected whole percents of traffic to B, 1 to 100, strictly "
          "increasing. fix: e.g. --canary-stages 1,5,20,50,100",
          text);
    }
    stages.push_back(static_cast<int>(*value));
  }
  if (stages.empty() || stages.back() != 100) {
    return make_error(
        "--canary-stages {}: the last stage must be 100 (B promoted to all traffic). fix: e.g. "
        "--canary-stages 1,5,20,50,100",
        text);
  }
  return stages;
}

Expected<FaultPlan> parse_fault(std::string_view text) {
  FaultPlan plan;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = trim(text.substr(start, end - start));
    // kind:A or kind:A:B
    std::string_view kind = part.substr(0, part.find(':'));
    std::vector<std::optional<int64_t>> values;
    for (size_t colon = part.find(':'); colon != std::string_view::npos;) {
      size_t next = part.find(':', colon + 1);
      values.push_back(parse_int(part.substr(colon + 1, next == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : next - colon - 1)));
      colon = next;
    }
    auto value = [&](size_t i, int64_t low, int64_t high) -> std::optional<int64_t> {
      if (i >= values.size() || !values[i] || *values[i] < low || *values[i] > high)
        return std::nullopt;
      return values[i];
    };
    constexpr int64_t kMaxMs = 600'000;
    bool ok = false;
    if (kind == "throw-after" && values.size() == 1 && value(0, 0, INT64_MAX)) {
      plan.throw_after = *value(0, 0, INT64_MAX);
      ok = true;
    } else if (kind == "delay-ms" && values.size() == 1 && value(0, 0, kMaxMs)) {
      plan.delay_ms = *value(0, 0, kMaxMs);
      ok = true;
    } else if (kind == "leak-per-request" && values.size() == 1 && value(0, 1, 1ll << 30)) {
      plan.leak_per_request = *value(0, 1, 1ll << 30);
      ok = true;
    } else if (kind == "delay-after" && values.size() == 2 && value(0, 0, INT64_MAX) &&
               value(1, 0, kMaxMs)) {
      plan.delay_after = *value(0, 0, INT64_MAX);
      plan.delay_after_ms = *value(1, 0, kMaxMs);
      ok = true;
    } else if (kind == "stall-at" && values.size() == 2 && value(0, 1, INT64_MAX) &&
               value(1, 0, kMaxMs)) {
      plan.stall_at = *value(0, 1, INT64_MAX);
      plan.stall_ms = *value(1, 0, kMaxMs);
      ok = true;
    }
    if (!ok) {
      return make_error(
          "--fault: '{}' is not a fault. fix: comma-separated throw-after:K (every predict after "
          "the first K fails with 500), delay-ms:D (each forward waits D ms first, D <= 600000), "
          "leak-per-request:BYTES (1 to 2^30, kept forever), delay-after:K:MS (every predict "
          "after the first K waits MS), stall-at:K:MS (the K-th predict, K >= 1, waits MS once)",
          part);
    }
    start = end + 1;
  }
  return plan;
}

namespace {

Expected<double> real_in(const char* flag, double value, double low, double high,
                         const char* meaning) {
  if (!std::isfinite(value) || value < low || value > high) {
    return make_error("{} must be {} to {} ({}), got {}", flag, low, high, meaning, value);
  }
  return value;
}

Expected<WatchOptions> validate_watch(const RawServeArgs& raw) {
  WatchOptions watch;
  std::string_view log = trim(raw.log);
  if (log.empty()) {
    return make_error("--log is empty. fix: --log stderr (the default), --log off, or --log FILE");
  }
  watch.log.target = std::string(log);
  auto max_bytes = in_range("--log-max-bytes", raw.log_max_bytes, 0, 1ll << 40,
                            " bytes (0: the file never rotates)");
  if (!max_bytes) return max_bytes.error();
  watch.log.max_bytes = *max_bytes;
  auto files = in_range("--log-files", raw.log_files, 1, 1000, " rotated files kept");
  if (!files) return files.error();
  watch.log.files = static_cast<int>(*files);
  auto sample = real_in("--log-sample", raw.log_sample, 0, 1,
                        "the fraction of successful inferences logged; errors always are");
  if (!sample) return sample.error();
  watch.log.sample = *sample;

  auto detectors = anomaly::parse_detectors(raw.anomaly_detectors);
  if (!detectors) return detectors.error();
  watch.detectors = *detectors;
  anomaly::DetectorParams& p = watch.anomaly;
  struct IntOption {
    const char* flag;
    long long value, low, high;
    const char* unit;
    int* into;
  };
  for (const IntOption& o : {
           IntOption{"--anomaly-baseline", raw.anomaly_baseline, 2, 1'000'000, " requests",
                     &p.baseline},
           IntOption{"--anomaly-mad-window", raw.anomaly_mad_window, 3, 100'000, " requests",
                     &p.mad_window},
           IntOption{"--anomaly-min-count", raw.anomaly_min_count, 2, 1'000'000, " requests",
                     &p.min_count},
           IntOption{"--anomaly-raise-after", raw.anomaly_raise_after, 1, 10'000, " requests",
                     &p.hysteresis.raise_after},
           IntOption{"--anomaly-raise-window", raw.anomaly_raise_window, 1, 10'000, " requests",
                     &p.hysteresis.raise_window},
           IntOption{"--anomaly-clear-after", raw.anomaly_clear_after, 1, 1'000'000, " requests",
                     &p.hysteresis.clear_after},
       }) {
    auto checked = in_range(o.flag, o.value, o.low, o.high, o.unit);
    if (!checked) return checked.error();
    *o.into = static_cast<int>(*checked);
  }
  if (p.hysteresis.raise_after > p.hysteresis.raise_window) {
    return make_error(
        "--anomaly-raise-after {} is more than --anomaly-raise-window {}: no alert could ever be "
        "raised. fix: raise-after <= raise-window (equal: that many anomalous in a row)",
        p.hysteresis.raise_after, p.hysteresis.raise_window);
  }
  if (p.min_count > p.mad_window) {
    return make_error(
        "--anomaly-min-count {} is more than --anomaly-mad-window {}: the mad detector would never "
        "be ready. fix: min-count <= mad-window",
        p.min_count, p.mad_window);
  }
  struct RealOption {
    const char* flag;
    double value, low, high;
    const char* meaning;
    double* into;
  };
  for (const RealOption& o : {
           RealOption{"--anomaly-sigma", raw.anomaly_sigma, 0.5, 100, "standard deviations",
                      &p.sigma},
           RealOption{"--anomaly-ewma-alpha", raw.anomaly_ewma_alpha, 0.001, 1,
                      "the newest latency's weight", &p.ewma_alpha},
           RealOption{"--anomaly-ewma-z", raw.anomaly_ewma_z, 0.5, 100, "z-score", &p.ewma_z},
           RealOption{"--anomaly-mad-k", raw.anomaly_mad_k, 0.5, 100, "scaled MADs", &p.mad_k},
           RealOption{"--anomaly-floor", raw.anomaly_floor, 0, 100,
                      "the least spread as a fraction of the centre", &p.floor_fraction},
       }) {
    auto checked = real_in(o.flag, o.value, o.low, o.high, o.meaning);
    if (!checked) return checked.error();
    *o.into = *checked;
  }

  auto sample_ms = in_range("--leak-sample-ms", raw.leak_sample_ms, 0, 3'600'000,
                            " ms between RSS samples (0: no leak watch)");
  if (!sample_ms) return sample_ms.error();
  watch.leak_enabled = *sample_ms > 0;
  watch.leak.sample_ms = static_cast<int>(*sample_ms);
  auto window = real_in("--leak-window-s", raw.leak_window_s, 0.1, 7 * 86400.0,
                        "seconds of samples the slope is fitted over");
  if (!window) return window.error();
  watch.leak.window_s = *window;
  if (watch.leak_enabled && watch.leak.window_s * 1000 < 8.0 * watch.leak.sample_ms) {
    return make_error(
        "--leak-window-s {} holds fewer than 8 samples of --leak-sample-ms {}: no slope to trust. "
        "fix: a window of at least 8 sample periods",
        watch.leak.window_s, watch.leak.sample_ms);
  }
  auto threshold = real_in("--leak-threshold", raw.leak_threshold, 1, 1e12,
                           "bytes per second of sustained RSS growth");
  if (!threshold) return threshold.error();
  watch.leak.threshold_bytes_per_s = *threshold;
  watch.diagnostics_dir = std::string(trim(raw.diagnostics_dir));
  return watch;
}

Expected<std::optional<AbOptions>> validate_ab(const RawServeArgs& raw) {
  if (trim(raw.ab).empty()) {
    if (raw.canary) {
      return make_error(
          "--canary ramps the B arm of an A/B experiment. fix: add --ab A=NAME,B=NAME (two "
          "served models)");
    }
    return std::optional<AbOptions>();
  }
  AbOptions ab;
  auto arms = parse_ab_arms(raw.ab);
  if (!arms) return arms.error();
  ab.a = arms->first;
  ab.b = arms->second;
  if (!(raw.ab_ratio >= 0 && raw.ab_ratio <= 1)) {
    return make_error(
        "--ab-ratio {}: the share of traffic to B is 0 to 1. fix: e.g. --ab-ratio 0.1",
        raw.ab_ratio);
  }
  ab.ratio = raw.ab_ratio;
  if (!(raw.ab_threshold > 0 && raw.ab_threshold < 10)) {
    return make_error(
        "--ab-threshold {}: the smallest change the verdict calls slower or faster, as a fraction "
        "(0.05 = 5%). fix: e.g. --ab-threshold 0.05",
        raw.ab_threshold);
  }
  ab.threshold = raw.ab_threshold;
  if (!(raw.ab_alpha > 0 && raw.ab_alpha < 1)) {
    return make_error("--ab-alpha {}: a level between 0 and 1. fix: e.g. --ab-alpha 0.05",
                      raw.ab_alpha);
  }
  ab.alpha = raw.ab_alpha;
  auto window = in_range("--ab-window", raw.ab_window, 10, 1'000'000, " latencies per arm");
  if (!window) return window.error();
  ab.window = static_cast<size_t>(*window);
  if (raw.canary) {
    CanaryParams canary;
    auto stages = parse_canary_stages(raw.canary_stages);
    if (!stages) return stages.error();
    canary.stages = *stages;
    if (!(raw.canary_margin >= 0 && raw.canary_margin <= 100)) {
      return make_error(
          "--canary-margin {}: how much higher B's p99 may be than A's, as a fraction (0.2 = 20%). "
          "fix: e.g. --canary-margin 0.2",
          raw.canary_margin);
    }
    canary.p99_margin = raw.canary_margin;
    if (!(raw.canary_error_margin >= 0 && raw.canary_error_margin <= 0.4)) {
      return make_error(
          "--canary-error-margin {}: how much higher B's error rate may be than A's, 0 to 0.4 "
          "(0.01 = 1 point). fix: e.g. --canary-error-margin 0.01",
          raw.canary_error_margin);
    }
    canary.error_margin = raw.canary_error_margin;
    auto requests = in_range("--canary-stage-requests", raw.canary_stage_requests, 0, 1'000'000'000,
                             " requests per stage (0: no limit)");
    if (!requests) return requests.error();
    canary.stage_requests = *requests;
    if (!(raw.canary_stage_seconds >= 0 && raw.canary_stage_seconds <= 7 * 86400)) {
      return make_error(
          "--canary-stage-seconds {}: 0 (no limit) to a week. fix: e.g. --canary-stage-seconds 300",
          raw.canary_stage_seconds);
    }
    canary.stage_seconds = raw.canary_stage_seconds;
    ab.canary = canary;
  }
  return std::optional<AbOptions>(std::move(ab));
}

}  // namespace

Expected<ServeOptions> validate(const RawServeArgs& raw) {
  ServeOptions options;
  if (raw.models.empty()) {
    return make_error(
        "serve needs at least one --model. fix: --model tiny_cnn (a catalog name, see "
        "`coldbench-torch models`) or --model NAME=PATH");
  }
  for (const std::string& text : raw.models) {
    auto spec = parse_model_spec(text);
    if (!spec) return spec.error();
    options.models.push_back(*spec);
  }
  auto modes = parse_modes(raw.mode);
  if (!modes) return modes.error();
  if (modes->size() != 1) {
    return make_error("--mode {}: serve runs one mode. fix: pick one of script, frozen, optimized",
                      raw.mode);
  }
  options.mode = modes->front();

  auto threads = in_range("--threads", raw.threads, 0, 4096, " (0: LibTorch's default)");
  if (!threads) return threads.error();
  options.threads = static_cast<int>(*threads);
  if (trim(raw.host).empty()) {
    return make_error(
        "--host is empty. fix: --host 127.0.0.1 (the default), or the address to listen on");
  }
  options.host = std::string(trim(raw.host));
  auto port = in_range("--port", raw.port, 0, 65535, " (0: any free port, printed when bound)");
  if (!port) return port.error();
  options.port = static_cast<int>(*port);
  auto warmup = in_range("--warmup", raw.warmup, 0, 1'000'000, " forward passes per model");
  if (!warmup) return warmup.error();
  options.warmup = static_cast<int>(*warmup);
  auto max_body = in_range("--max-body", raw.max_body, 1, 1ll << 32, " bytes");
  if (!max_body) return max_body.error();
  options.max_body = static_cast<size_t>(*max_body);
  auto workers = in_range("--workers", raw.workers, 1, 256, " inference threads");
  if (!workers) return workers.error();
  options.workers = static_cast<int>(*workers);
  auto queue = in_range("--queue", raw.queue, 0, 100'000, " waiting requests");
  if (!queue) return queue.error();
  options.queue = static_cast<int>(*queue);
  auto max_batch =
      in_range("--max-batch", raw.max_batch, 1, 1024, " rows per forward pass (1: no batching)");
  if (!max_batch) return max_batch.error();
  options.max_batch = static_cast<int>(*max_batch);
  auto batch_timeout = real_in("--batch-timeout", raw.batch_timeout_ms, 0, 10'000,
                               "milliseconds a request may wait for its batch to fill");
  if (!batch_timeout) return batch_timeout.error();
  options.batch_timeout_ms = *batch_timeout;
  auto read_timeout = in_range("--read-timeout", raw.read_timeout_s, 1, 3600, " seconds");
  if (!read_timeout) return read_timeout.error();
  options.read_timeout_s = static_cast<int>(*read_timeout);
  auto drain = in_range("--drain-timeout", raw.drain_timeout_s, 0, 3600, " seconds");
  if (!drain) return drain.error();
  options.drain_timeout_s = static_cast<int>(*drain);

  if (raw.buckets.empty()) {
    options.buckets = metrics::default_latency_buckets();
  } else {
    auto buckets = metrics::parse_buckets(raw.buckets);
    if (!buckets) return buckets.error();
    options.buckets = *buckets;
  }
  if (!raw.fault.empty()) {
    auto fault = parse_fault(raw.fault);
    if (!fault) return fault.error();
    options.fault = *fault;
  }
  if (!raw.size_range.empty()) {
    auto range = parse_size_range(raw.size_range);
    if (!range) return range.error();
    auto buckets = validate_bucket_options(raw.size_buckets, "--size-buckets");
    if (!buckets) return buckets.error();
    options.shapes = ShapeServing{*range, *buckets};
    const size_t precompiled = precompile_buckets(*options.shapes).size();
    if (buckets->precompile && precompiled > buckets->cache) {
      return make_error(
          "--precompile would prepare {} buckets but --bucket-cache holds {}. fix: --bucket-cache "
          "{} (each costs a module's memory), a wider --bucket-width, or --precompile with a "
          "shorter list",
          precompiled, buckets->cache, precompiled);
    }
  } else if (raw.size_buckets.bucket_width != 0 || !raw.size_buckets.buckets.empty() ||
             raw.size_buckets.bucket_cache || raw.size_buckets.precompile_given) {
    return make_error(
        "size bucket options need a range of sizes to serve. fix: add --size-range MIN-MAX (e.g. "
        "160-320)");
  }
  auto watch = validate_watch(raw);
  if (!watch) return watch.error();
  options.watch = std::move(*watch);
  options.exit_when_ready = raw.exit_when_ready;
  auto ab = validate_ab(raw);
  if (!ab) return ab.error();
  options.ab = std::move(*ab);
  return options;
}

std::optional<std::string> spin_wait_notice(bool openmp, int threads, const char* wait_policy,
                                            const char* spin_count) {
  if (!openmp || threads <= 1 || wait_policy || spin_count) return std::nullopt;
  return fmt::format(
      "{} OpenMP threads per forward pass with libgomp's default wait policy (spin, then sleep): "
      "fast on CPUs this server has to itself, many times slower when other work shares them "
      "(measured: 7 ms against 89-181 ms per MobileNetV2 pass on a busy 2-CPU machine). On a "
      "shared machine start serve with OMP_WAIT_POLICY=PASSIVE in its environment, or --threads 1 "
      "(docs/serve.md, Threads and CPUs)",
      threads);
}

}  // namespace coldbench::workload::serve
