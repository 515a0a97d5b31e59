#include "compare/gate.hpp"

#include <coldbench/marker.hpp>

#include <algorithm>

#include "analysis/run_samples.hpp"

namespace coldbench::compare {
namespace {

struct Sample {
  std::string name;
  QuantityKind kind = QuantityKind::Wall;
  std::string unit = "ms";
  std::vector<double> values;
};

struct ConfigSamples {
  int measured = 0;
  int failed = 0;
  std::vector<Sample> samples;  // wall, phases in the order they happen, latency
};

ConfigSamples collect(const ResultsDocument& document, int command_index) {
  const analysis::CommandRuns runs = analysis::command_runs(document, command_index);
  ConfigSamples out;
  out.measured = static_cast<int>(runs.measured.size());
  out.failed = runs.failed();
  auto add = [&out](analysis::RunValues values, QuantityKind kind) {
    out.samples.push_back({std::move(values.name), kind, std::move(values.unit), std::move(values.values)});
  };
  add(analysis::wall_values(runs.ok), QuantityKind::Wall);
  for (auto& phase : analysis::phase_values(runs.ok)) add(std::move(phase), QuantityKind::Phase);
  auto latency = analysis::metric_run_medians(runs.ok, marker::kMetricLatency);
  if (!latency.values.empty()) add(std::move(latency), QuantityKind::Metric);
  return out;
}

int command_index(const ResultsDocument& document, const std::string& name) {
  for (std::size_t i = 0; i < document.commands.size(); ++i) {
    if (document.commands[i].name == name) return static_cast<int>(i);
  }
  return -1;
}

std::string names(const ResultsDocument& document) {
  std::string out;
  for (const auto& c : document.commands) out += (out.empty() ? "" : ", ") + c.name;
  return out.empty() ? "(none)" : out;
}

const Sample* find(const ConfigSamples& samples, const Sample& like) {
  for (const auto& s : samples.samples) {
    if (s.name == like.name && s.kind == like.kind) return &s;
  }
  return nullptr;
}

ConfigDelta compare_config(const std::string& name, const ConfigSamples& base,
                           const ConfigSamples& current, const stats::ComparisonPolicy& policy) {
  ConfigDelta delta;
  delta.config = name;
  delta.base_measured = base.measured;
  delta.current_measured = current.measured;
  delta.base_failed = base.failed;
  delta.current_failed = current.failed;
  for (const auto& b : base.samples) {
    const Sample* c = find(current, b);
    std::string label = b.kind == QuantityKind::Phase ? "phase " + b.name : b.name;
    if (!c) {
      delta.skipped.push_back(label + ": only in base");
      continue;
    }
    if (b.values.size() < 2 || c->values.size() < 2) {
      ++delta.too_few_runs;
      delta.skipped.push_back(label + ": needs at least 2 successful runs on each side (base " +
                              std::to_string(b.values.size()) + ", current " +
                              std::to_string(c->values.size()) + ")");
      continue;
    }
    QuantityDelta q;
    q.quantity = b.name;
    q.kind = b.kind;
    q.unit = b.unit;
    q.comparison = stats::measure_comparison(b.values, c->values, policy);
    delta.quantities.push_back(std::move(q));
  }
  for (const auto& c : current.samples) {
    if (!find(base, c))
      delta.skipped.push_back((c.kind == QuantityKind::Phase ? "phase " : "") + c.name +
                              ": only in current");
  }
  return delta;
}

}  // namespace

bool ConfigDelta::more_failures() const {
  if (current_failed == 0 || current_measured == 0) return false;
  double base_rate = base_measured > 0 ? double(base_failed) / double(base_measured) : 0.0;
  return double(current_failed) / double(current_measured) > base_rate;
}

int GateResult::regressions() const {
  int n = 0;
  for (const auto& c : configs) {
    n += c.more_failures() ? 1 : 0;
    for (const auto& q : c.quantities) n += q.comparison.verdict == stats::Verdict::Slower ? 1 : 0;
  }
  return n;
}

int GateResult::improvements() const {
  int n = 0;
  for (const auto& c : configs) {
    for (const auto& q : c.quantities) n += q.comparison.verdict == stats::Verdict::Faster ? 1 : 0;
  }
  return n;
}

int GateResult::undecided() const {
  int n = 0;
  for (const auto& c : configs) {
    n += c.too_few_runs;
    for (const auto& q : c.quantities) n += stats::conclusive(q.comparison.verdict) ? 0 : 1;
  }
  return n;
}

std::size_t GateResult::most_runs_needed() const {
  std::size_t most = 0;
  for (const auto& c : configs) {
    for (const auto& q : c.quantities) {
      if (q.comparison.verdict == stats::Verdict::Inconclusive) most = std::max(most, q.comparison.runs_needed);
    }
  }
  return most;
}

Expected<GateResult> compare_sessions(const ResultsDocument& base, const ResultsDocument& current,
                                      const GateOptions& options) {
  GateResult result;
  result.options = options;
  for (std::size_t i = 0; i < base.commands.size(); ++i) {
    const std::string& name = base.commands[i].name;
    int j = command_index(current, name);
    if (j < 0) {
      result.only_in_base.push_back(name);
      continue;
    }
    result.configs.push_back(
        compare_config(name, collect(base, static_cast<int>(i)), collect(current, j), options));
  }
  for (const auto& c : current.commands) {
    if (command_index(base, c.name) < 0) result.only_in_current.push_back(c.name);
  }
  if (result.configs.empty()) {
    return make_error("no config in common: the base has {}; the current has {}", names(base),
                      names(current));
  }

  std::vector<stats::Comparison*> family;
  for (auto& c : result.configs) {
    for (auto& q : c.quantities) family.push_back(&q.comparison);
  }
  result.tests = static_cast<int>(family.size());
  bool failures = std::any_of(result.configs.begin(), result.configs.end(),
                              [](const ConfigDelta& c) { return c.more_failures(); });
  if (family.empty() && !failures) {
    return make_error(
        "nothing to compare: no config has at least 2 successful measured runs on both sides");
  }
  stats::decide_family(family, options);
  return result;
}

std::string_view to_string(QuantityKind kind) {
  switch (kind) {
    case QuantityKind::Wall:
      return "wall";
    case QuantityKind::Phase:
      return "phase";
    case QuantityKind::Metric:
      return "metric";
  }
  return "wall";
}

}  // namespace coldbench::compare
