#pragma once
// `coldbench sweep FILE --emit k8s`: the study as Kubernetes objects
// (docs/scale-out.md): a ConfigMap with the experiment file, a claim for the
// shards' histories, an Indexed Job with one pod per shard on nodes of their
// own, and a suspended merge Job to start once the shards completed.

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "sweep/experiment.hpp"
#include "sweep/shard.hpp"

namespace coldbench::sweep {

struct K8sOptions {
  std::string image = "coldbench:latest";  // an image with coldbench and the workload
  std::string experiment_text;             // the experiment file's content, for the ConfigMap
};

// The objects, in the order they are applied.
std::vector<nlohmann::ordered_json> k8s_objects(const Experiment& experiment,
                                                const ScaleOutPlan& plan,
                                                const K8sOptions& options);

// The pod resources the study needs: requests = limits (Guaranteed QoS, so
// the node does not squeeze a benchmark), the largest config's CPU quota or
// cpuset rounded up plus one CPU for the harness, its memory limit plus 256 MiB;
// null when no config has limits.
nlohmann::ordered_json pod_resources(const Experiment& experiment);

// The manifest: k8s_objects as YAML documents, with how to use them on top.
std::string k8s_manifest(const Experiment& experiment, const ScaleOutPlan& plan,
                         const K8sOptions& options);

// Block-style YAML for a JSON value: strings double-quoted (a JSON string is a
// YAML double-quoted scalar), keys in the value's order.
std::string yaml_text(const nlohmann::ordered_json& value);

}  // namespace coldbench::sweep
