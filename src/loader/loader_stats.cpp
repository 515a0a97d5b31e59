#include "loader/loader_stats.hpp"

#include <time.h>

#include <charconv>
#include <string>

#include "core/clock.hpp"

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace coldbench::loader {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

// The first integer in `s`.
std::optional<int64_t> first_number(std::string_view s) {
  size_t start = s.find_first_of("0123456789");
  if (start == std::string_view::npos) return std::nullopt;
  int64_t value = 0;
  auto [end, error] = std::from_chars(s.data() + start, s.data() + s.size(), value);
  if (error != std::errc()) return std::nullopt;
  return value;
}

}  // namespace

LoaderStats parse_loader_debug(std::string_view text) {
  LoaderStats stats;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    // "  15101:\t  total startup time ...": drop the pid prefix.
    const size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    std::string_view body = trim(line.substr(colon + 1));
    if (body.find("generating link map") != std::string_view::npos) {
      ++stats.objects;
      continue;
    }
    const size_t sep = body.find(':');
    if (sep == std::string_view::npos) continue;
    const std::string_view key = trim(body.substr(0, sep));
    const std::optional<int64_t> value = first_number(body.substr(sep + 1));
    if (!value) continue;
    if (key == "total startup time in dynamic loader") stats.startup_cycles = value;
    else if (key == "time needed for relocation") stats.relocation_cycles = value;
    else if (key == "time needed to load objects") stats.load_cycles = value;
    else if (key == "number of relocations") stats.relocations = value;
    else if (key == "number of relative relocations") stats.relative_relocations = value;
    else if (key == "final number of relocations") stats.final_relocations = value;
  }
  return stats;
}

std::optional<double> tsc_hz() {
#if defined(__x86_64__)
  static const double hz = [] {
    const int64_t t0 = monotonic_ns();
    const uint64_t c0 = __rdtsc();
    timespec pause{0, 20'000'000};
    while (nanosleep(&pause, &pause) != 0) {
    }
    const uint64_t c1 = __rdtsc();
    const int64_t t1 = monotonic_ns();
    return t1 > t0 ? static_cast<double>(c1 - c0) * 1e9 / static_cast<double>(t1 - t0) : 0.0;
  }();
  if (hz > 0) return hz;
#endif
  return std::nullopt;
}

}  // namespace coldbench::loader
