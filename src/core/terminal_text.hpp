#pragma once
// Text for a terminal. Names, commands and output tails come from users and
// workloads; printed raw, an escape sequence among them would move the
// cursor, rewrite earlier lines or retitle the window. Header-only:
// coldbench-torch uses it without linking the harness library.

#include <cstdio>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace coldbench {

// `text` with every control character except newline and tab shown as
// `\xHH` (C0 and DEL) or `\u00HH` (the C1 controls U+0080..U+009F, which some
// terminals obey as escapes). Everything else, bytes that are not UTF-8
// included, passes unchanged.
inline std::string terminal_safe(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c == 0xC2 && i + 1 < text.size() && static_cast<unsigned char>(text[i + 1]) >= 0x80 &&
               static_cast<unsigned char>(text[i + 1]) <= 0x9F) {
      out += fmt::format("\\u{:04x}", static_cast<unsigned char>(text[i + 1]));
      ++i;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out;
}

// Prints `text` to `stream` through terminal_safe.
inline void print_for_terminal(std::FILE* stream, std::string_view text) {
  const std::string safe = terminal_safe(text);
  std::fwrite(safe.data(), 1, safe.size(), stream);
}

}  // namespace coldbench
