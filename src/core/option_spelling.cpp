#include "core/option_spelling.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>

namespace coldbench {

std::size_t spelling_distance(std::string_view a, std::string_view b) {
  // Optimal string alignment distance: Levenshtein plus adjacent transpositions.
  const std::size_t n = a.size(), m = b.size();
  std::vector<std::vector<std::size_t>> d(n + 1, std::vector<std::size_t>(m + 1, 0));
  for (std::size_t i = 0; i <= n; ++i) d[i][0] = i;
  for (std::size_t j = 0; j <= m; ++j) d[0][j] = j;
  for (std::size_t i = 1; i <= n; ++i) {
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) {
        d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
      }
    }
  }
  return d[n][m];
}

std::optional<std::string> closest_option(std::string_view given,
                                          const std::vector<std::string>& known) {
  const std::string_view name = given.substr(0, given.find('='));
  const bool is_long = name.substr(0, 2) == "--";
  if (!is_long && name.size() <= 2)
    return std::nullopt;  // one letter: every short option is one edit away
  std::optional<std::string> best;
  std::size_t best_distance = 0;
  for (const auto& candidate : known) {
    std::size_t distance = spelling_distance(name, candidate);
    // A long prefix of a long option ("--warm") is one edit away in spirit.
    if (is_long && name.size() >= 5 && candidate.size() > name.size() &&
        candidate.compare(0, name.size(), name) == 0) {
      distance = std::min<std::size_t>(distance, 1);
    }
    const std::size_t bare = name.size() - (is_long ? 2 : 1);
    const std::size_t allowed = bare <= 4 ? 1 : 2;
    if (distance == 0 || distance > allowed) continue;
    if (!best || distance < best_distance) {
      best = candidate;
      best_distance = distance;
    }
  }
  return best;
}

std::vector<std::string> unknown_options(const std::vector<std::string>& words,
                                         const std::vector<std::string>& known) {
  std::vector<std::string> unknown;
  for (const auto& word : words) {
    if (word.size() < 2 || word[0] != '-' || word == "--") continue;
    if (std::isdigit(static_cast<unsigned char>(word[1])) || word[1] == '.')
      continue;  // -5, -.5: values
    std::string name = word.substr(0, word.find('='));
    if (name.substr(0, 2) != "--")
      name = name.substr(0, 2);  // -r5, -iw: the first letter names the option
    if (std::find(known.begin(), known.end(), name) != known.end()) continue;
    unknown.push_back(word);
  }
  return unknown;
}

std::string unknown_options_message(const std::vector<std::string>& unknown,
                                    const std::vector<std::string>& known) {
  if (unknown.size() == 1) {
    auto close = closest_option(unknown[0], known);
    return fmt::format("unknown option {}{}", unknown[0],
                       close ? fmt::format("; did you mean {}?", *close) : "");
  }
  std::string list;
  for (const auto& word : unknown) {
    auto close = closest_option(word, known);
    list += (list.empty() ? "" : ", ") + word +
            (close ? fmt::format(" (did you mean {}?)", *close) : "");
  }
  return "unknown options " + list;
}

}  // namespace coldbench
