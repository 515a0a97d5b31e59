#include "bench/command_spelling.hpp"

#include <algorithm>
#include <cctype>
#include <string_view>

namespace coldbench::bench {
namespace {

bool is_run_count(std::string_view text) {
  return text == "auto" || (!text.empty() && std::all_of(text.begin(), text.end(), [](char c) {
           return std::isdigit(static_cast<unsigned char>(c)) != 0;
         }));
}

}  // namespace

// Plain code, not std::regex: its matcher recurses per character of a long command.
std::optional<std::pair<std::string, std::string>> split_named_command(const std::string& spec) {
  auto eq = spec.find('=');
  if (eq == std::string::npos || eq == 0 || eq + 1 == spec.size()) return std::nullopt;
  for (std::size_t i = 0; i < eq; ++i) {
    const char c = spec[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) &&
        std::string_view("_.:+-").find(c) == std::string_view::npos) {
      return std::nullopt;
    }
  }
  return std::pair{spec.substr(0, eq), spec.substr(eq + 1)};
}

Expected<void> check_replaced_run_flags(const std::vector<std::string>& words) {
  for (std::size_t i = 0; i < words.size(); ++i) {
    const std::string& word = words[i];
    const bool has_next = i + 1 < words.size();
    const std::string next = has_next ? words[i + 1] : "";
    std::optional<std::string> count;
    if (word == "-n" && has_next && is_run_count(next)) count = next;
    if (word.size() > 2 && word.compare(0, 2, "-n") == 0 &&
        is_run_count(std::string_view(word).substr(2))) {
      count = word.substr(2);
    }
    if (count) {
      return make_error(
          "-n {0}: -n names a command now, as hyperfine's --command-name does; "
          "give the number of runs as -r {0} or --runs {0} (a command named {0}: --command-name {0})",
          *count);
    }
    if (word == "-c" && has_next && split_named_command(next)) {
      return make_error(
          "-c '{}': -c is hyperfine's --cleanup now (a command run once after each command's runs); "
          "name a command with -n NAME 'CMD' or --command NAME=CMD "
          "(a cleanup that really starts with an assignment: -c 'env X=Y CMD')",
          next);
    }
    if (word == "--shell" && (!has_next || (next.size() > 1 && next[0] == '-'))) {
      return make_error(
          "--shell now takes a shell as hyperfine's -S does: --shell sh (or -S bash); -N runs "
          "commands without a shell");
    }
  }
  return {};
}

}  // namespace coldbench::bench
