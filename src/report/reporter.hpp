#pragma once
// One Reporter per output format (console, json, csv, markdown, hyperfine),
// all rendering the same SessionSummary; FileExport writes a reporter's output
// to a file after every run (atomically: temp file + rename), so an
// interrupted or killed session keeps everything measured so far.

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "bench/hooks.hpp"
#include "core/expected.hpp"
#include "core/record.hpp"
#include "report/summary.hpp"

namespace coldbench::report {

class Reporter {
 public:
  virtual ~Reporter() = default;
  virtual std::string_view format() const = 0;
  // The whole file. `summary` is null for the intermediate writes made while
  // the session runs (no bootstrap between runs); reporters that only make
  // sense with a summary return nullopt then.
  virtual std::optional<std::string> render(const ResultsDocument& document, const SessionSummary* summary) const = 0;
};

// "console", "json", "csv", "markdown", "hyperfine"; null for an unknown name.
std::unique_ptr<Reporter> make_reporter(std::string_view format);

// Computes the summary once per document state and shares it between sinks.
class SummaryCache {
 public:
  explicit SummaryCache(stats::ComparisonOptions options = {}) : options_(options) {}
  const SessionSummary& get(const ResultsDocument& document);

 private:
  stats::ComparisonOptions options_;
  std::optional<SessionSummary> summary_;
  std::size_t runs_seen_ = 0;
};

Expected<void> write_file_atomically(const std::string& path, std::string_view content);

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
};

}  // namespace coldbench::report
