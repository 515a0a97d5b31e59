#include "torch/profile/summary.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>

namespace coldbench::workload {
namespace {

constexpr size_t kNameWidth = 45;

bool is_host_read(const ProfileWindow& window, const OpEvent& op) {
  if (op.name == "aten::item") return true;
  // .item() runs _local_scalar_dense inside aten::item; count the pair once.
  if (op.name == "aten::_local_scalar_dense") {
    return op.parent < 0 || window.ops[op.parent].name != "aten::item";
  }
  return false;
}

std::string fit_name(const std::string& name) {
  if (name.size() <= kNameWidth) return name;
  return name.substr(0, kNameWidth - 3) + "...";
}

std::string percent(double part, double total) {
  return total > 0 ? fmt::format("{:.2f}%", 100.0 * part / total) : "-";
}

}  // namespace

ProfileCounts& ProfileCounts::operator+=(const ProfileCounts& other) {
  steps += other.steps;
  op_calls += other.op_calls;
  host_reads += other.host_reads;
  alloc_events += other.alloc_events;
  alloc_bytes += other.alloc_bytes;
  free_events += other.free_events;
  peak_allocated_bytes = std::max(peak_allocated_bytes, other.peak_allocated_bytes);
  other_thread_op_calls += other.other_thread_op_calls;
  other_thread_busy_ns += other.other_thread_busy_ns;
  return *this;
}

std::string aggregate_name(const std::string& name) {
  static const std::string kStep = "ProfilerStep#";
  if (name.compare(0, kStep.size(), kStep) == 0) return "ProfilerStep*";
  return name;
}

WindowSummary summarize_window(const ProfileWindow& window, int64_t steps) {
  WindowSummary summary;
  summary.counts.steps = steps;
  const size_t n = window.ops.size();

  // Self time = own duration minus the direct children's.
  std::vector<int64_t> child_ns(n, 0);
  std::vector<double> child_device_us(n, 0);
  for (size_t i = 0; i < n; ++i) {
    int64_t parent = window.ops[i].parent;
    if (parent >= 0 && static_cast<size_t>(parent) < n) {
      child_ns[parent] += window.ops[i].duration_ns();
      child_device_us[parent] += window.ops[i].device_us.value_or(0);
    }
  }
  std::vector<int64_t> allocs(n, 0);
  std::vector<int64_t> alloc_bytes(n, 0);
  for (const MemoryEvent& event : window.memory) {
    if (event.tid != window.main_tid) continue;
    if (event.bytes > 0) {
      ++summary.counts.alloc_events;
      summary.counts.alloc_bytes += event.bytes;
      if (event.op >= 0 && static_cast<size_t>(event.op) < n) {
        ++allocs[event.op];
        alloc_bytes[event.op] += event.bytes;
      }
    } else if (event.bytes < 0) {
      ++summary.counts.free_events;
    }
    summary.counts.peak_allocated_bytes =
        std::max(summary.counts.peak_allocated_bytes, event.total_allocated);
  }

  std::map<std::string, size_t> by_name;
  for (size_t i = 0; i < n; ++i) {
    const OpEvent& op = window.ops[i];
    if (op.tid != window.main_tid) {
      if (op.is_op()) ++summary.counts.other_thread_op_calls;
      if (op.parent < 0) summary.counts.other_thread_busy_ns += op.duration_ns();
      continue;
    }
    if (op.is_op()) ++summary.counts.op_calls;
    if (is_host_read(window, op)) ++summary.counts.host_reads;

    std::string name = aggregate_name(op.name);
    auto [it, inserted] = by_name.emplace(name, summary.ops.size());
    if (inserted) {
      summary.ops.push_back(OpStats{});
      summary.ops.back().name = name;
      summary.ops.back().annotation = op.kind == EventKind::kAnnotation;
    }
    OpStats& stats = summary.ops[it->second];
    int64_t self_ns = std::max<int64_t>(0, op.duration_ns() - child_ns[i]);
    ++stats.calls;
    stats.total_ns += op.duration_ns();
    stats.self_ns += self_ns;
    stats.alloc_events += allocs[i];
    stats.alloc_bytes += alloc_bytes[i];
    summary.self_total_ns += self_ns;
    if (op.device_us) {
      double self_device = std::max(0.0, *op.device_us - child_device_us[i]);
      stats.total_device_us += *op.device_us;
      stats.self_device_us += self_device;
      summary.self_device_total_us += self_device;
    }
  }
  return summary;
}

void merge_summary(WindowSummary& into, const WindowSummary& more) {
  into.counts += more.counts;
  into.self_total_ns += more.self_total_ns;
  into.self_device_total_us += more.self_device_total_us;
  for (const OpStats& op : more.ops) {
    auto it = std::find_if(into.ops.begin(), into.ops.end(),
                           [&](const OpStats& existing) { return existing.name == op.name; });
    if (it == into.ops.end()) {
      into.ops.push_back(op);
      continue;
    }
    it->calls += op.calls;
    it->self_ns += op.self_ns;
    it->total_ns += op.total_ns;
    it->self_device_us += op.self_device_us;
    it->total_device_us += op.total_device_us;
    it->alloc_events += op.alloc_events;
    it->alloc_bytes += op.alloc_bytes;
  }
}

void sort_ops(std::vector<OpStats>& ops, OpSort sort) {
  std::stable_sort(ops.begin(), ops.end(), [sort](const OpStats& a, const OpStats& b) {
    if (sort == OpSort::kSelfDevice && a.self_device_us != b.self_device_us) {
      return a.self_device_us > b.self_device_us;
    }
    if (a.self_ns != b.self_ns) return a.self_ns > b.self_ns;
    return a.name < b.name;
  });
}

std::string format_profiler_time(double us) {
  if (us >= 1e6) return fmt::format("{:.3f}s", us / 1e6);
  if (us >= 1e3) return fmt::format("{:.3f}ms", us / 1e3);
  return fmt::format("{:.3f}us", us);
}

std::string format_top_ops_table(const WindowSummary& summary, const std::vector<OpStats>& ops,
                                 int top, bool device_columns) {
  const double self_total_us = static_cast<double>(summary.self_total_ns) / 1e3;
  std::string header = fmt::format("{:<{}}  {:>10}  {:>11}  {:>11}  {:>11}  {:>12}  {:>10}", "Name",
                                   kNameWidth, "Self CPU %", "Self CPU", "CPU total %", "CPU total",
                                   "CPU time avg", "# of Calls");
  if (device_columns) {
    header += fmt::format("  {:>11}  {:>11}  {:>11}", "Self CUDA", "Self CUDA %", "CUDA total");
  }
  header += fmt::format("  {:>8}  {:>11}", "# Allocs", "Alloc bytes");
  std::string rule(header.size(), '-');
  std::string out = rule + "\n" + header + "\n" + rule + "\n";
  int shown = 0;
  for (const OpStats& op : ops) {
    if (shown++ >= top) break;
    double self_us = static_cast<double>(op.self_ns) / 1e3;
    double total_us = static_cast<double>(op.total_ns) / 1e3;
    out += fmt::format(
        "{:<{}}  {:>10}  {:>11}  {:>11}  {:>11}  {:>12}  {:>10}", fit_name(op.name), kNameWidth,
        percent(self_us, self_total_us), format_profiler_time(self_us),
        percent(total_us, self_total_us), format_profiler_time(total_us),
        format_profiler_time(op.calls ? total_us / static_cast<double>(op.calls) : 0), op.calls);
    if (device_columns) {
      out += fmt::format("  {:>11}  {:>11}  {:>11}", format_profiler_time(op.self_device_us),
                         percent(op.self_device_us, summary.self_device_total_us),
                         format_profiler_time(op.total_device_us));
    }
    out += fmt::format("  {:>8}  {:>11}\n", op.alloc_events, op.alloc_bytes);
  }
  out += rule + "\n";
  out += fmt::format("Self CPU time total: {}\n", format_profiler_time(self_total_us));
  if (device_columns) {
    out += fmt::format("Self CUDA time total: {}\n",
                       format_profiler_time(summary.self_device_total_us));
  }
  return out;
}

}  // namespace coldbench::workload
