#pragma once
// A small text table used by the console and Markdown reporters. Cells are
// plain text: to_markdown escapes each one (report/markdown_text.hpp), so a
// config name or an info value cannot add HTML, links or columns.

#include <cstddef>
#include <string>
#include <vector>

namespace coldbench::report {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  // `strong_columns`: cells shown in bold in Markdown (a regression's verdict).
  void add_row(std::vector<std::string> row, std::vector<std::size_t> strong_columns = {}) {
    rows_.push_back(std::move(row));
    strong_.push_back(std::move(strong_columns));
  }
  bool empty() const { return rows_.empty(); }

  // Columns padded to their widest cell; numbers (cells starting with a digit)
  // right-aligned except in the first column.
  std::string to_text(const std::string& indent = "  ") const;
  // The same, split into several tables of at most `width` display columns
  // when it is wider, each repeating the first column (the row's name).
  // width 0: never split. A single column wider than the page stays whole.
  std::string to_text_within(std::size_t width, const std::string& indent = "  ") const;
  std::string to_markdown() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
  std::vector<std::vector<std::size_t>> strong_;
};

}  // namespace coldbench::report
