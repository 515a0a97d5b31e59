#pragma once
// UTF-8 checks for text that enters results (docs/result-schema.md, "Text").
// Bytes a workload or the system produced are kept with each ill-formed
// sequence replaced by U+FFFD; names a user types must already be UTF-8.
// Header-only: coldbench-torch uses it without linking the harness library.

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace coldbench {

inline constexpr std::string_view kReplacementCharacter = "\xEF\xBF\xBD";  // U+FFFD

// Length of the UTF-8 sequence starting at `at` (Unicode Table 3-7). When it
// is ill-formed, `valid` is false and the length is that of its maximal
// subpart: the bytes one U+FFFD stands for (Unicode's recommended practice,
// the same as Python's bytes.decode("utf-8", "replace")).
inline std::size_t utf8_sequence_length(std::string_view text, std::size_t at, bool& valid) {
  const auto lead = static_cast<unsigned char>(text[at]);
  valid = true;
  if (lead < 0x80) return 1;
  std::size_t length = 0;
  unsigned char low = 0x80, high = 0xBF;  // the range of the second byte
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) low = 0xA0;   // no overlong forms
    if (lead == 0xED) high = 0x9F;  // no surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) low = 0x90;   // no overlong forms
    if (lead == 0xF4) high = 0x8F;  // nothing above U+10FFFF
  } else {
    valid = false;
    return 1;
  }
  for (std::size_t k = 1; k < length; ++k) {
    if (at + k >= text.size()) {
      valid = false;
      return k;
    }
    const auto c = static_cast<unsigned char>(text[at + k]);
    if (c < (k == 1 ? low : 0x80) || c > (k == 1 ? high : 0xBF)) {
      valid = false;
      return k;
    }
  }
  return length;
}

// The offset of the first ill-formed sequence, or nullopt when `text` is valid UTF-8.
inline std::optional<std::size_t> first_invalid_utf8(std::string_view text) {
  bool valid = true;
  std::size_t at = 0;
  while (at < text.size()) {
    if (static_cast<unsigned char>(text[at]) < 0x80) {  // ASCII needs no table
      ++at;
      continue;
    }
    std::size_t length = utf8_sequence_length(text, at, valid);
    if (!valid) return at;
    at += length;
  }
  return std::nullopt;
}

inline bool is_valid_utf8(std::string_view text) { return !first_invalid_utf8(text).has_value(); }

// `text` as valid UTF-8: each ill-formed sequence becomes one U+FFFD.
inline std::string replace_invalid_utf8(std::string_view text) {
  if (is_valid_utf8(text)) return std::string(text);
  std::string out;
  out.reserve(text.size() + 16);
  bool valid = true;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t length = utf8_sequence_length(text, at, valid);
    if (valid) {
      out.append(text.substr(at, length));
    } else {
      out.append(kReplacementCharacter);
    }
    at += length;
  }
  return out;
}

// `text` for an error message: ill-formed bytes written as \xFF, so the
// message itself stays printable and shows which bytes were wrong.
inline std::string escape_invalid_utf8(std::string_view text) {
  std::string out;
  bool valid = true;
  for (std::size_t at = 0; at < text.size();) {
    std::size_t length = utf8_sequence_length(text, at, valid);
    if (valid) {
      out.append(text.substr(at, length));
    } else {
      for (std::size_t k = 0; k < length; ++k) {
        out += fmt::format("\\x{:02X}", static_cast<unsigned char>(text[at + k]));
      }
    }
    at += length;
  }
  return out;
}

// The longest prefix of `text` of at most `max_bytes` that does not end in
// the middle of a multi-byte character (cutting one would make valid text invalid).
inline std::string_view utf8_prefix(std::string_view text, std::size_t max_bytes) {
  if (text.size() <= max_bytes) return text;
  std::size_t end = max_bytes;
  // Back off over at most three continuation bytes (10xxxxxx) to a lead byte.
  for (int k = 0; k < 3 && end > 0 && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80; ++k) --end;
  return text.substr(0, end);
}

}  // namespace coldbench
