// Rules over the page cache (findings_rules.hpp): what a cold start read and
// from which files, against the disk's sequential floor; what a prefetch
// racing the start recovers of the cold penalty; files eviction could not
// make cold, and the processes that kept them resident.

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <map>

#include "analysis/findings_rules.hpp"
#include "analysis/run_samples.hpp"
#include "core/units.hpp"

namespace coldbench::analysis::findings_detail {
namespace {

std::string short_name(const std::string& path) {
  return path.substr(path.rfind('/') + 1);
}

std::vector<std::string> without_cache_labels(std::vector<std::string> parameters) {
  std::erase_if(parameters, [](const std::string& p) { return p.starts_with("cache="); });
  return parameters;
}

// Everything but the cache mode the same.
bool same_but_cache(const StudyRow& a, const StudyRow& b, const std::string& text_a,
                    const std::string& text_b) {
  return text_a == text_b && a.isolation == b.isolation && a.cpus == b.cpus &&
         a.cpuset == b.cpuset && a.memory_bytes == b.memory_bytes && a.affinity == b.affinity &&
         a.env == b.env && without_cache_labels(a.parameters) == without_cache_labels(b.parameters);
}

std::optional<std::size_t> peer_with_mode(const SessionSummary& summary, const StudyTable& table,
                                          std::size_t i, const std::string& mode) {
  for (std::size_t j = 0; j < table.rows.size(); ++j) {
    if (j == i || table.rows[j].cache_mode != mode) continue;
    if (same_but_cache(table.rows[i], table.rows[j], summary.commands[i].command_text,
                       summary.commands[j].command_text))
      return j;
  }
  return std::nullopt;
}

// The first phase (where a cold start's reads land: interpreter and library
// loading), else the wall time; per-run values of one command.
const SampleSummary& first_phase_or_wall(const CommandSummary& c) {
  return c.phases.empty() ? c.wall : c.phases.front();
}

}  // namespace

void add_cache_findings(std::vector<Finding>& out, const SessionSummary& summary,
                        const StudyTable& table) {
  if (table.rows.size() != summary.commands.size()) return;
  for (std::size_t i = 0; i < summary.commands.size(); ++i) {
    const CommandSummary& c = summary.commands[i];
    if (!c.cold_reads) continue;
    const ColdReadsSummary& reads = *c.cold_reads;

    // Files eviction left resident, with who maps them.
    // The three most resident files: on a shared machine every library others map stays.
    for (std::size_t l = 0; l < reads.left_resident.size() && l < 3; ++l) {
      const LeftResident& left = reads.left_resident[l];
      const double percent =
          left.size_bytes > 0 ? 100.0 * double(left.resident_bytes) / double(left.size_bytes) : 0;
      Finding f;
      f.id = "pages_left_resident";
      f.subject = c.name + "/" + short_name(left.path);
      f.verdict = FindingVerdict::Shown;
      f.effect_name = "resident after eviction";
      f.effect = percent;
      f.candidate = c.name;
      f.test =
          "rule: resident share after posix_fadvise(DONTNEED), mincore; mappers from "
          "/proc/PID/maps";
      f.evidence = {{"resident after eviction", double(left.resident_bytes), "bytes"},
                    {"file size", double(left.size_bytes), "bytes"},
                    {"mapping processes", double(left.mappers.size()), ""}};
      std::string who;
      for (std::size_t m = 0; m < left.mappers.size() && m < 3; ++m) {
        who += fmt::format("{}pid {} ({})", m == 0 ? "" : ", ", left.mappers[m].pid,
                           left.mappers[m].command);
      }
      if (left.mappers.size() > 3) who += fmt::format(" and {} more", left.mappers.size() - 3);
      f.sentence =
          who.empty()
              ? fmt::format(
                    "{:.0f}% of {} stays resident after eviction in '{}' runs, and no process we "
                    "can see maps it: its runs were not fully cold.",
                    percent, short_name(left.path), c.name)
              : fmt::format(
                    "{:.0f}% of {} stays resident after eviction in '{}' runs: mapped by {}; "
                    "mapped pages cannot be evicted, so these runs were not fully cold.",
                    percent, short_name(left.path), c.name, who);
      f.recommendation =
          who.empty() ? "" : "stop the programs that map it before measuring a cold start";
      f.strength = percent / 100.0;
      out.push_back(std::move(f));
    }

    const double read = reads.read_bytes.summary.median;
    if (!(read > 0)) continue;
    Finding f;
    f.id = "cold_reads";
    f.subject = c.name;
    f.verdict = FindingVerdict::Shown;
    f.effect_name = "bytes the tracked files gained in the page cache per run (median)";
    f.effect = read;
    f.effect_ci = reads.read_bytes.summary.median_ci;
    f.candidate = c.name;
    f.n_candidate = std::size_t(reads.read_bytes.summary.n);
    f.test = "mincore before and after each run";
    f.evidence.push_back({"read per run (median)", read, "bytes"});
    std::string shares;
    for (std::size_t k = 0; k < reads.files.size() && k < 3; ++k) {
      const auto& file = reads.files[k];
      shares += fmt::format("{}{} of it from {} ({:.0f}%)", k == 0 ? ", " : "; ",
                            format_bytes(file.median_read_bytes), short_name(file.path),
                            100 * file.median_read_bytes / read);
      f.evidence.push_back({"read from " + short_name(file.path), file.median_read_bytes, "bytes"});
    }
    f.sentence = fmt::format("Cold start of '{}' read {} per run (median of {}){}.", c.name,
                             format_bytes(read), reads.read_bytes.summary.n, shares);
    if (reads.floor && reads.floor->bytes > 0) {
      const SequentialFloor& floor = *reads.floor;
      const double floor_ms = read / floor.bytes_per_s() * 1000.0;
      f.evidence.push_back({"sequential floor for those bytes", floor_ms, "ms"});
      f.evidence.push_back({"disk's sequential rate", floor.bytes_per_s(), "bytes/s"});
      f.sentence +=
          fmt::format(" Read sequentially ({}), the disk delivers those bytes in {} ({}/s).",
                      floor.method, format_ms(floor_ms), format_bytes(floor.bytes_per_s()));
      const auto warm = peer_with_mode(summary, table, i, "warm");
      const double penalty =
          warm ? c.wall.summary.median - summary.commands[*warm].wall.summary.median : stats::kNaN;
      const double fraction = fault_read_rate_fraction(read, penalty, reads.floor);
      if (std::isfinite(fraction)) {
        f.evidence.push_back({"cold penalty in wall time (median difference)", penalty, "ms"});
        f.evidence.push_back({"fault-driven rate / sequential rate", 100 * fraction, "%"});
        f.sentence += fmt::format(
            " Fault-driven reads ran at {:.0f}% of the disk's sequential rate ({} over the {} cold "
            "penalty in wall "
            "time against '{}').",
            100 * fraction, format_bytes(read), format_ms(penalty), summary.commands[*warm].name);
        if (fraction < 0.5 && floor_ms < penalty) {
          f.recommendation = fmt::format(
              "prefetch these files sequentially before the start (coldbench prefetch, "
              "docs/cache.md): the floor is "
              "{} of the {} penalty",
              format_ms(floor_ms), format_ms(penalty));
        }
      } else {
        const double bound = fault_read_rate_fraction(read, c.wall.summary.median, reads.floor);
        if (std::isfinite(bound)) {
          f.evidence.push_back(
              {"fault-driven rate / sequential rate, lower bound", 100 * bound, "%"});
          f.sentence += fmt::format(
              " Over the whole run the fault-driven reads ran at {:.0f}% or more of that rate (a "
              "warm config of the "
              "same command would give the cold penalty, and the exact figure).",
              100 * bound);
        }
      }
    }
    f.strength = 0.5;
    out.push_back(std::move(f));
  }

  // cold+prefetch against cold and warm of the same command: the share of the cold penalty the
  // prefetch recovers.
  for (std::size_t i = 0; i < table.rows.size(); ++i) {
    if (table.rows[i].cache_mode != "cold+prefetch") continue;
    const auto cold = peer_with_mode(summary, table, i, "cold");
    const auto warm = peer_with_mode(summary, table, i, "warm");
    if (!cold || !warm) continue;
    const SampleSummary& p = first_phase_or_wall(summary.commands[i]);
    const SampleSummary& c = first_phase_or_wall(summary.commands[*cold]);
    const SampleSummary& w = first_phase_or_wall(summary.commands[*warm]);
    if (p.name != c.name || c.name != w.name || p.values.size() < 2 || c.values.size() < 2 ||
        w.values.size() < 2)
      continue;
    stats::Comparison prefetch = stats::measure_comparison(c.values, p.values, summary.policy);
    stats::Comparison warmth = stats::measure_comparison(c.values, w.values, summary.policy);
    const double penalty = c.summary.median - w.summary.median;
    if (!(penalty > 0)) continue;
    const double recovered = (c.summary.median - p.summary.median) / penalty;
    // Conservative bounds from the two ratios' intervals (Bonferroni: coverage at least the sum of
    // their misses).
    stats::Interval bounds;
    if (prefetch.ratio_ci.valid() && warmth.ratio_ci.valid() && warmth.ratio_ci.high < 1) {
      bounds.low = (1 - prefetch.ratio_ci.high) / (1 - warmth.ratio_ci.low);
      bounds.high = (1 - prefetch.ratio_ci.low) / (1 - warmth.ratio_ci.high);
      bounds.level = std::max(0.0, 1 - (1 - prefetch.ratio_ci.level) - (1 - warmth.ratio_ci.level));
      bounds.requested_level = bounds.level;
    }
    const std::string what = p.name == "wall" ? "wall time" : "phase '" + p.name + "'";
    Finding f;
    f.id = "prefetch_recovery";
    f.subject = table.rows[i].config + "/" + p.name;
    f.verdict =
        bounds.valid() && bounds.low > 0 ? FindingVerdict::Shown : FindingVerdict::Inconclusive;
    f.effect_name =
        "share of the cold penalty recovered: (cold - cold+prefetch) / (cold - warm), medians";
    f.effect = recovered;
    f.effect_ci = bounds;
    f.baseline = table.rows[*cold].config;
    f.candidate = table.rows[i].config;
    f.n_baseline = c.values.size();
    f.n_candidate = p.values.size();
    f.test =
        "ratios of medians with distribution-free intervals (cold+prefetch/cold, warm/cold), "
        "combined";
    f.evidence = {{"median cold", c.summary.median, "ms"},
                  {"median cold+prefetch", p.summary.median, "ms"},
                  {"median warm", w.summary.median, "ms"},
                  {"cold+prefetch / cold", prefetch.ratio, "x"},
                  {"warm / cold", warmth.ratio, "x"}};
    const std::string range =
        bounds.valid() ? fmt::format(" [{:.0f}%, {:.0f}%] ({:.0f}% or more coverage)",
                                     100 * bounds.low, 100 * bounds.high, 100 * bounds.level)
                       : " (no interval at this n)";
    f.sentence = fmt::format(
        "Prefetch racing the start recovers {:.0f}%{} of the cold penalty in {}: '{}' {} against "
        "'{}' {} (cold) and "
        "'{}' {} (warm); cold+prefetch / cold {} {}.",
        100 * recovered, range, what, f.candidate, format_ms(p.summary.median), f.baseline,
        format_ms(c.summary.median), table.rows[*warm].config, format_ms(w.summary.median),
        ratio_text(prefetch.ratio), interval_text(prefetch.ratio_ci));
    if (f.verdict == FindingVerdict::Shown && recovered >= 0.5) {
      f.recommendation =
          "replay the prefetch list at boot (deploy/systemd/coldbench-prefetch.service)";
    }
    f.strength = std::fabs(std::log(std::max(1e-9, prefetch.ratio)));
    out.push_back(std::move(f));
  }
}

void add_attribution_findings(std::vector<Finding>& out, const ResultsDocument& document,
                              const SessionSummary& summary) {
  if (summary.commands.size() != document.commands.size()) return;
  for (std::size_t i = 0; i < summary.commands.size(); ++i) {
    const CommandSummary& command = summary.commands[i];
    // Per condition (the runs' "attribute" label), the first phase's durations, else the wall
    // times.
    const std::string phase = command.phases.empty() ? "" : command.phases.front().name;
    std::map<std::string, std::vector<double>> by_condition;
    std::vector<std::string> order;
    for (const RunRecord* run : command_runs(document, int(i)).ok) {
      auto label = run->labels.find("attribute");
      if (label == run->labels.end()) continue;
      double value = run->wall_ms;
      if (!phase.empty()) {
        const PhaseRecord* p = run->phase(phase);
        if (!p) continue;
        value = p->duration_ms;
      }
      if (!by_condition.count(label->second)) order.push_back(label->second);
      by_condition[label->second].push_back(value);
    }
    auto warm = by_condition.find("warm");
    if (warm == by_condition.end() || warm->second.size() < 2) continue;
    std::vector<std::string> groups;
    std::vector<stats::Comparison> comparisons;
    for (const auto& condition : order) {
      if (condition == "warm" || by_condition[condition].size() < 2) continue;
      groups.push_back(condition);
      comparisons.push_back(
          stats::measure_comparison(warm->second, by_condition[condition], summary.policy));
    }
    std::vector<stats::Comparison*> family;
    for (auto& c : comparisons) family.push_back(&c);
    stats::decide_family(family, summary.policy);
    const std::string what = phase.empty() ? "wall time" : "phase '" + phase + "'";
    double whole = stats::kNaN;
    for (std::size_t k = 0; k < groups.size(); ++k) {
      if (groups[k] == "cold: all")
        whole = comparisons[k].median_candidate - comparisons[k].median_baseline;
    }
    for (std::size_t k = 0; k < groups.size(); ++k) {
      const stats::Comparison& c = comparisons[k];
      const std::string group = groups[k].substr(groups[k].find(": ") + 2);
      Finding f;
      f.id = "attribution";
      f.subject = command.name + "/" + groups[k];
      f.verdict = c.verdict == stats::Verdict::Slower || c.verdict == stats::Verdict::Faster
                      ? FindingVerdict::Shown
                  : c.verdict == stats::Verdict::Equivalent ? FindingVerdict::Equivalent
                                                            : FindingVerdict::Inconclusive;
      f.effect_name = "ratio of medians (this group cold / all warm)";
      f.effect = c.ratio;
      f.effect_ci = c.ratio_ci;
      f.baseline = "warm";
      f.candidate = groups[k];
      f.n_baseline = c.n_baseline;
      f.n_candidate = c.n_candidate;
      f.test = fmt::format("Mann-Whitney U ({}, family of {}); TOST within +-{:g}%",
                           stats::to_string(summary.policy.correction), c.family,
                           100 * summary.policy.threshold);
      f.p_value = c.verdict == stats::Verdict::Equivalent ? c.p_equivalence_adjusted : c.p_adjusted;
      f.runs_needed = c.verdict == stats::Verdict::Inconclusive ? c.runs_needed : 0;
      const double cost = c.median_candidate - c.median_baseline;
      f.evidence = {{"median warm", c.median_baseline, "ms"},
                    {"median " + groups[k], c.median_candidate, "ms"},
                    {"cost (difference of medians)", cost, "ms"}};
      const std::string numbers =
          fmt::format("{} {}; medians {} vs {} warm, {} and {} runs", ratio_text(c.ratio),
                      interval_text(c.ratio_ci), format_ms(c.median_candidate),
                      format_ms(c.median_baseline), c.n_candidate, c.n_baseline);
      std::string share;
      if (groups[k] != "cold: all" && std::isfinite(whole) && whole > 0) {
        share = fmt::format(", {:.0f}% of what all files cold cost", 100 * cost / whole);
        f.evidence.push_back({"share of the all-cold cost", 100 * cost / whole, "%"});
      }
      if (f.verdict == FindingVerdict::Shown) {
        f.sentence = groups[k] == "cold: all"
                         ? fmt::format("With every tracked file cold, '{}' pays {} in {}: {}.",
                                       command.name, format_ms(cost), what, numbers)
                         : fmt::format("With only {} cold, '{}' pays {} in {}{}: {}.", group,
                                       command.name, format_ms(cost), what, share, numbers);
      } else if (f.verdict == FindingVerdict::Equivalent) {
        f.sentence =
            fmt::format("{} cold costs '{}' nothing in {} (within +-{:g}% of warm): {}.", group,
                        command.name, what, 100 * summary.policy.threshold, numbers);
      } else {
        f.sentence = fmt::format(
            "What {} cold costs '{}' in {} is not resolved: {}; {}.", group, command.name, what,
            numbers,
            f.runs_needed > 0 ? fmt::format("about {} runs each would settle it", f.runs_needed)
                              : "how many runs would settle it cannot be estimated at this n");
      }
      f.strength = std::isfinite(c.ratio) && c.ratio > 0 ? std::fabs(std::log(c.ratio)) : 0;
      out.push_back(std::move(f));
    }
  }
}

}  // namespace coldbench::analysis::findings_detail
