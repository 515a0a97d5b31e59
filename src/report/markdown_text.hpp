#pragma once
// Text from users and workloads (config names, commands, phase and metric
// names, info values, error messages, paths) made safe to put into Markdown:
// it renders as the same characters, with no HTML, link, emphasis, code span
// or table cell boundary of its own. Every Markdown writer passes such text
// through markdown_text (report::Table does it for every cell).

#include <string>
#include <string_view>

namespace coldbench::report {

// `<`, `>` and `&` become entities (so no raw tag survives, whatever the
// renderer does with HTML); the Markdown punctuation \ ` * _ [ ] | # ~
// gets a backslash; line breaks, tabs and other control characters become
// spaces (a newline would end a table row or a heading). For inline use: the
// result is meant to follow other text on its line, not to start one.
std::string markdown_text(std::string_view text);

}  // namespace coldbench::report
