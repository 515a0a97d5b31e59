#pragma once
// One Reporter per output format (console, json, csv, markdown, hyperfine,
// study, study-markdown, html), all rendering the same
// analysis::SessionSummary; FileExport writes a reporter's output to a file
// after every run, so an interrupted or killed session keeps everything
// measured so far: formats with an AppendLayout grow in place by one run's
// bytes (the harness does O(1) work between runs, not a rewrite of every run
// so far), the others are replaced whole (temp file + rename, both created as
// core/output_file.hpp describes).

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "bench/hooks.hpp"
#include "core/expected.hpp"
#include "core/output_file.hpp"
#include "core/record.hpp"
#include "analysis/summary.hpp"
#include "core/fd.hpp"

namespace coldbench::report {

// A file that grows run by run: prefix, the runs' pieces joined by
// separator, suffix. While prefix, separator and suffix stay the same, a new
// run is one write in place (its piece, then the suffix again).
struct AppendLayout {
  std::string prefix;
  std::string separator;
  std::string suffix;
  std::vector<std::string> columns;  // what a run's piece holds, where the format varies it (CSV phases)
  bool operator==(const AppendLayout&) const = default;
};

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string_view format() const = 0;
  // The whole file. `summary` is null for the intermediate writes made while
  // the session runs (no statistics between runs); reporters that only make
  // sense with a summary return nullopt then.
  virtual std::optional<std::string> render(const ResultsDocument& document, const analysis::SessionSummary* summary) const = 0;
  // For formats whose intermediate file can grow run by run (render with a
  // null summary must then equal the layout filled with every run).
  virtual std::optional<AppendLayout> append_layout(const ResultsDocument&) const { return std::nullopt; }
  virtual std::string render_run(const AppendLayout&, const RunRecord&) const { return {}; }
};

// The layout filled with every run of `document`; `runs_end` gets the size of
// everything before the suffix.
std::string fill_layout(const Reporter& reporter, const AppendLayout& layout,
                        const ResultsDocument& document, std::size_t* runs_end = nullptr);

// "console", "json", "csv", "markdown", "hyperfine", "study", "study-markdown";
// null for an unknown name. "html" needs its web assets: make_html_reporter (html_report.hpp).
std::unique_ptr<Reporter> make_reporter(std::string_view format);

// Computes the summary once per document state and shares it between sinks.
class SummaryCache {
 public:
  explicit SummaryCache(stats::ComparisonPolicy policy = {}) : policy_(policy) {}
  const analysis::SessionSummary& get(const ResultsDocument& document);

 private:
  stats::ComparisonPolicy policy_;
  std::optional<analysis::SessionSummary> summary_;
  std::size_t runs_seen_ = 0;
};

// Every export is created the one safe way (core/output_file.hpp).
using coldbench::replace_file;
using coldbench::write_file_atomically;

class FileExport : public bench::ResultSink {
 public:
  FileExport(std::unique_ptr<Reporter> reporter, std::string path, SummaryCache& summaries);
  Expected<void> on_run(const ResultsDocument& document, const RunRecord& run) override;
  Expected<void> on_finish(const ResultsDocument& document) override;
  const std::string& path() const { return path_; }

 private:
  std::unique_ptr<Reporter> reporter_;
  std::string path_;
  SummaryCache& summaries_;
  // The file as last written, for appends: its layout, how many runs it holds
  // and where its suffix starts.
  Fd file_;
  AppendLayout layout_;
  std::size_t runs_in_file_ = 0;
  std::size_t runs_end_ = 0;
};

}  // namespace coldbench::report
