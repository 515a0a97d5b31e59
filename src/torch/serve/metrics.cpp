#include "torch/serve/metrics.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "core/text.hpp"

namespace coldbench::workload::metrics {

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double value) {
  buckets_[bucket_index(bounds_, value)].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const {
  Snapshot snapshot;
  snapshot.bounds = bounds_;
  uint64_t running = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    running += buckets_[i].load(std::memory_order_relaxed);
    snapshot.cumulative.push_back(running);
  }
  snapshot.count = running;
  snapshot.sum = sum_.load(std::memory_order_relaxed);
  return snapshot;
}

size_t bucket_index(const std::vector<double>& bounds, double value) {
  return static_cast<size_t>(std::lower_bound(bounds.begin(), bounds.end(), value) -
                             bounds.begin());
}

std::vector<double> default_latency_buckets() {
  return {0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2.5, 5, 10};
}

Expected<std::vector<double>> parse_buckets(std::string_view text) {
  std::vector<double> bounds;
  size_t start = 0;
  while (start <= text.size()) {
    size_t end = text.find(',', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view part = trim(text.substr(start, end - start));
    double value = 0;
    auto [stop, error] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (part.empty() || error != std::errc() || stop != part.data() + part.size() ||
        !std::isfinite(value) || value <= 0) {
      return make_error(
          "--buckets: '{}' is not a positive number of seconds (in '{}'). fix: give increasing "
          "upper bounds in seconds, e.g. --buckets 0.001,0.005,0.01,0.05,0.1",
          part, text);
    }
    if (!bounds.empty() && value <= bounds.back()) {
      return make_error(
          "--buckets: {} does not increase on {} (in '{}'). fix: list the bounds in "
          "increasing order, each once",
          part, format_value(bounds.back()), text);
    }
    bounds.push_back(value);
    start = end + 1;
  }
  return bounds;
}

namespace {

// The exposition format escapes backslash and newline in HELP text, and the
// double quote as well in label values.
std::string escape(std::string_view text, bool quote) {
  std::string out;
  for (char c : text) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (quote && c == '"') {
      out += "\\\"";
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace

std::string escape_help(std::string_view text) { return escape(text, false); }

std::string escape_label_value(std::string_view text) { return escape(text, true); }

std::string format_value(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return fmt::format("{}", value);
}

namespace {

const char* type_name(Type type) {
  switch (type) {
    case Type::kCounter:
      return "counter";
    case Type::kGauge:
      return "gauge";
    case Type::kHistogram:
      return "histogram";
  }
  return "untyped";
}

// {a="x",b="y"} plus an optional extra label (le); "" when there are none.
std::string label_set(const std::vector<std::string>& names, const LabelValues& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  std::string out;
  for (size_t i = 0; i < names.size() && i < values.size(); ++i) {
    out +=
        fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", names[i], escape_label_value(values[i]));
  }
  if (!extra_name.empty()) {
    out += fmt::format("{}{}=\"{}\"", out.empty() ? "" : ",", extra_name,
                       escape_label_value(extra_value));
  }
  return out.empty() ? out : "{" + out + "}";
}

}  // namespace

Registry::Entry& Registry::add(std::string name, std::string help, Type type) {
  auto entry = std::make_unique<Entry>();
  entry->name = std::move(name);
  entry->help = std::move(help);
  entry->type = type;
  entries_.push_back(std::move(entry));
  return *entries_.back();
}

Family<Counter>& Registry::counter(std::string name, std::string help,
                                   std::vector<std::string> labels) {
  Entry& entry = add(std::move(name), std::move(help), Type::kCounter);
  entry.counters = std::make_unique<Family<Counter>>(std::move(labels),
                                                     [] { return std::make_unique<Counter>(); });
  return *entry.counters;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help,
                               std::vector<std::string> labels) {
  Entry& entry = add(std::move(name), std::move(help), Type::kGauge);
  entry.gauges =
      std::make_unique<Family<Gauge>>(std::move(labels), [] { return std::make_unique<Gauge>(); });
  return *entry.gauges;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help,
                                       std::vector<std::string> labels,
                                       std::vector<double> bounds) {
  Entry& entry = add(std::move(name), std::move(help), Type::kHistogram);
  entry.histograms = std::make_unique<Family<Histogram>>(
      std::move(labels), [bounds] { return std::make_unique<Histogram>(bounds); });
  return *entry.histograms;
}

void Registry::sampled(std::string name, std::string help, Type type,
                       std::function<std::optional<double>()> read) {
  add(std::move(name), std::move(help), type).read = std::move(read);
}

std::string Registry::encode() const {
  std::string out;
  for (const auto& entry : entries_) {
    const std::string& name = entry->name;
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", name, escape_help(entry->help), name,
                       type_name(entry->type));
    if (entry->counters) {
      const auto& labels = entry->counters->label_names();
      entry->counters->for_each([&](const LabelValues& values, const Counter& counter) {
        out += fmt::format("{}{} {}\n", name, label_set(labels, values), counter.value());
      });
    } else if (entry->gauges) {
      const auto& labels = entry->gauges->label_names();
      entry->gauges->for_each([&](const LabelValues& values, const Gauge& gauge) {
        out += fmt::format("{}{} {}\n", name, label_set(labels, values), gauge.value());
      });
    } else if (entry->histograms) {
      const auto& labels = entry->histograms->label_names();
      entry->histograms->for_each([&](const LabelValues& values, const Histogram& histogram) {
        Histogram::Snapshot snap = histogram.snapshot();
        for (size_t i = 0; i < snap.cumulative.size(); ++i) {
          std::string le = i < snap.bounds.size() ? format_value(snap.bounds[i]) : "+Inf";
          out += fmt::format("{}_bucket{} {}\n", name, label_set(labels, values, "le", le),
                             snap.cumulative[i]);
        }
        out +=
            fmt::format("{}_sum{} {}\n", name, label_set(labels, values), format_value(snap.sum));
        out += fmt::format("{}_count{} {}\n", name, label_set(labels, values), snap.count);
      });
    } else if (entry->read) {
      if (std::optional<double> value = entry->read()) {
        out += fmt::format("{} {}\n", name, format_value(*value));
      }
    }
  }
  return out;
}

}  // namespace coldbench::workload::metrics
