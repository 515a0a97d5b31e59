#pragma once
// A small Prometheus registry and its text exposition (format 0.0.4) for
// `coldbench-torch serve`. Updates are lock-free atomics; a family's mutex is
// held only to find or add a labelled series, never during inference, so a
// scrape cannot stall a request. No LibTorch, no HTTP: unit-tested alone.

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/expected.hpp"

namespace coldbench::workload::metrics {

enum class Type { kCounter, kGauge, kHistogram };

class Counter {
 public:
  void add(uint64_t amount = 1) { value_.fetch_add(amount, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void add(int64_t amount) { value_.fetch_add(amount, std::memory_order_relaxed); }
  void set(int64_t value) { value_.store(value, std::memory_order_relaxed); }
  int64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Upper bounds in seconds, strictly increasing, finite; +Inf is implicit.
class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double value);

  struct Snapshot {
    std::vector<double> bounds;
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count = 0;
  };
  // `count` is the +Inf bucket, so count and buckets always agree even while
  // other threads observe.
  Snapshot snapshot() const;

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;  // bounds_.size() + 1, not cumulative
  std::atomic<double> sum_{0};
};

// The index of the bucket a value falls in: the first bound >= value (values
// equal to a bound count in it, as Prometheus' `le` says); bounds.size() for +Inf.
size_t bucket_index(const std::vector<double>& bounds, double value);

// 1-2-5 steps from 1 ms to 1 s (and 2.5 s, 5 s, 10 s for stragglers):
// resolves the 1-100 ms a CPU model takes.
std::vector<double> default_latency_buckets();

// "0.001,0.005,0.01" -> bounds; each positive and finite, strictly increasing.
Expected<std::vector<double>> parse_buckets(std::string_view text);

using LabelValues = std::vector<std::string>;

template <class Series>
class Family {
 public:
  Family(std::vector<std::string> label_names, std::function<std::unique_ptr<Series>()> make)
      : label_names_(std::move(label_names)), make_(std::move(make)) {}

  // The series for these label values (in label_names order), created on
  // first use; the reference stays valid for the registry's lifetime.
  Series& with(const LabelValues& values) {
    std::lock_guard lock(mutex_);
    auto& slot = series_[values];
    if (!slot) slot = make_();
    return *slot;
  }

  const std::vector<std::string>& label_names() const { return label_names_; }

  template <class Visit>
  void for_each(Visit&& visit) const {
    std::lock_guard lock(mutex_);
    for (const auto& [values, series] : series_) visit(values, *series);
  }

 private:
  std::vector<std::string> label_names_;
  std::function<std::unique_ptr<Series>()> make_;
  mutable std::mutex mutex_;
  std::map<LabelValues, std::unique_ptr<Series>> series_;
};

class Registry {
 public:
  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> labels);
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> labels);
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> labels,
                               std::vector<double> bounds);
  // An unlabelled value read at scrape time (process metrics); nullopt: omitted.
  void sampled(std::string name, std::string help, Type type,
               std::function<std::optional<double>()> read);

  // The text exposition format 0.0.4, families in registration order.
  std::string encode() const;

 private:
  struct Entry {
    std::string name;
    std::string help;
    Type type;
    std::unique_ptr<Family<Counter>> counters;
    std::unique_ptr<Family<Gauge>> gauges;
    std::unique_ptr<Family<Histogram>> histograms;
    std::function<std::optional<double>()> read;
  };
  Entry& add(std::string name, std::string help, Type type);
  std::vector<std::unique_ptr<Entry>> entries_;  // registered before serving starts
};

// Escaping as the format defines it: HELP escapes \ and newline; label values
// also escape ".
std::string escape_help(std::string_view text);
std::string escape_label_value(std::string_view text);
// Go's float syntax Prometheus parses: shortest round-trip, +Inf, -Inf, NaN.
std::string format_value(double value);

inline constexpr const char* kContentType = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace coldbench::workload::metrics
