#include "torch/infer/explain.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <set>

namespace coldbench::workload {

std::vector<KindDelta> graph_delta(const GraphStats& before, const GraphStats& after, size_t limit) {
  std::set<std::string> kinds;
  for (const auto& [kind, n] : before.by_kind) kinds.insert(kind);
  for (const auto& [kind, n] : after.by_kind) kinds.insert(kind);
  std::vector<KindDelta> delta;
  for (const std::string& kind : kinds) {
    auto count = [&](const GraphStats& stats) {
      auto found = stats.by_kind.find(kind);
      return found == stats.by_kind.end() ? int64_t{0} : found->second;
    };
    KindDelta d{kind, count(before), count(after)};
    if (d.before != d.after) delta.push_back(std::move(d));
  }
  std::stable_sort(delta.begin(), delta.end(), [](const KindDelta& a, const KindDelta& b) {
    return std::llabs(a.after - a.before) > std::llabs(b.after - b.before);
  });
  if (delta.size() > limit) delta.resize(limit);
  return delta;
}

std::vector<OpTime> top_ops(const WindowSummary& summary, int inferences, size_t limit) {
  std::vector<OpTime> ops;
  if (inferences <= 0) return ops;
  int64_t total_ns = 0;
  for (const OpStats& op : summary.ops) {
    if (!op.annotation) total_ns += op.self_ns;
  }
  for (const OpStats& op : summary.ops) {
    if (op.annotation) continue;
    OpTime time;
    time.name = op.name;
    time.calls_per_inference = static_cast<double>(op.calls) / inferences;
    time.self_ms_per_inference = static_cast<double>(op.self_ns) / 1e6 / inferences;
    time.share = total_ns > 0 ? static_cast<double>(op.self_ns) / static_cast<double>(total_ns) : 0.0;
    ops.push_back(std::move(time));
  }
  std::stable_sort(ops.begin(), ops.end(),
                   [](const OpTime& a, const OpTime& b) { return a.self_ms_per_inference > b.self_ms_per_inference; });
  if (ops.size() > limit) ops.resize(limit);
  return ops;
}

std::string describe_delta(const std::vector<KindDelta>& delta, size_t limit) {
  std::string text;
  for (size_t i = 0; i < delta.size() && i < limit; ++i) {
    if (i) text += ", ";
    text += fmt::format("{:+d} {}", delta[i].after - delta[i].before, delta[i].kind);
  }
  return text;
}

}  // namespace coldbench::workload
