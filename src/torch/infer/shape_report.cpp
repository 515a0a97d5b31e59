// The summary table and JSON of `infer --shapes/--size-range`
// (shape_runner.hpp); free of LibTorch.

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/json_text.hpp"
#include "core/output_file.hpp"
#include "torch/common/units.hpp"
#include "torch/infer/report.hpp"
#include "torch/infer/shape_runner.hpp"

namespace coldbench::workload {
namespace {

std::string sizes_text(const InferOptions& options) {
  if (options.size_range) {
    return fmt::format("H, W uniform in {}-{} (seeded)", options.size_range->min, options.size_range->max);
  }
  std::string text;
  for (const Size& size : *options.shapes) text += (text.empty() ? "" : ",") + format_size(size);
  return "in turn: " + text;
}

void print_row(std::FILE* out, const char* label, const LatencySummary& s) {
  if (s.n == 0) {
    fmt::print(out, "  {:<22} {:>6}\n", label, 0);
    return;
  }
  fmt::print(out, "  {:<22} {:>6}  {:>10}  {:>10}  {:>10}\n", label, s.n, format_duration_ms(s.p50),
             format_duration_ms(s.p99), format_duration_ms(s.max));
}

}  // namespace

void print_shape_summary(const ShapeReport& report, std::FILE* out) {
  const InferOptions& options = report.options;
  fmt::print(out, "{} ({} mode, batch {}): {} requests, sizes {}\n", report.model.name,
             mode_name(options.modes.front()), options.batch_sizes.front(), report.requests.size(),
             sizes_text(options));
  fmt::print(out, "  {} distinct sizes; the model ran at {} distinct shapes\n", report.distinct_sizes,
             report.distinct_shapes_run);
  fmt::print(out, "  {:<22} {:>6}  {:>10}  {:>10}  {:>10}\n", "latency", "n", "p50", "p99", "max");
  print_row(out, "all requests", report.all);
  print_row(out, "first-seen shape", report.first_seen);
  print_row(out, "repeat shape", report.repeat);
  if (!options.buckets) return;
  const BucketCounters& c = report.counters;
  fmt::print(out, "{}: hits {}, misses {}, evictions {}, fallbacks {} (hit rate {:.1f}%), cache {}\n",
             options.buckets->describe(), c.hits, c.misses, c.evictions, c.fallbacks, 100.0 * c.hit_rate(),
             options.bucket_cache);
  double precompile_ms = 0, rss = 0;
  int precompiled = 0, prepared = 0;
  for (const BucketPreparation& p : report.preparations) {
    ++prepared;
    rss += static_cast<double>(p.rss_bytes);
    if (p.precompiled) {
      ++precompiled;
      precompile_ms += p.prepare_ms;
    }
  }
  if (prepared > 0) {
    fmt::print(out, "  prepared {} buckets ({} before ready, {} in total), {} per bucket on average\n",
               prepared, precompiled, format_duration_ms(precompile_ms), format_mib(static_cast<int64_t>(rss / prepared)));
  }
  if (report.accuracy) {
    const PaddingAccuracy& a = *report.accuracy;
    if (a.samples > 0) {
      fmt::print(out, "  padding vs unpadded: top-1 agrees on {}/{} sizes, cosine min {:.4f} mean {:.4f}\n",
                 a.top1_agree, a.samples, a.min_cosine, a.mean_cosine);
    }
    if (a.reference_bucket) {
      fmt::print(out, "  reference input through bucket {}: top-1 {}, cosine {:.4f}\n",
                 format_size(*a.reference_bucket), *a.reference_top1_agree ? "agrees" : "DIFFERS",
                 *a.reference_cosine);
    }
  }
}

Expected<void> write_shape_json(const ShapeReport& report, const std::string& path) {
  const InferOptions& options = report.options;
  nlohmann::json doc;
  doc["schema"] = "coldbench-torch/infer-shapes/1";
  doc["model"] = {{"name", report.model.name}, {"path", report.model.path.string()}};
  doc["mode"] = std::string(mode_name(options.modes.front()));
  doc["batch_size"] = options.batch_sizes.front();
  doc["sample_shape"] = report.sample_shape;
  doc["seed"] = report.seed;
  if (options.size_range) doc["size_range"] = {options.size_range->min, options.size_range->max};
  if (options.shapes) {
    for (const Size& size : *options.shapes) doc["shapes"].push_back({size.h, size.w});
  }
  doc["phases"] = phases_json(report.phases, report.process_start_ns);
  doc["optimize_ms"] = report.optimize_ms;
  doc["first_inference_ms"] = report.first_inference_ms;
  doc["distinct_sizes"] = report.distinct_sizes;
  doc["distinct_shapes_run"] = report.distinct_shapes_run;
  doc["latency_ms"] = {{"all", latency_summary_json(report.all)},
                       {"first_seen", latency_summary_json(report.first_seen)},
                       {"repeat", latency_summary_json(report.repeat)}};
  nlohmann::json requests = nlohmann::json::array();
  for (const ShapeRequest& r : report.requests) {
    nlohmann::json row = {{"h", r.size.h}, {"w", r.size.w}, {"latency_ms", r.latency_ms},
                          {"first_seen", r.first_seen}};
    if (r.bucket) row["bucket"] = {r.bucket->h, r.bucket->w};
    if (r.fallback) row["fallback"] = true;
    requests.push_back(std::move(row));
  }
  doc["requests"] = std::move(requests);
  if (options.buckets) {
    const BucketCounters& c = report.counters;
    doc["buckets"] = {{"plan", options.buckets->describe()},
                      {"cache", options.bucket_cache},
                      {"hits", c.hits},
                      {"misses", c.misses},
                      {"evictions", c.evictions},
                      {"fallbacks", c.fallbacks},
                      {"hit_rate", c.hit_rate()}};
    nlohmann::json preparations = nlohmann::json::array();
    for (const BucketPreparation& p : report.preparations) {
      preparations.push_back({{"bucket", {p.bucket.h, p.bucket.w}},
                              {"prepare_ms", p.prepare_ms},
                              {"rss_bytes", p.rss_bytes},
                              {"precompiled", p.precompiled}});
    }
    doc["buckets"]["preparations"] = std::move(preparations);
  }
  if (report.accuracy) {
    const PaddingAccuracy& a = *report.accuracy;
    doc["padding_accuracy"] = {{"samples", a.samples},
                               {"top1_agree", a.top1_agree},
                               {"cosine_min", a.min_cosine},
                               {"cosine_mean", a.mean_cosine}};
    if (a.reference_bucket) {
      doc["padding_accuracy"]["reference"] = {{"bucket", {a.reference_bucket->h, a.reference_bucket->w}},
                                              {"top1_agree", *a.reference_top1_agree},
                                              {"cosine", *a.reference_cosine}};
    }
  }
  doc["peak_rss_bytes"] = report.peak_rss_bytes;
  auto written = write_file_atomically(path, json_text(doc, 2) + "\n");
  if (!written) {
    return make_error("--json: {}. fix: check that its directory exists and is writable", written.error().message);
  }
  return {};
}

}  // namespace coldbench::workload
