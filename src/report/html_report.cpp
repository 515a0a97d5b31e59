#include "report/html_report.hpp"

#include <fmt/format.h>

#include "core/json_text.hpp"
#include "report/findings_text.hpp"
#include "report/report_charts.hpp"
#include "report/study_report.hpp"
#include "report/study_table.hpp"
#include "report/text_format.hpp"

namespace coldbench::report {
namespace {

constexpr const char* kStyle = R"css(
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; margin: 24px auto; max-width: 1200px; padding: 0 16px; color: #1b1f24; }
h1 { font-size: 22px; margin-bottom: 4px; } h2 { font-size: 17px; margin-top: 32px; border-bottom: 1px solid #d8dee4; padding-bottom: 4px; }
.meta, .caption { color: #57606a; } .caption { margin: 2px 0 8px; }
.table-scroll { overflow-x: auto; max-width: 100%; }
table.study { border-collapse: collapse; font-size: 12.5px; width: 100%; }
table.study th, table.study td { border: 1px solid #d8dee4; padding: 3px 7px; text-align: left; vertical-align: top;
  white-space: normal; }
table.study td { overflow-wrap: anywhere; }
table.study thead th { background: #f6f8fa; } table.study th.group { text-align: center; }
table.study td.flag { color: #b35900; font-weight: 600; }
ul.notes li { margin: 2px 0; }
ol.findings li { margin: 4px 0; }
#render-status { margin-top: 28px; font-size: 12px; color: #57606a; }
#render-status.ok { display: none; }
#render-status.failed { color: #cf222e; font-weight: 600; }
)css";

// Installed before the libraries load, so their errors are caught too.
constexpr const char* kErrorCapture = R"js(
window.coldbenchLog = { errors: [], warnings: [] };
window.addEventListener('error', function (e) { coldbenchLog.errors.push('error: ' + (e.message || e)); });
window.addEventListener('unhandledrejection', function (e) {
  coldbenchLog.errors.push('unhandled rejection: ' + ((e.reason && e.reason.message) || e.reason));
});
(function () {
  var text = function (args) { return Array.prototype.map.call(args, String).join(' '); };
  var error = console.error, warn = console.warn;
  console.error = function () { coldbenchLog.errors.push('console.error: ' + text(arguments)); return error.apply(console, arguments); };
  console.warn = function () { coldbenchLog.warnings.push('console.warn: ' + text(arguments)); return warn.apply(console, arguments); };
})();
)js";

// Draws every chart, then writes the outcome into #render-status.
constexpr const char* kRender = R"js(
(function () {
  var data = JSON.parse(document.getElementById('coldbench-data').textContent);
  var status = document.getElementById('render-status');
  function finish(rendered) {
    var log = window.coldbenchLog;
    var ok = rendered === data.charts.length && log.errors.length === 0;
    status.setAttribute('data-charts', String(rendered));
    status.setAttribute('data-expected', String(data.charts.length));
    status.setAttribute('data-errors', String(log.errors.length));
    status.setAttribute('data-warnings', String(log.warnings.length));
    // Where the last column of the widest table ends, against the page's width: every column must be on the page.
    var right = 0;
    document.querySelectorAll('table.study tr:last-child > *:last-child').forEach(function (cell) {
      right = Math.max(right, cell.getBoundingClientRect().right);
    });
    status.setAttribute('data-table-right', String(Math.ceil(right)));
    status.setAttribute('data-page-width', String(document.documentElement.clientWidth));
    status.className = ok ? 'ok' : 'failed';
    status.textContent = rendered + ' of ' + data.charts.length + ' charts rendered' +
        (log.errors.length ? '; errors: ' + log.errors.join(' | ') : '') +
        (log.warnings.length ? '; warnings: ' + log.warnings.join(' | ') : '');
    status.setAttribute('data-state', 'done');
  }
  if (typeof vegaEmbed !== 'function') { window.coldbenchLog.errors.push('vega-embed did not load'); finish(0); return; }
  var jobs = data.charts.map(function (chart) {
    return vegaEmbed('#' + chart.id, chart.spec, { renderer: 'svg', actions: false }).then(function () {
      var svg = document.querySelector('#' + chart.id + ' svg');
      var marks = svg ? svg.querySelectorAll('g.role-mark > *').length : 0;
      document.getElementById(chart.id).setAttribute('data-marks', String(marks));
      if (marks === 0) { window.coldbenchLog.errors.push(chart.id + ': no data marks drawn'); return false; }
      return true;
    }).catch(function (e) { window.coldbenchLog.errors.push(chart.id + ': ' + e); return false; });
  });
  Promise.all(jobs).then(function (results) { finish(results.filter(Boolean).length); });
})();
)js";

std::string html_table(const StudyGrid& grid) {
  std::string out = "<div class=\"table-scroll\"><table class=\"study\"><thead><tr>";
  for (const auto& group : grid.groups) {
    out += fmt::format("<th class=\"group\" colspan=\"{}\">{}</th>", group.columns,
                       html_escape(group.title));
  }
  out += "</tr><tr>";
  for (const auto& h : grid.header) out += "<th>" + html_escape(h) + "</th>";
  out += "</tr></thead><tbody>\n";
  for (const auto& row : grid.rows) {
    out += "<tr>";
    for (const auto& cell : row) {
      out += cell.rfind("YES", 0) == 0 ? "<td class=\"flag\">" : "<td>";
      out += html_escape(cell) + "</td>";
    }
    out += "</tr>\n";
  }
  return out + "</tbody></table></div>\n";
}

// JSON inside <script type="application/json">: '<' only occurs in strings, where \u003c means the
// same.
std::string embedded_json(const nlohmann::json& value) {
  std::string text = json_text(value);
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '<')
      out += "\\u003c";
    else
      out += c;
  }
  return out;
}

}  // namespace

