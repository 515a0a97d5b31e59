#include "report/reporter.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
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
  if (format == "study") return std::make_unique<StudyReporter>(StudyReporter::Style::Text);
  if (format == "study-markdown") return std::make_unique<StudyReporter>(StudyReporter::Style::Markdown);
  return nullptr;
}

const SessionSummary& SummaryCache::get(const ResultsDocument& document) {
  if (!summary_ || runs_seen_ != document.runs.size()) {
    summary_ = summarize_session(document, options_);
    runs_seen_ = document.runs.size();
  }
  return *summary_;
}

Expected<void> write_file_atomically(const std::string& path, std::string_view content) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return make_error("cannot write '{}': {}", path, std::strerror(errno));
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      ::unlink(temp.c_str());
      return make_error("cannot write '{}': {}", path, std::strerror(error));
    }
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  ::close(fd);
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return make_error("cannot write '{}': {}", path, std::strerror(error));
  }
  return {};
}

FileExport::FileExport(std::unique_ptr<Reporter> reporter, std::string path, SummaryCache& summaries)
    : reporter_(std::move(reporter)), path_(std::move(path)), summaries_(summaries) {}

Expected<void> FileExport::on_run(const ResultsDocument& document, const RunRecord&) {
  auto content = reporter_->render(document, nullptr);
  if (!content) return {};
  return write_file_atomically(path_, *content);
}

Expected<void> FileExport::on_finish(const ResultsDocument& document) {
  auto content = reporter_->render(document, &summaries_.get(document));
  if (!content) return {};
  return write_file_atomically(path_, *content);
}

}  // namespace coldbench::report
