#include "torch/common/errors.hpp"

#include <cctype>
#include <vector>

#include "core/text.hpp"

namespace coldbench::workload {
namespace {

constexpr std::size_t kMaxLength = 600;

std::vector<std::string_view> lines_of(std::string_view text) {
  std::vector<std::string_view> lines;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    lines.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return lines;
}

// "RuntimeError: ...", "ValueError: ..." at the start of a line.
bool is_python_error_line(std::string_view line) {
  std::size_t colon = line.find(": ");
  if (colon == std::string_view::npos || colon < 5) return false;
  std::string_view head = line.substr(0, colon);
  if (head.substr(head.size() - 5) != "Error" && head.substr(head.size() - 5) != "ption") {
    return false;
  }
  for (char c : head) {
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.')) return false;
  }
  return true;
}

}  // namespace

std::string short_torch_message(std::string_view what) {
  // The C++ backtrace, when present, starts with this line; nothing after it helps.
  if (std::size_t backtrace = what.find("Exception raised from ");
      backtrace != std::string_view::npos) {
    what = what.substr(0, backtrace);
  }
  std::vector<std::string_view> lines = lines_of(what);
  std::string message;
  if (what.find("Traceback of TorchScript") != std::string_view::npos) {
    // The interpreter's own error is the last "XxxError: ..." line and what follows it.
    for (std::size_t i = lines.size(); i-- > 0;) {
      if (is_python_error_line(trim(lines[i]))) {
        for (std::size_t j = i; j < lines.size(); ++j) {
          std::string_view line = trim(lines[j]);
          if (line.empty()) continue;
          if (!message.empty()) message += ' ';
          message += line;
        }
        break;
      }
    }
  }
  if (message.empty()) {
    for (std::string_view line : lines) {
      line = trim(line);
      if (line.empty()) continue;
      if (!message.empty()) message += ' ';
      message += line;
      if (message.size() > kMaxLength) break;
    }
  }
  if (message.size() > kMaxLength) message = message.substr(0, kMaxLength) + "...";
  return message;
}

}  // namespace coldbench::workload
