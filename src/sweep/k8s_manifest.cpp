#include "sweep/k8s_manifest.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <filesystem>

#include "core/cpu_list.hpp"
#include "core/json_text.hpp"
#include "core/shell_words.hpp"

namespace coldbench::sweep {
namespace {

using Json = nlohmann::ordered_json;

constexpr const char* kStudyLabel = "coldbench.dev/study";
constexpr const char* kRoleLabel = "coldbench.dev/role";
constexpr int64_t kHarnessMemoryBytes = 256LL * 1024 * 1024;

bool plain_key(const std::string& key) {
  // YAML 1.1 readers (PyYAML, older kubectl) take these bare words for booleans or null.
  static const char* const kReserved[] = {"y",   "n",    "yes",   "no",   "on",
                                          "off", "true", "false", "null", "~"};
  std::string lower;
  for (char c : key) lower += static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
  for (const char* word : kReserved) {
    if (lower == word) return false;
  }
  if (key.empty() || (key[0] >= '0' && key[0] <= '9') || key[0] == '-' || key[0] == '.')
    return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.' || c == '/';
  });
}

std::string yaml_key(const std::string& key) {
  return plain_key(key) ? key : json_text(Json(key));
}

std::string yaml_scalar(const Json& value) {
  if (value.is_object()) return "{}";  // only reached when empty
  if (value.is_array()) return "[]";
  return json_text(value);  // strings quoted, numbers, true/false, null
}

bool nested(const Json& value) {
  return (value.is_object() || value.is_array()) && !value.empty();
}

void write_yaml(const Json& value, int indent, std::string& out);

void write_entry_value(const Json& value, int indent, std::string& out) {
  if (nested(value)) {
    out += "\n";
    write_yaml(value, indent, out);
  } else {
    out += " " + yaml_scalar(value) + "\n";
  }
}

void write_yaml(const Json& value, int indent, std::string& out) {
  const std::string pad(static_cast<std::size_t>(indent), ' ');
  if (value.is_object()) {
    for (const auto& [key, item] : value.items()) {
      out += pad + yaml_key(key) + ":";
      write_entry_value(item, indent + 2, out);
    }
  } else if (value.is_array()) {
    for (const auto& item : value) {
      if (item.is_object() && !item.empty()) {
        // "- key: value" with the item's other keys under the first.
        bool first = true;
        for (const auto& [key, field] : item.items()) {
          out += (first ? pad + "- " : pad + "  ") + yaml_key(key) + ":";
          write_entry_value(field, indent + 4, out);
          first = false;
        }
      } else if (nested(item)) {
        out += pad + "-\n";
        write_yaml(item, indent + 2, out);
      } else {
        out += pad + "- " + yaml_scalar(item) + "\n";
      }
    }
  } else {
    out += pad + yaml_scalar(value) + "\n";
  }
}

Json labels(const std::string& name, const char* role) {
  return Json{{"app.kubernetes.io/name", "coldbench"}, {kStudyLabel, name}, {kRoleLabel, role}};
}

std::string quantity_bytes(int64_t bytes) {
  constexpr int64_t mi = 1024 * 1024;
  return bytes % mi == 0 ? fmt::format("{}Mi", bytes / mi) : fmt::format("{}", bytes);
}

}  // namespace

std::string yaml_text(const Json& value) {
  std::string out;
  if (nested(value)) {
    write_yaml(value, 0, out);
  } else {
    out = yaml_scalar(value) + "\n";
  }
  return out;
}

Json pod_resources(const Experiment& experiment) {
  double cpus = 0;
  int64_t memory = 0;
  for (const auto& config : experiment.configs) {
    if (config.limits.cpus) cpus = std::max(cpus, *config.limits.cpus);
    if (config.limits.cpuset) {
      if (auto list = parse_cpu_list(*config.limits.cpuset))
        cpus = std::max(cpus, static_cast<double>(list->size()));
    }
    if (config.limits.memory_bytes) memory = std::max(memory, *config.limits.memory_bytes);
  }
  if (cpus == 0 && memory == 0) return Json();
  Json amounts = Json::object();
  // Whole CPUs: with the static CPU manager a Guaranteed pod gets cores of its own.
  if (cpus > 0)
    amounts["cpu"] = fmt::format("{}", static_cast<int64_t>(std::ceil(cpus - 1e-9)) + 1);
  if (memory > 0) amounts["memory"] = quantity_bytes(memory + kHarnessMemoryBytes);
  return Json{{"requests", amounts}, {"limits", amounts}};
}

