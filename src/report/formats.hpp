#pragma once
// The export formats; each lives in its own file.

#include <utility>

#include "report/reporter.hpp"

namespace coldbench::report {

// Human-readable tables: phases (median [95% CI], min..max), process stats,
// metrics, outliers, failures, comparisons. Only with a summary. Plain text:
// color is added where it is printed (report/console_color.hpp).
class ConsoleReporter : public Reporter {
 public:
  // `time_unit`: "s", "ms" or "µs" for every time table (run's -u); empty: chosen per table.
  explicit ConsoleReporter(std::string time_unit = "") : time_unit_(std::move(time_unit)) {}
  std::string_view format() const override { return "console"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;

 private:
  std::string time_unit_;
};

// The results document (schema coldbench/1) plus, at the end, "summary".
class JsonReporter : public Reporter {
 public:
  std::string_view format() const override { return "json"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;
  std::optional<AppendLayout> append_layout(const ResultsDocument& document) const override;
  std::string render_run(const AppendLayout& layout, const RunRecord& run) const override;
};

// One row per run; one column per phase seen so far.
class CsvReporter : public Reporter {
 public:
  std::string_view format() const override { return "csv"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;
  std::optional<AppendLayout> append_layout(const ResultsDocument& document) const override;
  std::string render_run(const AppendLayout& layout, const RunRecord& run) const override;
};

// Summary tables for a pull request or a notebook. Only with a summary.
class MarkdownReporter : public Reporter {
 public:
  std::string_view format() const override { return "markdown"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;
};

// hyperfine's --export-json layout (times in seconds), so its scripts work.
class HyperfineReporter : public Reporter {
 public:
  std::string_view format() const override { return "hyperfine"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;
};

// hyperfine's --export-csv layout: command,mean,stddev,median,user,system,min,max (seconds).
class HyperfineCsvReporter : public Reporter {
 public:
  std::string_view format() const override { return "hyperfine-csv"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;
};

// hyperfine's --export-markdown table: mean ± sd, min, max, relative to the fastest.
class HyperfineMarkdownReporter : public Reporter {
 public:
  // `time_unit`: "s", "ms" or "µs" (hyperfine's -u); empty: from the first command's mean, as
  // hyperfine.
  explicit HyperfineMarkdownReporter(std::string time_unit = "")
      : time_unit_(std::move(time_unit)) {}
  std::string_view format() const override { return "hyperfine-markdown"; }
  std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const override;

 private:
  std::string time_unit_;
};

}  // namespace coldbench::report
