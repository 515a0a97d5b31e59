#include "core/shell_words.hpp"

namespace coldbench {

Expected<std::vector<std::string>> split_shell_words(std::string_view text) {
  std::vector<std::string> words;
  std::string current;
  bool in_word = false;
  enum class Quote { None, Single, Double } quote = Quote::None;
  for (std::size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    switch (quote) {
      case Quote::Single:
        if (c == '\'') quote = Quote::None;
        else current += c;
        break;
      case Quote::Double:
        if (c == '"') {
          quote = Quote::None;
        } else if (c == '\\' && i + 1 < text.size() &&
                   (text[i + 1] == '"' || text[i + 1] == '\\' || text[i + 1] == '$' || text[i + 1] == '`')) {
          current += text[++i];
        } else {
          current += c;
        }
        break;
      case Quote::None:
        if (c == ' ' || c == '\t' || c == '\n') {
          if (in_word) words.push_back(std::move(current));
          current.clear();
          in_word = false;
        } else if (c == '\'') {
          quote = Quote::Single;
          in_word = true;
        } else if (c == '"') {
          quote = Quote::Double;
          in_word = true;
        } else if (c == '\\') {
          if (i + 1 == text.size()) return make_error("command '{}' ends with a lone backslash", text);
          current += text[++i];
          in_word = true;
        } else {
          current += c;
          in_word = true;
        }
    }
  }
  if (quote != Quote::None) {
    return make_error("command '{}' has an unterminated {} quote", text, quote == Quote::Single ? "single" : "double");
  }
  if (in_word) words.push_back(std::move(current));
  return words;
}

std::string quote_shell_word(std::string_view word) {
  if (!word.empty() && word.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~!") == std::string_view::npos) {
    return std::string(word);
  }
  std::string quoted = "'";
  for (char c : word) {
    if (c == '\'') quoted += "'\\''";
    else quoted += c;
  }
  quoted += '\'';
  return quoted;
}

}  // namespace coldbench
