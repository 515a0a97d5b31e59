// libFuzzer target: an experiment file, through what `coldbench sweep
// --dry-run` does with it: parse and expand the configs, fingerprint them,
// compile the phase/metric rules and print the config table.

#include <string>

#include "fuzz_input.hpp"
#include "report/table.hpp"
#include "sweep/experiment.hpp"
#include "sweep/sweep_runner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace coldbench;
  auto experiment = sweep::parse_experiment(fuzz::as_text(data, size), "fuzz.toml");
  if (!experiment) {
    if (experiment.error().message.empty()) __builtin_trap();  // every rejection says why
    return 0;
  }
  (void)experiment->fingerprint();
  (void)sweep::experiment_commands(*experiment);
  (void)sweep::experiment_session_options(*experiment);
  report::Table table({"config", "command", "settings"});
  for (const auto& config : experiment->configs) {
    std::string settings;
    for (const auto& [key, value] : config.labels) settings += key + "=" + value + " ";
    table.add_row({config.name, config.command_text, settings});
  }
  (void)table.to_text();
  return 0;
}