std::string html_escape(const std::string& text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string script_safe(std::string source) {
  for (const char* end_tag : {"</script", "</SCRIPT", "</Script"}) {
    for (std::size_t pos = source.find(end_tag); pos != std::string::npos;
         pos = source.find(end_tag, pos + 2)) {
      source.replace(pos, 2, "<\\/");
    }
  }
  return source;
}

std::optional<std::string> HtmlReporter::render(const ResultsDocument& document,
                                                const analysis::SessionSummary* summary) const {
  if (!summary) return std::nullopt;
  analysis::StudyTable table = analysis::build_study_table(document, *summary);
  auto charts = build_report_charts(document, *summary, table);

  std::string page = "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n";
  page += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
  page += "<title>coldbench report</title>\n<style>" + std::string(kStyle) + "</style>\n";
  page += "<script>" + std::string(kErrorCapture) + "</script>\n";
  std::string versions;
  for (const auto& script : assets_.scripts) {
    page += fmt::format("<script>/* {} {} (npm), inlined by coldbench */\n{}\n</script>\n",
                        script.package, script.version, script_safe(script.source));
    versions +=
        fmt::format("{}{} {}", versions.empty() ? "" : ", ", script.package, script.version);
  }
  page += "</head>\n<body>\n<h1>coldbench report</h1>\n";
  page += "<p class=\"meta\">" + html_escape(describe_session(document)) + "</p>\n";
  page += findings_html(summary->findings);

  page += "<h2>Configurations</h2>\n<p class=\"caption\">One row per config: how it ran.</p>\n";
  page += html_table(setup_grid(table));
  page +=
      "<h2>Results</h2>\n<p class=\"caption\">Phases, time to first inference and wall: median "
      "[distribution-free CI] (its actual coverage) of the successful measured runs; steady latency "
      "pooled over runs, p95/p99 with an order-statistic CI or \"n too small\"; peak RSS and "
      "throttling: median per run.</p>\n";
  page += html_table(results_grid(table));
  if (!summary->comparisons.empty()) {
    page += "<h2>Comparisons</h2>\n<p class=\"caption\">" + html_escape(comparison_policy_line(*summary)) +
            "</p>\n";
    page += html_table(comparisons_grid(*summary));
  }
  auto notes = study_notes(document, *summary, table);
  if (!notes.empty()) {
    page += "<ul class=\"notes\">\n";
    for (const auto& note : notes) page += "<li>" + html_escape(note) + "</li>\n";
    page += "</ul>\n";
  }

  nlohmann::json data = {{"charts", nlohmann::json::array()}, {"configs", nlohmann::json::array()}};
  for (const auto& chart : charts) {
    page += fmt::format(
        "<h2>{}</h2>\n<p class=\"caption\">{}</p>\n<div class=\"chart\" id=\"{}\"></div>\n",
        html_escape(chart.title), html_escape(chart.caption), chart.id);
    data["charts"].push_back({{"id", chart.id}, {"title", chart.title}, {"spec", chart.spec}});
  }
  for (const auto& row : table.rows) data["configs"].push_back(to_json(row));

  page +=
      "<div id=\"render-status\" data-state=\"pending\" data-charts=\"0\" data-errors=\"0\">"
      "rendering charts (needs JavaScript)</div>\n";
  page += fmt::format("<p class=\"meta\">Generated by coldbench {}; charts by {}.</p>\n",
                      COLDBENCH_VERSION, html_escape(versions));
  page += "<script type=\"application/json\" id=\"coldbench-data\">" + embedded_json(data) +
          "</script>\n";
  page += "<script>" + std::string(kRender) + "</script>\n</body>\n</html>\n";
  return page;
}

Expected<std::unique_ptr<Reporter>> make_html_reporter() {
  auto assets = load_web_assets();
  if (!assets) return assets.error();
  return std::unique_ptr<Reporter>(std::make_unique<HtmlReporter>(std::move(assets).value()));
}

}  // namespace coldbench::report
