#pragma once
// The regression gate's result as console text, as Markdown for a pull
// request comment, and as JSON for scripts.

#include <nlohmann/json.hpp>
#include <string>

#include "compare/gate.hpp"

namespace coldbench::compare {

// What the two sides were, for the headings ("main.json", "session 12", a host).
struct GateSources {
  std::string base;
  std::string current;
};

std::string render_gate_text(const GateResult& result, const GateSources& sources);
std::string render_gate_markdown(const GateResult& result, const GateSources& sources);
nlohmann::json to_json(const GateResult& result, const GateSources& sources);

// One line: "REGRESSION: ...", "INCONCLUSIVE: ... (needs N runs ...)" or "OK: ...".
std::string gate_conclusion(const GateResult& result);

}  // namespace coldbench::compare
