#pragma once
// The two ways an InferReport leaves the process besides markers: the
// readable summary table (stdout) and `--json FILE`. Both show the same numbers.

#include <cstdio>
#include <nlohmann/json.hpp>
#include <string>

#include "core/expected.hpp"
#include "torch/infer/runner.hpp"

namespace coldbench::workload {

inline constexpr const char* kInferJsonSchema = "coldbench-torch/infer/1";

void print_summary(const InferReport& report, std::FILE* out);
// The "what each mode runs" lines (graph changes, op self times); part of print_summary.
void print_explanations(const InferReport& report, std::FILE* out);

nlohmann::json to_json(const InferReport& report);

// Written to FILE.tmp then renamed, so a reader never sees half a file.
Expected<void> write_json(const InferReport& report, const std::string& path);

// "812 µs", "5.41 ms", "1.23 s"
std::string format_duration_ms(double ms);

}  // namespace coldbench::workload
