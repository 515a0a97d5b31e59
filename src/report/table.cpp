#include "report/table.hpp"

#include <algorithm>
#include <cctype>

#include "report/markdown_text.hpp"

namespace coldbench::report {
namespace {

// Display width of UTF-8 text: count code points, not bytes.
std::size_t display_width(const std::string& text) {
  std::size_t width = 0;
  for (unsigned char c : text) {
    if ((c & 0xC0) != 0x80) ++width;
  }
  return width;
}

}  // namespace

std::string Table::to_text(const std::string& indent) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);

  auto line = [&](const std::vector<std::string>& row, bool is_header) {
    std::string out = indent;
    for (std::size_t i = 0; i < widths.size(); ++i) {
      std::string cell = i < row.size() ? row[i] : "";
      std::size_t pad = widths[i] - display_width(cell);
      bool right = !is_header && i > 0 && !cell.empty() &&
                   (std::isdigit(static_cast<unsigned char>(cell[0])) || cell[0] == '-' || cell[0] == '+');
      if (right) out += std::string(pad, ' ') + cell;
      else out += cell + std::string(pad, ' ');
      if (i + 1 < widths.size()) out += "  ";
    }
    while (!out.empty() && out.back() == ' ') out.pop_back();
    return out + "\n";
  };
  std::string out = line(header_, true);
  for (const auto& row : rows_) out += line(row, false);
  return out;
}

std::string Table::to_text_within(std::size_t width, const std::string& indent) const {
  std::vector<std::size_t> widths(header_.size(), 0);
  auto measure = [&](const std::vector<std::string>& row) {
    for (std::size_t i = 0; i < row.size() && i < widths.size(); ++i) {
      widths[i] = std::max(widths[i], display_width(row[i]));
    }
  };
  measure(header_);
  for (const auto& row : rows_) measure(row);
  std::size_t total = display_width(indent);
  for (std::size_t i = 0; i < widths.size(); ++i) total += widths[i] + (i > 0 ? 2 : 0);
  if (width == 0 || total <= width || widths.size() < 3) return to_text(indent);

  // Greedy: the first column, then as many of the next as fit beside it.
  std::string out;
  const std::size_t first = display_width(indent) + widths[0];
  for (std::size_t start = 1; start < widths.size();) {
    std::size_t end = start, used = first;
    while (end < widths.size() && (end == start || used + 2 + widths[end] <= width)) used += 2 + widths[end++];
    auto pick = [&](const std::vector<std::string>& row) {
      std::vector<std::string> cells{row.empty() ? std::string() : row[0]};
      for (std::size_t i = start; i < end; ++i) cells.push_back(i < row.size() ? row[i] : "");
      return cells;
    };
    Table part(pick(header_));
    for (const auto& row : rows_) part.add_row(pick(row));
    out += (out.empty() ? "" : "\n") + part.to_text(indent);
    start = end;
  }
  return out;
}

std::string Table::to_markdown() const {
  std::string out = "|";
  for (const auto& h : header_) out += " " + markdown_text(h) + " |";
  out += "\n|";
  for (std::size_t i = 0; i < header_.size(); ++i) out += i == 0 ? ":---|" : "---:|";
  out += "\n";
  for (std::size_t r = 0; r < rows_.size(); ++r) {
    const auto& row = rows_[r];
    const auto& strong = strong_[r];
    out += "|";
    for (std::size_t i = 0; i < header_.size(); ++i) {
      std::string cell = markdown_text(i < row.size() ? row[i] : "");
      bool bold = !cell.empty() && std::find(strong.begin(), strong.end(), i) != strong.end();
      out += " " + (bold ? "**" + cell + "**" : cell) + " |";
    }
    out += "\n";
  }
  return out;
}

}  // namespace coldbench::report
