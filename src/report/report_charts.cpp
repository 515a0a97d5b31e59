#include "report/report_charts.hpp"

#include <algorithm>
#include <cmath>

#include <coldbench/marker.hpp>
#include <fmt/format.h>

namespace coldbench::report {
namespace {

using nlohmann::json;

constexpr const char* kSchema = "https://vega.github.io/schema/vega-lite/v6.json";
constexpr int kWidth = 640;

// Microsecond resolution is plenty for a chart and keeps the page small.
double rounded(double ms) {
  return std::round(ms * 1000.0) / 1000.0;
}

json config_names(const analysis::SessionSummary& summary) {
  json names = json::array();
  for (const auto& c : summary.commands) names.push_back(c.name);
  return names;
}

// Vega-Lite's default palette has 10 colors: past ten configs (or phases) use one of 20, so no two
// share a color up to 20; beyond that the charts' axes and tooltips still name each one.
json color_scale(std::size_t categories, json scale = json::object()) {
  if (categories > 10) scale["scheme"] = "tableau20";
  return scale;
}

json base_spec(json values) {
  return json{{"$schema", kSchema},
              {"data", {{"values", std::move(values)}}},
              {"config", {{"view", {{"stroke", nullptr}}}}}};
}

ReportChart phase_bars(const analysis::SessionSummary& summary, const analysis::StudyTable& table) {
  json values = json::array();
  bool any_phase = !table.phase_names.empty();
  for (const auto& row : table.rows) {
    if (!any_phase) {
      if (row.wall.n > 0)
        values.push_back({{"config", row.config},
                          {"phase", "wall"},
                          {"order", 0},
                          {"median_ms", rounded(row.wall.median)}});
      continue;
    }
    for (std::size_t i = 0; i < table.phase_names.size(); ++i) {
      auto it = row.phases.find(table.phase_names[i]);
      if (it == row.phases.end() || it->second.n == 0) continue;
      values.push_back({{"config", row.config},
                        {"phase", table.phase_names[i]},
                        {"order", i},
                        {"median_ms", rounded(it->second.median)}});
    }
  }
  json domain = any_phase ? json(table.phase_names) : json::array({"wall"});
  json spec = base_spec(std::move(values));
  spec["width"] = kWidth;
  spec["height"] = {{"step", 26}};
  spec["mark"] = {{"type", "bar"}, {"tooltip", true}};
  spec["encoding"] = {{"y",
                       {{"field", "config"},
                        {"type", "nominal"},
                        {"sort", config_names(summary)},
                        {"title", nullptr}}},
                      {"x",
                       {{"field", "median_ms"},
                        {"type", "quantitative"},
                        {"stack", "zero"},
                        {"title", "median duration (ms)"}}},
                      {"color",
                       {{"field", "phase"},
                        {"type", "nominal"},
                        {"scale", color_scale(domain.size(), {{"domain", domain}})},
                        {"title", "phase"}}},
                      {"order", {{"field", "order"}, {"type", "quantitative"}}}};
  return {"chart-phases", "Cold-start phases per config",
          any_phase ? "Median duration of each phase, stacked in the order the phases happen "
                      "(successful measured runs)."
                    : "No phases were reported; the bars show the median wall time.",
          std::move(spec)};
}

ReportChart latency_distribution(const analysis::SessionSummary& summary, const ChartOptions& options) {
  bool any_latency = false;
  for (const auto& c : summary.commands) {
    for (const auto& m : c.metrics)
      any_latency = any_latency || (m.name == marker::kMetricLatency && !m.values.empty());
  }
  json values = json::array();
  std::string unit = "ms";
  for (const auto& c : summary.commands) {
    std::vector<double> pooled;
    if (any_latency) {
      for (const auto& m : c.metrics) {
        if (m.name != marker::kMetricLatency) continue;
        pooled = m.values;
        if (!m.unit.empty()) unit = m.unit;
      }
    } else {
      pooled = c.wall.values;
    }
    for (double v : subsample_sorted(std::move(pooled), options.max_points_per_config)) {
      values.push_back({{"config", c.name}, {"value", rounded(v)}});
    }
  }
  json spec = base_spec(std::move(values));
  spec["width"] = kWidth;
  spec["height"] = {{"step", 26}};
  spec["mark"] = {{"type", "boxplot"}, {"extent", "min-max"}, {"size", 14}};
  spec["encoding"] = {{"y",
                       {{"field", "config"},
                        {"type", "nominal"},
                        {"sort", config_names(summary)},
                        {"title", nullptr}}},
                      {"x",
                       {{"field", "value"},
                        {"type", "quantitative"},
                        // Log scale: a 50x slower config (script vs optimized) must not
                        // flatten the others' boxes into lines.
                        {"scale", {{"type", "log"}}},
                        {"title", any_latency ? "latency (" + unit + ", log scale)" : "wall time (ms, log scale)"}}},
                      {"color",
                       {{"field", "config"},
                        {"type", "nominal"},
                        {"sort", config_names(summary)},
                        {"scale", color_scale(summary.commands.size())},
                        {"legend", nullptr}}}};
  std::string caption = any_latency ? "Steady-state latency: every iteration of every successful "
                                      "run, pooled per config; box = p25..p75, "
                                      "median inside, whiskers to the minimum and maximum."
                                    : "No 'latency' metric was reported; the boxes show the wall "
                                      "time of the successful runs.";
  if (any_latency)
    caption += " Configs with many values are drawn from evenly spaced order statistics.";
  return {"chart-latency", any_latency ? "Steady latency per config" : "Wall time per config",
          caption, std::move(spec)};
}

ReportChart run_order(const ResultsDocument& document, const analysis::SessionSummary& summary,
                      const analysis::StudyTable& table) {
  const std::string first_phase = table.phase_names.empty() ? "" : table.phase_names.front();
  const std::string first_label = "first phase (" + first_phase + ")";
  json values = json::array();
  for (const auto& run : document.runs) {
    std::string kind = !run.succeeded() ? "failed" : run.warmup ? "warmup" : "measured";
    json point = {{"sequence", run.sequence}, {"config", run.command}, {"run", kind}};
    if (run.residency)
      point["resident_percent"] = std::round(1000.0 * run.residency->fraction()) / 10.0;
    point["quantity"] = "wall";
    point["ms"] = rounded(run.wall_ms);
    values.push_back(point);
    if (const auto* p = first_phase.empty() ? nullptr : run.phase(first_phase)) {
      point["quantity"] = first_label;
      point["ms"] = rounded(p->duration_ms);
      values.push_back(std::move(point));
    }
  }
  json x = {{"field", "sequence"},
            {"type", "quantitative"},
            {"title", "run order (sequence in the session)"}};
  // A magnitude axis starts at zero, so heights compare as ratios.
  json y = {{"field", "ms"}, {"type", "quantitative"}, {"scale", {{"zero", true}}}, {"title", "ms"}};
  json color = {{"field", "config"},
                {"type", "nominal"},
                {"sort", config_names(summary)},
                {"scale", color_scale(summary.commands.size())},
                {"title", "config"}};
  json spec = base_spec(std::move(values));
  json rows = json::array({"wall"});
  if (!first_phase.empty()) rows.push_back(first_label);
  spec["facet"] = {
      {"row", {{"field", "quantity"}, {"type", "nominal"}, {"sort", rows}, {"title", nullptr}}}};
  spec["spec"] = {
      {"width", kWidth},
      {"height", 170},
      {"layer", json::array({{{"mark", {{"type", "line"}, {"opacity", 0.45}}},
                              {"encoding", {{"x", x}, {"y", y}, {"color", color}}}},
                             {{"mark", {{"type", "point"}, {"filled", true}, {"tooltip", true}}},
                              {"encoding",
                               {{"x", x},
                                {"y", y},
                                {"color", color},
                                {"shape",
                                 {{"field", "run"},
                                  {"type", "nominal"},
                                  {"scale", {{"domain", {"measured", "warmup", "failed"}}}},
                                  {"title", "run"}}}}}}})}};
  spec["resolve"] = {{"scale", {{"y", "independent"}}}};
  return {"chart-run-order", "Run order: cold/warm drift",
          "Every run in the order it ran (warmups and failures marked); a trend within a config "
          "means the page "
          "cache, CPU frequency or another program drifted during the session.",
          std::move(spec)};
}

ReportChart cold_start_ci(const analysis::SessionSummary& summary, const analysis::StudyTable& table) {
  bool first_inference = std::any_of(table.rows.begin(), table.rows.end(), [](const analysis::StudyRow& r) {
    return r.time_to_first_inference.has_value();
  });
  json values = json::array();
  for (const auto& row : table.rows) {
    const stats::Summary* s =
        first_inference ? (row.time_to_first_inference ? &*row.time_to_first_inference : nullptr)
                        : &row.wall;
    if (!s || s->n == 0) continue;
    double low = s->median_ci.valid() ? s->median_ci.low : s->median;
    double high = s->median_ci.valid() ? s->median_ci.high : s->median;
    values.push_back({{"config", row.config},
                      {"median_ms", rounded(s->median)},
                      {"ci_low", rounded(low)},
                      {"ci_high", rounded(high)},
                      {"ci_coverage", s->median_ci.valid() ? fmt::format("{:.1f}%", s->median_ci.level * 100) : std::string("none")},
                      {"runs", s->n}});
  }
  std::string what = first_inference ? "time to first inference (ms)" : "wall time (ms)";
  json y = {{"field", "config"},
            {"type", "nominal"},
            {"sort", config_names(summary)},
            {"title", nullptr}};
  json spec = base_spec(std::move(values));
  spec["width"] = kWidth;
  spec["height"] = {{"step", 26}};
  spec["layer"] = json::array(
      {{{"mark", {{"type", "rule"}, {"strokeWidth", 2}}},
        {"encoding",
         {{"y", y},
          {"x",
           {{"field", "ci_low"},
            {"type", "quantitative"},
            {"scale", {{"zero", true}}},  // a magnitude: from zero, so distances compare as ratios
            {"title", what}}},
          {"x2", {{"field", "ci_high"}}}}}},
       {{"mark", {{"type", "point"}, {"filled", true}, {"size", 60}, {"tooltip", true}}},
        {"encoding",
         {{"y", y},
          {"x", {{"field", "median_ms"}, {"type", "quantitative"}}},
          {"color",
           {{"field", "config"},
            {"type", "nominal"},
            {"sort", config_names(summary)},
            {"scale", color_scale(summary.commands.size())},
            {"legend", nullptr}}}}}}});
  return {
      "chart-cold-start", first_inference ? "Time to first inference" : "Wall time",
      "Median per config with its distribution-free confidence interval, 95% where the runs reach it (the "
      "tooltip's ci_coverage is its actual coverage; successful measured runs).",
      std::move(spec)};
}

}  // namespace

std::vector<double> subsample_sorted(std::vector<double> values, std::size_t max_points) {
  std::sort(values.begin(), values.end());
  if (values.size() <= max_points || max_points < 2) return values;
  std::vector<double> picked;
  picked.reserve(max_points);
  const double step = double(values.size() - 1) / double(max_points - 1);
  for (std::size_t i = 0; i < max_points; ++i)
    picked.push_back(values[std::size_t(std::llround(double(i) * step))]);
  return picked;
}

std::vector<ReportChart> build_report_charts(const ResultsDocument& document,
                                             const analysis::SessionSummary& summary, const analysis::StudyTable& table,
                                             const ChartOptions& options) {
  std::vector<ReportChart> charts;
  charts.push_back(phase_bars(summary, table));
  charts.push_back(latency_distribution(summary, options));
  charts.push_back(run_order(document, summary, table));
  charts.push_back(cold_start_ci(summary, table));
  // A chart without data (e.g. every run failed) would draw nothing: leave it out.
  std::erase_if(charts,
                [](const ReportChart& chart) { return chart.spec["data"]["values"].empty(); });
  return charts;
}

}  // namespace coldbench::report
