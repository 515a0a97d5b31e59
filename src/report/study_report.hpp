#pragma once
// `coldbench report` as text and Markdown: the study table (study_table.hpp)
// in two parts, setup and results, one row per config, plus notes on
// oversubscription, failures and interruption. The HTML page is html_report.hpp.

#include <string>
#include <vector>

#include "report/reporter.hpp"
#include "report/study_table.hpp"

namespace coldbench::report {

class StudyReporter : public Reporter {
 public:
  enum class Style { Text, Markdown };
  // Text tables wider than `width` columns are split (each part repeats the
  // config column); 0 keeps each table in one piece (`report --wide`).
  static constexpr std::size_t kPageWidth = 100;
  explicit StudyReporter(Style style, std::size_t width = kPageWidth) : style_(style), width_(width) {}
  std::string_view format() const override {
    return style_ == Style::Text ? "study" : "study-markdown";
  }
  std::optional<std::string> render(const ResultsDocument& document,
                                    const analysis::SessionSummary* summary) const override;

 private:
  Style style_;
  std::size_t width_;
};

// One line about the session: configs, runs, host, start.
std::string describe_session(const ResultsDocument& document);

// Sentences worth a reader's attention, one per item (no trailing newline).
std::vector<std::string> study_notes(const ResultsDocument& document, const analysis::SessionSummary& summary,
                                     const analysis::StudyTable& table);

}  // namespace coldbench::report
