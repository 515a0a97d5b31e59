#include "report/reporter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/formats.hpp"
#include "report/study_report.hpp"

namespace coldbench::report {

std::unique_ptr<Reporter> make_reporter(std::string_view format) {
  if (format == "console") return std::make_unique<ConsoleReporter>();
  if (format == "json") return std::make_unique<JsonReporter>();
  if (format == "csv") return std::make_unique<CsvReporter>();
  if (format == "markdown") return std::make_unique<MarkdownReporter>();
  if (format == "hyperfine") return std::make_unique<HyperfineReporter>();
  if (format == "hyperfine-csv") return std::make_unique<HyperfineCsvReporter>();
  if (format == "hyperfine-markdown") return std::make_unique<HyperfineMarkdownReporter>();
  if (format == "study") return std::make_unique<StudyReporter>(StudyReporter::Style::Text);
  if (format == "study-markdown") return std::make_unique<StudyReporter>(StudyReporter::Style::Markdown);
  return nullptr;
}

const analysis::SessionSummary& SummaryCache::get(const ResultsDocument& document) {
  if (!summary_ || runs_seen_ != document.runs.size()) {
    summary_ = analysis::summarize_session(document, policy_);
    runs_seen_ = document.runs.size();
  }
  return *summary_;
}

namespace {

Expected<void> write_all_at(int fd, std::string_view content, off_t offset,
                            const std::string& path) {
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::pwrite(fd, data, left, offset);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot write '{}': {}", path, std::strerror(errno));
    data += n;
    left -= static_cast<std::size_t>(n);
    offset += n;
  }
  return {};
}

}  // namespace

std::string fill_layout(const Reporter& reporter, const AppendLayout& layout,
                        const ResultsDocument& document, std::size_t* runs_end) {
  std::string content = layout.prefix;
  for (std::size_t i = 0; i < document.runs.size(); ++i) {
    if (i > 0) content += layout.separator;
    content += reporter.render_run(layout, document.runs[i]);
  }
  if (runs_end) *runs_end = content.size();
  return content + layout.suffix;
}

FileExport::FileExport(std::unique_ptr<Reporter> reporter, std::string path, SummaryCache& summaries)
    : reporter_(std::move(reporter)), path_(std::move(path)), summaries_(summaries) {}

Expected<void> FileExport::on_run(const ResultsDocument& document, const RunRecord& run) {
  auto layout = reporter_->append_layout(document);
  if (!layout) {
    auto content = reporter_->render(document, nullptr);
    if (!content) return {};
    return write_file_atomically(path_, *content);
  }
  if (file_ && *layout == layout_ && runs_in_file_ + 1 == document.runs.size()) {
    std::string piece = (runs_in_file_ > 0 ? layout->separator : std::string()) +
                        reporter_->render_run(*layout, run);
    auto written = write_all_at(file_.get(), piece + layout->suffix,
                                static_cast<off_t>(runs_end_), path_);
    if (!written) return written.error();
    runs_end_ += piece.size();
    ++runs_in_file_;
    return {};
  }
  // First write, or the layout changed (a new CSV column, a resumed session): all of it again.
  std::size_t runs_end = 0;
  auto file = replace_file(path_, fill_layout(*reporter_, *layout, document, &runs_end));
  if (!file) return file.error();
  file_ = std::move(file).value();
  layout_ = std::move(*layout);
  runs_in_file_ = document.runs.size();
  runs_end_ = runs_end;
  return {};
}

Expected<void> FileExport::on_finish(const ResultsDocument& document) {
  file_.reset();
  layout_ = {};
  auto content = reporter_->render(document, &summaries_.get(document));
  if (!content) return {};
  return write_file_atomically(path_, *content);
}

}  // namespace coldbench::report
