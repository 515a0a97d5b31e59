#include "torch/serve/options.hpp"

#include <charconv>

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
  if (spec.source.empty()) {
    return make_error(
        "--model '{}' names no model. fix: a catalog name (see `coldbench-torch models`), a "
        ".pt path, or NAME=PATH",
        text);
  }
  return spec;
}

Expected<FaultPlan> parse_fault(std::string_view text) {
  FaultPlan plan;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = trim(text.substr(start, end - start));
    size_t colon = part.find(':');
    std::string_view kind = part.substr(0, colon);
    auto value = colon == std::string_view::npos ? std::nullopt : parse_int(part.substr(colon + 1));
    if (kind == "throw-after" && value && *value >= 0) {
      plan.throw_after = *value;
    } else if (kind == "delay-ms" && value && *value >= 0 && *value <= 600'000) {
      plan.delay_ms = *value;
    } else {
      return make_error(
          "--fault: '{}' is not a fault. fix: throw-after:K (every predict after the first K "
          "fails with 500) or delay-ms:D (each forward waits D ms first), comma-separated",
          part);
    }
    start = end + 1;
  }
  return plan;
}

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
  options.exit_when_ready = raw.exit_when_ready;
  return options;
}

}  // namespace coldbench::workload::serve
