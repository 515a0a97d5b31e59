#include "noise/proc_stat.hpp"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

namespace coldbench::noise {
namespace {

std::vector<std::string_view> split_words(std::string_view line) {
  std::vector<std::string_view> words;
  std::size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    std::size_t start = i;
    while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
    if (i > start) words.push_back(line.substr(start, i - start));
  }
  return words;
}

bool parse_unsigned(std::string_view word, uint64_t& out) {
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc() && end == word.data() + word.size();
}

bool parse_double(std::string_view word, double& out) {
  auto [end, ec] = std::from_chars(word.data(), word.data() + word.size(), out);
  return ec == std::errc() && end == word.data() + word.size() && std::isfinite(out);
}

// Shown in errors: a bounded, printable excerpt of what was read.
std::string excerpt(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 40)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (text.size() > 40) out += "...";
  return out;
}

bool is_cpu_n(std::string_view word) {
  if (word.size() < 4 || word.substr(0, 3) != "cpu") return false;
  for (char c : word.substr(3)) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

}  // namespace

Expected<ProcStat> parse_proc_stat(std::string_view text) {
  ProcStat stat;
  bool found_all = false;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    auto words = split_words(line);
    if (words.empty()) continue;
    if (is_cpu_n(words[0])) {
      ++stat.cpus;
      continue;
    }
    if (words[0] != "cpu") continue;
    if (found_all) return make_error("/proc/stat has two \"cpu\" lines");
    // user nice system idle [iowait irq softirq steal guest guest_nice]
    if (words.size() < 5) {
      return make_error("/proc/stat: the \"cpu\" line has {} fields, expected at least 4: '{}'",
                        words.size() - 1, excerpt(line));
    }
    uint64_t* fields[] = {&stat.all.user,   &stat.all.nice, &stat.all.system,  &stat.all.idle,
                          &stat.all.iowait, &stat.all.irq,  &stat.all.softirq, &stat.all.steal};
    for (std::size_t i = 0; i < std::size(fields) && i + 1 < words.size(); ++i) {
      if (!parse_unsigned(words[i + 1], *fields[i])) {
        return make_error("/proc/stat: field {} of the \"cpu\" line is not a count of ticks: '{}'",
                          i + 1, excerpt(words[i + 1]));
      }
    }
    found_all = true;
  }
  if (!found_all) return make_error("/proc/stat has no \"cpu\" line: '{}'", excerpt(text));
  if (stat.cpus == 0) return make_error("/proc/stat has no per-CPU (\"cpu0\") lines");
  return stat;
}

Expected<LoadAverage> parse_loadavg(std::string_view text) {
  auto words = split_words(text.substr(0, text.find('\n')));
  LoadAverage load;
  if (words.size() < 3 || !parse_double(words[0], load.one) || !parse_double(words[1], load.five) ||
      !parse_double(words[2], load.fifteen) || load.one < 0 || load.five < 0 || load.fifteen < 0) {
    return make_error("/proc/loadavg does not start with three load averages: '{}'", excerpt(text));
  }
  return load;
}

Expected<double> parse_frequency_mhz(std::string_view text) {
  auto words = split_words(text.substr(0, text.find('\n')));
  uint64_t khz = 0;
  if (words.size() != 1 || !parse_unsigned(words[0], khz) || khz == 0) {
    return make_error("scaling_cur_freq is not a frequency in kHz: '{}'", excerpt(text));
  }
  return double(khz) / 1000.0;
}

}  // namespace coldbench::noise
