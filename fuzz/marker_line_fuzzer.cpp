// libFuzzer target: a workload's marker and output lines. Every input line is
// parsed as a marker (the COLDBENCH_FD pipe), then fed as an output line (the
// "@coldbench " prefix and the --phase/--metric regex rules) to one run's
// collector, whose record is then written as the results file writes it.

#include <string>
#include <vector>

#include "core/record.hpp"
#include "core/record_json.hpp"
#include "fuzz_input.hpp"
#include "markers/marker_parser.hpp"
#include "markers/rules.hpp"
#include "markers/run_markers.hpp"

namespace {

using namespace coldbench;

// Rules as users write them (docs/marker-protocol.md, the Python example's test).
std::vector<markers::RegexRule> make_rules() {
  std::vector<markers::RegexRule> rules;
  for (const char* spec : {"runtime_ready=Import Torch Done", "model_loaded=Model (\\w+) loaded",
                           "inference_done=^Inference Done.*$"}) {
    rules.push_back(markers::parse_rule(markers::RuleKind::Phase, spec).value());
  }
  for (const char* spec : {"latency=Avg Latency: ([0-9.]+) ms", "throughput=([-+]?[0-9]*\\.?[0-9]+(e[-+]?[0-9]+)?) img/s"}) {
    rules.push_back(markers::parse_rule(markers::RuleKind::Metric, spec).value());
  }
  return rules;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const std::vector<markers::RegexRule> rules = make_rules();
  constexpr int64_t kSpawnNs = 1'000'000'000;  // the markers' t values are read relative to this

  markers::RunMarkers run(&rules);
  int64_t received_ns = kSpawnNs;
  fuzz::for_each_line(fuzz::as_text(data, size), [&](std::string_view line) {
    std::string why;
    auto marker = markers::parse_marker_line(line, &why);
    if (!marker && why.empty()) __builtin_trap();  // a rejected line always says why
    run.on_marker_line(line);
    run.on_output_line(line, received_ns += 1000);
  });
  RunRecord record;
  record.command = "fuzz";
  run.fill(record, kSpawnNs);
  (void)to_json(record).dump();
  return 0;
}