std::vector<Json> k8s_objects(const Experiment& experiment, const ScaleOutPlan& plan,
                              const K8sOptions& options) {
  const std::string name = "coldbench-" + cluster_name(experiment.name);
  const std::string file_name = std::filesystem::path(plan.experiment_file).filename().string();
  const std::string study_path = "/study/" + file_name;
  const std::string fleet = plan.mode == ShardMode::Fleet ? " --fleet" : "";

  Json config_map{{"apiVersion", "v1"},
                  {"kind", "ConfigMap"},
                  {"metadata", {{"name", name}, {"labels", labels(name, "experiment")}}},
                  {"data", {{file_name, options.experiment_text}}}};

  Json claim{
      {"apiVersion", "v1"},
      {"kind", "PersistentVolumeClaim"},
      {"metadata", {{"name", name + "-results"}, {"labels", labels(name, "results")}}},
      {"spec",
       {{"accessModes",
         Json::array({"ReadWriteMany"})},  // every node writes its shard, the merge reads all
        {"resources", {{"requests", {{"storage", "1Gi"}}}}}}}};

  const Json volumes = Json::array(
      {{{"name", "study"}, {"configMap", {{"name", name}}}},
       {{"name", "results"}, {"persistentVolumeClaim", {{"claimName", name + "-results"}}}}});
  const Json mounts = Json::array({{{"name", "study"}, {"mountPath", "/study"}, {"readOnly", true}},
                                   {{"name", "results"}, {"mountPath", "/results"}}});

  const std::string shard_command = fmt::format(
      "exec coldbench sweep {} --shard \"$JOB_COMPLETION_INDEX/{}\"{} --resume --no-progress "
      "--host-label "
      "\"$NODE_NAME\" --db \"/results/shard-$JOB_COMPLETION_INDEX.sqlite\"",
      quote_shell_word(study_path), plan.shards, fleet);
  Json shard_container{
      {"name", "shard"},
      {"image", options.image},
      {"command", Json::array({"/bin/sh", "-c", shard_command})},
      // The pod's hostname is the pod's name; the node is the machine measured.
      {"env", Json::array({{{"name", "NODE_NAME"},
                            {"valueFrom", {{"fieldRef", {{"fieldPath", "spec.nodeName"}}}}}}})},
      {"volumeMounts", mounts}};
  if (Json resources = pod_resources(experiment); !resources.is_null())
    shard_container["resources"] = resources;

  Json shard_labels = labels(name, "shard");
  Json anti_affinity{
      {"podAntiAffinity",
       {{"requiredDuringSchedulingIgnoredDuringExecution",
         Json::array(
             {{{"labelSelector", {{"matchLabels", {{kStudyLabel, name}, {kRoleLabel, "shard"}}}}},
               {"topologyKey", "kubernetes.io/hostname"}}})}}}};
  Json shards{{"apiVersion", "batch/v1"},
              {"kind", "Job"},
              {"metadata", {{"name", name}, {"labels", shard_labels}}},
              {"spec",
               {{"completionMode", "Indexed"},
                {"completions", plan.shards},
                {"parallelism", plan.shards},
                // A failed pod is retried; its shard resumes, keeping the runs it finished.
                {"backoffLimit", std::max(3, plan.shards)},
                {"template",
                 {{"metadata", {{"labels", shard_labels}}},
                  {"spec",
                   {{"restartPolicy", "Never"},
                    {"affinity", anti_affinity},
                    {"containers", Json::array({shard_container})},
                    {"volumes", volumes}}}}}}}};

  Json merge_container{
      {"name", "merge"},
      {"image", options.image},
      {"command",
       Json::array({"/bin/sh", "-c",
                    "exec coldbench merge /results/shard-*.sqlite -o /results/study.sqlite"})},
      {"volumeMounts", mounts}};
  Json merge{
      {"apiVersion", "batch/v1"},
      {"kind", "Job"},
      {"metadata", {{"name", name + "-merge"}, {"labels", labels(name, "merge")}}},
      {"spec",
       {// Started by hand once the shards' Job completed (Kubernetes has no job dependencies).
        {"suspend", true},
        {"backoffLimit", 2},
        {"template",
         {{"metadata", {{"labels", labels(name, "merge")}}},
          {"spec",
           {{"restartPolicy", "Never"},
            {"containers", Json::array({merge_container})},
            {"volumes", volumes}}}}}}}};
  return {config_map, claim, shards, merge};
}

std::string k8s_manifest(const Experiment& experiment, const ScaleOutPlan& plan,
                         const K8sOptions& options) {
  const std::string name = "coldbench-" + cluster_name(experiment.name);
  std::string text = fmt::format(
      "# coldbench study '{}' as a Kubernetes Indexed Job: {} shards ({} mode, "
      "docs/scale-out.md).\n"
      "# Written by `coldbench sweep --emit k8s`. Use:\n"
      "#   kubectl apply -f THIS_FILE\n"
      "#   kubectl wait --for=condition=complete --timeout=24h job/{}\n"
      "#   kubectl patch job {}-merge --type=merge -p '{{\"spec\":{{\"suspend\":false}}}}'\n"
      "# A failed pod is retried and resumes its shard; after the Job failed, delete it and apply "
      "again:\n"
      "# shards that finished find nothing to resume. The merge may run again; it adds only what "
      "is new.\n",
      experiment.name, plan.shards, to_string(plan.mode), name, name);
  for (const auto& object : k8s_objects(experiment, plan, options))
    text += "---\n" + yaml_text(object);
  return text;
}

}  // namespace coldbench::sweep
