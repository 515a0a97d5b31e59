#pragma once
// What every fuzz target shares: the input as text, split into lines.

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace coldbench::fuzz {

inline std::string_view as_text(const uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Calls on_line for every '\n'-separated line, the last one even without a newline.
template <class OnLine>
void for_each_line(std::string_view text, OnLine&& on_line) {
  while (!text.empty()) {
    std::size_t end = text.find('\n');
    on_line(text.substr(0, end));
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
}

}  // namespace coldbench::fuzz
