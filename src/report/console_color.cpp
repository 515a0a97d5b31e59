#include "report/console_color.hpp"

#include <unistd.h>

#include <array>
#include <cstdlib>
#include <cstring>
#include <utility>

#include "core/terminal_text.hpp"

namespace coldbench::report {
namespace {

constexpr const char* kReset = "\033[0m";
constexpr const char* kBold = "\033[1m";
constexpr const char* kRed = "\033[31m";
constexpr const char* kGreen = "\033[32m";
constexpr const char* kYellow = "\033[33m";
constexpr const char* kCyan = "\033[36m";

bool starts_with(std::string_view text, std::string_view prefix) { return text.substr(0, prefix.size()) == prefix; }

// A verdict as the last cell of a comparison row ("... slower", "... inconclusive: needs ~13 runs/side").
const char* verdict_color(std::string_view line, std::size_t& at) {
  static constexpr std::array<std::pair<std::string_view, const char*>, 4> kVerdicts{
      {{"  slower", kRed}, {"  faster", kGreen}, {"  equivalent", kCyan}, {"  inconclusive", kYellow}}};
  for (const auto& [word, color] : kVerdicts) {
    const std::size_t found = line.rfind(word);
    if (found == std::string_view::npos) continue;
    const std::string_view rest = line.substr(found + word.size());
    if (rest.empty() || starts_with(rest, ":")) {
      at = found + 2;
      return color;
    }
  }
  return nullptr;
}

std::string color_line(std::string_view line) {
  std::string out;
  // Findings: the verdict tag in front of the sentence.
  static constexpr std::array<std::pair<std::string_view, const char*>, 3> kTags{
      {{"[shown]", kBold}, {"[equivalent]", kCyan}, {"[inconclusive]", kYellow}}};
  for (const auto& [tag, color] : kTags) {
    const std::size_t found = line.find(tag);
    if (found != std::string_view::npos && found < 8) {
      return std::string(line.substr(0, found)) + color + std::string(tag) + kReset +
             std::string(line.substr(found + tag.size()));
    }
  }
  if (starts_with(line, "What we found") || starts_with(line, "Command '") || starts_with(line, "Config '")) {
    return kBold + std::string(line) + kReset;
  }
  if (const std::size_t warning = line.find("warning:"); warning != std::string_view::npos && warning < 4) {
    return std::string(line.substr(0, warning)) + kYellow + "warning:" + kReset +
           std::string(line.substr(warning + 8));
  }
  if (const std::size_t failed = line.find("FAILED"); failed != std::string_view::npos) {
    return std::string(line.substr(0, failed)) + kRed + kBold + "FAILED" + kReset +
           std::string(line.substr(failed + 6));
  }
  std::size_t at = 0;
  if (const char* color = verdict_color(line, at)) {
    return std::string(line.substr(0, at)) + color + std::string(line.substr(at)) + kReset;
  }
  out = line;
  return out;
}

}  // namespace

bool color_wanted(std::FILE* stream) {
  const char* no_color = std::getenv("NO_COLOR");
  if (no_color && *no_color) return false;
  const char* term = std::getenv("TERM");
  if (term && std::strcmp(term, "dumb") == 0) return false;
  return isatty(fileno(stream)) != 0;
}

std::string colorize_summary(std::string_view safe_text) {
  std::string out;
  out.reserve(safe_text.size() + safe_text.size() / 8);
  std::size_t pos = 0;
  while (pos < safe_text.size()) {
    std::size_t end = safe_text.find('\n', pos);
    const bool newline = end != std::string_view::npos;
    if (!newline) end = safe_text.size();
    out += color_line(safe_text.substr(pos, end - pos));
    if (newline) out += '\n';
    pos = end + 1;
  }
  return out;
}

void print_summary_text(std::FILE* stream, std::string_view text) {
  print_summary_text(stream, text, color_wanted(stream));
}

void print_summary_text(std::FILE* stream, std::string_view text, bool color) {
  std::string safe = terminal_safe(text);
  if (color) safe = colorize_summary(safe);
  std::fwrite(safe.data(), 1, safe.size(), stream);
}

}  // namespace coldbench::report
