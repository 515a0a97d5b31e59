#pragma once
// Small text helpers shared by the parsers. Header-only: coldbench-torch uses
// them without linking the harness library.

#include <cctype>
#include <string_view>

namespace coldbench {

// `text` without leading and trailing whitespace (a view into `text`).
inline std::string_view trim(std::string_view text) {
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.front())))
    text.remove_prefix(1);
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back())))
    text.remove_suffix(1);
  return text;
}

}  // namespace coldbench
