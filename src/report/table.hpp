#pragma once
// A small text table used by the console and Markdown reporters.

#include <string>
#include <vector>

namespace coldbench::report {

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add_row(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }

  // Columns padded to their widest cell; numbers (cells starting with a digit)
  // right-aligned except in the first column.
  std::string to_text(const std::string& indent = "  ") const;
  std::string to_markdown() const;

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace coldbench::report
