#pragma once
// Color for the console summary, on a terminal only. Applied to text that has
// already been through terminal_safe (so a workload's bytes can never emit an
// escape) and keyed on the summary's own words: verdicts, FAILED, warnings,
// headings. NO_COLOR (https://no-color.org) and TERM=dumb turn it off.

#include <cstdio>
#include <string>
#include <string_view>

namespace coldbench::report {

// Whether output to `stream` should be colored: a terminal, NO_COLOR unset or
// empty, TERM not "dumb".
bool color_wanted(std::FILE* stream);

// `safe_text` (already terminal_safe) with ANSI colors on the summary's words.
std::string colorize_summary(std::string_view safe_text);

// Prints `text` to `stream` through terminal_safe, colored when color_wanted.
void print_summary_text(std::FILE* stream, std::string_view text);
// The same, colored when `color` says (run's --style color/full/nocolor/basic).
void print_summary_text(std::FILE* stream, std::string_view text, bool color);

}  // namespace coldbench::report
