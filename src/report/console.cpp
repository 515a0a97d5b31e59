#include <fmt/format.h>

#include <cmath>

#include "core/units.hpp"
#include "report/findings_text.hpp"
#include "report/formats.hpp"
#include "report/table.hpp"
#include "report/text_format.hpp"

namespace coldbench::report {
namespace {

std::string value_of(const std::vector<analysis::SampleSummary>& samples, const std::string& name) {
  for (const auto& s : samples) {
    if (s.name == name) return format_value(s.summary.median, s.unit);
  }
  return "n/a";
}

// The evidence that oversubscription costs time: CFS throttling and involuntary switches.
std::string oversubscription_line(const analysis::Oversubscription& o) {
  std::string evidence;
  if (o.throttled_periods) {
    evidence += fmt::format("{:g}", *o.throttled_periods);
    if (o.periods) evidence += fmt::format(" of {:g}", *o.periods);
    evidence += " CFS periods throttled";
    if (o.throttled_ms) evidence += fmt::format(" ({} throttled)", format_value(*o.throttled_ms, "ms"));
    evidence += ", ";
  }
  evidence += fmt::format("{:g} involuntary context switches", o.involuntary_switches);
  return fmt::format(
      "  warning: oversubscribed: the workload reports {} compute threads ({}) but has {} effective CPU{} "
      "({} run{}); evidence (medians): {}. Try --threads auto\n",
      o.compute_threads, o.source, o.effective_cpus, o.effective_cpus == 1 ? "" : "s", o.runs, o.runs == 1 ? "" : "s",
      evidence);
}

// Next to the phases, so the reader sees that a cold run was cold (or why not).
std::string residency_lines(const analysis::CommandSummary& c) {
  const auto& r = c.residency->summary;
  std::string out = fmt::format(
      "  page cache{}: {} tracked file{}, {}; resident before each measured run: median {} (min {}, max {})\n",
      c.cache_mode.empty() ? "" : " (--cache " + c.cache_mode + ")", c.tracked_files, c.tracked_files == 1 ? "" : "s",
      format_bytes(double(c.tracked_bytes)), format_value(r.median, "%"), format_value(r.min, "%"),
      format_value(r.max, "%"));
  if ((c.cache_mode == "cold" || c.cache_mode == "cold+prefetch") && r.max > 1.0) {
    out += "    (pages that running programs have mapped, such as shared libraries, cannot be evicted; docs/cache.md)\n";
  }
  if (c.cache_mode == "warm" && r.min < 99.0 && !c.least_resident.empty()) {
    out += "    least resident:";
    for (const auto& f : c.least_resident) {
      double percent = f.size_bytes > 0 ? 100.0 * double(f.resident_bytes) / double(f.size_bytes) : 100.0;
      out += fmt::format(" {} {:.1f} %,", f.path.substr(f.path.rfind('/') + 1), percent);
    }
    out.back() = '\n';
  }
  return out;
}

std::string short_name(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// "cold start read 180 MiB, 120 MiB of it from libtorch_cpu.so", the disk's
// sequential floor for those bytes, and who kept pages resident.
std::string cold_read_lines(const analysis::CommandSummary& c) {
  const analysis::ColdReadsSummary& reads = *c.cold_reads;
  const double median = reads.read_bytes.summary.median;
  std::string out = fmt::format("  cold start read (pages the tracked files gained per run): median {} (min {}, max {})",
                                format_bytes(median), format_bytes(reads.read_bytes.summary.min),
                                format_bytes(reads.read_bytes.summary.max));
  std::string shares;
  for (std::size_t i = 0; i < reads.files.size() && i < 3; ++i) {
    shares += fmt::format("{}{} from {}", i == 0 ? "" : ", ", format_bytes(reads.files[i].median_read_bytes),
                          short_name(reads.files[i].path));
  }
  out += shares.empty() ? "\n" : "; " + shares + "\n";
  if (reads.floor && reads.floor->bytes > 0) {
    const SequentialFloor& f = *reads.floor;
    out += fmt::format("    disk's sequential floor: {} in {} ({}/s, {}, measured once)", format_bytes(double(f.bytes)),
                       format_ms(f.ms), format_bytes(f.bytes_per_s()), f.method);
    const double fraction = analysis::fault_read_rate_fraction(median, c.wall.summary.median, reads.floor);
    if (std::isfinite(fraction)) {
      out += fmt::format("; over the whole run the fault-driven reads ran at {:.0f}% or more of that rate", 100 * fraction);
    }
    out += "\n";
  }
  if (reads.prefetched_bytes) {
    out += fmt::format("    prefetch racing the start: median {} read before the run ended; the whole list in {} of {} runs\n",
                       format_bytes(reads.prefetched_bytes->summary.median), reads.prefetch_completed_runs,
                       reads.read_bytes.summary.n);
  }
  return out;
}

// "under: sandbox; cpus 1, memory 2.00 GiB; effective CPUs 1, threads 1" when
// the runs had isolation or limits, so the numbers below carry their setting.
void render_settings(std::string& out, const analysis::CommandSummary& c) {
  std::vector<std::string> parts;
  if (!c.isolation.empty() && c.isolation != "host") parts.push_back("isolation " + c.isolation);
  if (c.limits) {
    const AppliedLimits& l = *c.limits;
    std::string limits;
    auto add = [&](const std::string& text) { limits += (limits.empty() ? "" : ", ") + text; };
    if (l.cpus) add(fmt::format("cpus {:g}", *l.cpus));
    if (!l.cpuset.empty()) add("cpuset " + l.cpuset);
    if (l.memory_bytes) add("memory " + format_value(double(*l.memory_bytes), "bytes"));
    if (!l.affinity.empty()) add("affinity " + l.affinity);
    if (!l.threads.empty()) add("threads " + l.threads);
    if (!limits.empty()) {
      if (l.effective_cpus) limits += fmt::format("; effective CPUs {}", *l.effective_cpus);
      parts.push_back(limits);
    }
  }
  if (parts.empty()) return;
  std::string line = "  under:";
  for (const auto& p : parts) line += " " + p + ";";
  line.back() = '\n';
  out += line;
}

// The phases, then the wall time: the rows of the timing table.
std::vector<const analysis::SampleSummary*> all_times(const analysis::CommandSummary& c) {
  std::vector<const analysis::SampleSummary*> rows;
  for (const auto& p : c.phases) rows.push_back(&p);
  rows.push_back(&c.wall);
  return rows;
}

// Phases and wall, the page cache before the runs, process and cgroup medians.
void render_timings(std::string& out, const analysis::CommandSummary& c, const std::string& unit) {
  // One unit for the whole table, from its largest number, in the headers.
  std::vector<double> values;
  for (const analysis::SampleSummary* s : all_times(c)) {
    values.insert(values.end(), {s->summary.median, s->summary.median_ci.low, s->summary.median_ci.high,
                                 s->summary.min, s->summary.max});
  }
  const TimeColumn column = time_column(values, unit);
  const auto number = [&](double ms) { return in_column(ms, column); };
  Table phases({"phase", fmt::format("median ({}) [CI] (coverage)", column.unit), fmt::format("min .. max ({})", column.unit)});
  for (const analysis::SampleSummary* s : all_times(c)) {
    phases.add_row({s == &c.wall ? "total (wall)" : s->name, format_median_ci(s->summary, number),
                    number(s->summary.min) + " .. " + number(s->summary.max)});
  }
  out += "\n" + phases.to_text();
  if (c.residency) out += residency_lines(c);
  if (c.cold_reads) out += cold_read_lines(c);

  out += fmt::format(
      "\n  process (medians): user {}, system {}, max RSS {}, page faults {} minor / {} major, "
      "context switches {} voluntary / {} involuntary\n",
      value_of(c.process, "user_cpu"), value_of(c.process, "system_cpu"), value_of(c.process, "max_rss"),
      value_of(c.process, "minor_faults"), value_of(c.process, "major_faults"),
      value_of(c.process, "voluntary_switches"), value_of(c.process, "involuntary_switches"));
  if (!c.cgroup.empty()) {
    out += "  cgroup (medians):";
    for (const auto& s : c.cgroup) out += fmt::format(" {} {},", s.name, format_value(s.summary.median, s.unit));
    out.back() = '\n';
  }
  if (c.oversubscription) out += oversubscription_line(*c.oversubscription);
}

// Each metric's unit once, after its name; its cells are bare numbers (times in one unit per row).
void render_metrics(std::string& out, const analysis::CommandSummary& c,
                    const std::string& time_unit) {
  Table metrics({"metric", "values", "median", "p5", "p95", "p99", "mean"});
  for (const auto& m : c.metrics) {
    const auto& s = m.summary;
    std::string unit = m.unit;
    NumberFormat number = [](double v) { return format_value(v, ""); };
    if (m.unit == "ms") {
      const TimeColumn column = time_column(
          {s.median, s.p5, s.p95, s.p99, s.mean, s.max, s.p95_ci.high, s.p99_ci.high}, time_unit);
      unit = column.unit;
      number = [column](double v) { return in_column(v, column); };
    } else if (m.unit == "s") {
      const TimeColumn column = time_column(
          {s.median * 1e3, s.p95 * 1e3, s.p99 * 1e3, s.mean * 1e3, s.max * 1e3}, time_unit);
      unit = column.unit;
      number = [column](double v) { return in_column(v * 1e3, column); };
    }
    metrics.add_row({m.name + (unit.empty() ? "" : " (" + unit + ")"),
                     fmt::format("{} over {} run{}", s.n, m.runs, m.runs == 1 ? "" : "s"), number(s.median),
                     number(s.p5), format_tail(s, 0.95, number), format_tail(s, 0.99, number), number(s.mean)});
  }
  out += "\n" + metrics.to_text();
}

// Outliers of the wall time and the phases, after a blank line when there are any.
void render_outliers(std::string& out, const analysis::CommandSummary& c) {
  auto outlier_warnings = [&](const analysis::SampleSummary& s, const std::string& what) {
    if (s.outliers.empty()) return;
    out += fmt::format("  warning: outlier{} in {} (median {}):", s.outliers.size() == 1 ? "" : "s", what,
                       format_value(s.summary.median, s.unit));
    for (const auto& o : s.outliers) {
      out += fmt::format(" run {} {} (z {:.1f}),", o.run_index + 1, format_value(o.value, s.unit), o.z);
    }
    out.back() = '\n';
  };
  std::string before = out;
  outlier_warnings(c.wall, "total wall time");
  for (const auto& p : c.phases) outlier_warnings(p, "phase " + p.name);
  if (out.size() != before.size()) out.insert(before.size(), "\n");
}

// Machine noise, malformed markers and the runs' own warnings.
void render_warnings(std::string& out, const analysis::CommandSummary& c) {
  for (const auto& text : c.noise_warnings()) out += "  warning: " + text + "\n";
  if (c.malformed_markers > 0) {
    out += fmt::format("  warning: {} malformed marker line{} ignored (see docs/marker-protocol.md)\n",
                       c.malformed_markers, c.malformed_markers == 1 ? "" : "s");
  }
  // A few lines are enough to see what went wrong; the JSON has every run's.
  constexpr std::size_t kShownWarnings = 3;
  for (std::size_t i = 0; i < c.warnings.size() && i < kShownWarnings; ++i) {
    out += fmt::format("  warning: {} ({} run{})\n", c.warnings[i].text, c.warnings[i].runs,
                       c.warnings[i].runs == 1 ? "" : "s");
  }
  if (c.warnings.size() > kShownWarnings) {
    out += fmt::format("  ... {} more warnings in the runs' \"warnings\" (--json)\n", c.warnings.size() - kShownWarnings);
  }
}

void render_failures(std::string& out, const analysis::CommandSummary& c) {
  for (const auto& f : c.failures) {
    out += fmt::format("  failed {} {}: {}\n", f.warmup ? "warmup" : "run", f.run_index + 1, f.error);
    if (!f.output_tail.empty()) {
      std::string tail = f.output_tail;
      std::size_t start = 0;
      int lines = 0;
      // The last five lines are enough to recognise the problem here; the JSON keeps more.
      for (std::size_t pos = tail.size(); pos > 0 && lines < 6; --pos) {
        if (tail[pos - 1] == '\n' && ++lines == 6) start = pos;
      }
      std::string shown = tail.substr(start);
      for (std::size_t pos = 0; pos < shown.size();) {
        std::size_t end = shown.find('\n', pos);
        if (end == std::string::npos) end = shown.size();
        out += "    | " + shown.substr(pos, end - pos) + "\n";
        pos = end + 1;
      }
    }
  }
}

void render_command(std::string& out, const analysis::CommandSummary& c,
                    const std::string& time_unit) {
  out += fmt::format("Command '{}'", c.name);
  if (c.command_text != c.name) out += fmt::format(": {}", c.command_text);
  out += fmt::format("\n  {} measured run{}, {} succeeded", c.measured_runs, c.measured_runs == 1 ? "" : "s",
                     c.succeeded_runs);
  if (c.failed_runs > 0) out += fmt::format(", {} FAILED", c.failed_runs);
  out += "\n";
  render_settings(out, c);
  if (c.succeeded_runs > 0) render_timings(out, c, time_unit);
  if (!c.metrics.empty()) render_metrics(out, c, time_unit);
  render_outliers(out, c);
  render_warnings(out, c);
  render_failures(out, c);
}

// hyperfine's closing line with the interval and the verdict: "'b' ran 1.52x faster than 'a'
// [1.40x, 1.61x] (96.8% CI): faster". A speed-up is the inverse ratio, its interval inverted.
std::string comparison_summary_line(const analysis::CommandComparison& cmp) {
  const analysis::QuantityComparison* wall = nullptr;
  for (const auto& q : cmp.quantities) {
    if (q.quantity == "wall") wall = &q;
  }
  if (!wall || !std::isfinite(wall->comparison.ratio) || wall->comparison.ratio <= 0) {
    return fmt::format("'{}' vs '{}': not enough successful runs to compare", cmp.candidate, cmp.baseline);
  }
  const stats::Comparison& r = wall->comparison;
  const bool faster = r.ratio < 1.0;
  const double factor = faster ? 1.0 / r.ratio : r.ratio;
  std::string line = fmt::format("'{}' ran {:.3f}x {} than '{}'", cmp.candidate, factor, faster ? "faster" : "slower",
                                 cmp.baseline);
  if (r.ratio_ci.valid() && r.ratio_ci.low > 0) {
    const double low = faster ? 1.0 / r.ratio_ci.high : r.ratio_ci.low;
    const double high = faster ? 1.0 / r.ratio_ci.low : r.ratio_ci.high;
    line += fmt::format(" [{:.3f}x, {:.3f}x] ({:.3g}% CI)", low, high, 100.0 * r.ratio_ci.level);
  }
  return line + ": " + format_verdict(r);
}

}  // namespace

std::optional<std::string> ConsoleReporter::render(const ResultsDocument& document,
                                                   const analysis::SessionSummary* summary) const {
  if (!summary) return std::nullopt;
  // Findings first: the answers, then the tables they were read from.
  std::string out = findings_text(summary->findings);
  for (const auto& c : summary->commands) {
    if (!out.empty()) out += "\n";
    render_command(out, c, time_unit_);
  }
  if (auto lines = adaptive_lines(document); !lines.empty()) {
    out += "\n";
    for (const auto& line : lines) out += line + "\n";
  }
  if (!summary->comparisons.empty()) out += "\n" + comparison_policy_line(*summary) + "\n";
  for (const auto& cmp : summary->comparisons) {
    out += fmt::format("\n'{}' vs '{}'\n", cmp.candidate, cmp.baseline);
    Table table({"quantity", "ratio [CI] (coverage)", p_header(summary->policy), "p (Welch)", "Cliff's delta",
                 "detects", "verdict"});
    for (const auto& q : cmp.quantities) {
      const auto& r = q.comparison;
      table.add_row({q.quantity, format_ratio_ci(r), format_p(r.p_adjusted), format_p(r.welch.p_value),
                     std::isfinite(r.cliffs_delta) ? fmt::format("{:+.2f}", r.cliffs_delta) : "n/a", format_mde(r),
                     format_verdict(r)});
    }
    out += table.empty() ? "  (not enough successful runs to compare)\n" : table.to_text();
  }
  if (!summary->comparisons.empty()) {
    out += "\nSummary (wall time)\n";
    for (const auto& cmp : summary->comparisons) out += "  " + comparison_summary_line(cmp) + "\n";
  }
  if (document.interrupted) out += "\nInterrupted: the summary covers the runs finished before Ctrl-C.\n";
  return out;
}

}  // namespace coldbench::report
