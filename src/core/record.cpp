#include "core/record.hpp"

#include "core/utf8.hpp"

namespace coldbench {

const PhaseRecord* RunRecord::phase(const std::string& name) const {
  for (const auto& p : phases) {
    if (p.name == name) return &p;
  }
  return nullptr;
}

const MetricRecord* RunRecord::metric(const std::string& name) const {
  for (const auto& m : metrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

namespace {

void make_valid(std::string& text) {
  if (!is_valid_utf8(text)) text = replace_invalid_utf8(text);
}

}  // namespace

void make_text_valid(RunRecord& run) {
  make_valid(run.command);
  make_valid(run.error);
  make_valid(run.output_tail);
  make_valid(run.isolation);
  if (run.machine) make_valid(run.machine->cpu_governor);  // a sysfs file's bytes
  for (auto& w : run.warnings) make_valid(w);
  // Marker names and info values come from the JSON parser, which accepts only UTF-8;
  // regex rule names are checked when parsed. Labels and paths are not.
  std::map<std::string, std::string> labels;
  for (auto& [key, value] : run.labels) {
    std::string k = key;
    make_valid(k);
    make_valid(value);
    labels[k] = std::move(value);
  }
  run.labels = std::move(labels);
  if (run.residency) {
    for (auto& file : run.residency->least_resident) make_valid(file.path);
  }
  if (run.cache_reads) {
    for (auto& file : run.cache_reads->top) make_valid(file.path);
    for (auto& file : run.cache_reads->left_resident) {
      make_valid(file.path);
      for (auto& mapper : file.mappers) make_valid(mapper.command);
    }
  }
  if (run.limits) {
    make_valid(run.limits->cpuset);
    make_valid(run.limits->affinity);
    make_valid(run.limits->threads);
  }
}

void make_text_valid(CommandSpec& command) {
  make_valid(command.name);
  make_valid(command.text);
  for (auto& word : command.argv) make_valid(word);
}

}  // namespace coldbench
