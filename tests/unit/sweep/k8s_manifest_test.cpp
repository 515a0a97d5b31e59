#include "sweep/k8s_manifest.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "sweep/slurm_script.hpp"

namespace coldbench::sweep {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using Json = nlohmann::ordered_json;

Experiment study(const std::string& limits) {
  auto parsed = parse_experiment(
      "[experiment]\nname = \"Edge Study\"\nruns = 3\n[defaults]\ncommand = \"true\"\n" + limits +
          "[[config]]\nname = \"a\"\n[[config]]\nname = \"b\"\ncpus = 1.5\n"
          "memory = \"512M\"\n[[config]]\nname = \"c\"\n",
      "study.toml");
  EXPECT_TRUE(parsed.ok()) << (parsed.ok() ? "" : parsed.error().message);
  return parsed.ok() ? std::move(parsed).value() : Experiment{};
}

ScaleOutPlan plan(int shards, ShardMode mode = ShardMode::Configs) {
  return ScaleOutPlan{"exp/study.toml", shards, mode, "results/edge"};
}

const Json& job_of(const std::vector<Json>& objects, const std::string& name) {
  for (const auto& object : objects) {
    if (object["kind"] == "Job" && object["metadata"]["name"] == name) return object;
  }
  static const Json none;
  ADD_FAILURE() << "no Job " << name;
  return none;
}

TEST(SweepK8sManifest, IndexedJobHasOnePodPerShardOnNodesOfTheirOwn) {
  const auto objects =
      k8s_objects(study(""), plan(3), K8sOptions{"registry/cb:1", "[experiment]\n"});
  const Json& job = job_of(objects, "coldbench-edge-study");
  EXPECT_EQ(job["apiVersion"], "batch/v1");
  const Json& spec = job["spec"];
  EXPECT_EQ(spec["completionMode"], "Indexed");
  EXPECT_EQ(spec["completions"], 3);
  EXPECT_EQ(spec["parallelism"], 3);
  const Json& pod = spec["template"]["spec"];
  EXPECT_EQ(pod["restartPolicy"], "Never");
  const Json& term =
      pod["affinity"]["podAntiAffinity"]["requiredDuringSchedulingIgnoredDuringExecution"][0];
  EXPECT_EQ(term["topologyKey"], "kubernetes.io/hostname");
  // The anti-affinity selects the shards' own pods: their template carries the labels it matches.
  for (const auto& [key, value] : term["labelSelector"]["matchLabels"].items()) {
    EXPECT_EQ(spec["template"]["metadata"]["labels"][key], value) << key;
  }
  const Json& container = pod["containers"][0];
  EXPECT_EQ(container["image"], "registry/cb:1");
  const std::string command = container["command"][2];
  EXPECT_THAT(command, HasSubstr("--shard \"$JOB_COMPLETION_INDEX/3\""));
  EXPECT_THAT(command, HasSubstr("--resume"));
  EXPECT_THAT(command, HasSubstr("--db \"/results/shard-$JOB_COMPLETION_INDEX.sqlite\""));
  EXPECT_THAT(command, HasSubstr("/study/study.toml"));
  EXPECT_THAT(command, Not(HasSubstr("--fleet")));
  EXPECT_EQ(container["env"][0]["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
}

TEST(SweepK8sManifest, LimitsBecomeEqualRequestsAndLimits) {
  const auto objects = k8s_objects(study(""), plan(3), K8sOptions{});
  const Json& resources = job_of(
      objects, "coldbench-edge-study")["spec"]["template"]["spec"]["containers"][0]["resources"];
  EXPECT_EQ(resources["limits"]["cpu"], "3");         // ceil(1.5) + 1 for the harness
  EXPECT_EQ(resources["limits"]["memory"], "768Mi");  // 512M + 256Mi
  EXPECT_EQ(resources["requests"], resources["limits"]);
  EXPECT_TRUE(pod_resources(study("")).is_object());
  auto unlimited =
      parse_experiment("[experiment]\nname = \"u\"\n[defaults]\ncommand = \"true\"\n", "u.toml");
  ASSERT_TRUE(unlimited.ok());
  EXPECT_TRUE(pod_resources(*unlimited).is_null());
}

TEST(SweepK8sManifest, MergeJobWaitsSuspendedAndEveryPodSharesTheResults) {
  const auto objects = k8s_objects(study(""), plan(2, ShardMode::Fleet), K8sOptions{"img", "TEXT"});
  ASSERT_EQ(objects.size(), 4u);
  EXPECT_EQ(objects[0]["kind"], "ConfigMap");
  EXPECT_EQ(objects[0]["data"]["study.toml"], "TEXT");
  EXPECT_EQ(objects[1]["kind"], "PersistentVolumeClaim");
  EXPECT_EQ(objects[1]["spec"]["accessModes"][0], "ReadWriteMany");
  const Json& merge = job_of(objects, "coldbench-edge-study-merge");
  EXPECT_EQ(merge["spec"]["suspend"], true);
  EXPECT_THAT(merge["spec"]["template"]["spec"]["containers"][0]["command"][2].get<std::string>(),
              HasSubstr("coldbench merge /results/shard-*.sqlite -o /results/study.sqlite"));
  const Json& shards = job_of(objects, "coldbench-edge-study");
  EXPECT_THAT(shards["spec"]["template"]["spec"]["containers"][0]["command"][2].get<std::string>(),
              HasSubstr("--fleet"));
  EXPECT_EQ(shards["spec"]["template"]["spec"]["volumes"],
            merge["spec"]["template"]["spec"]["volumes"]);
}

TEST(SweepK8sManifest, YamlIsBlockStyleWithQuotedStrings) {
  Json value{{"kind", "Job"},
             {"spec",
              {{"n", 3}, {"on", true}, {"list", Json::array({"a", Json{{"x", 1}, {"y", "two"}}})}}},
             {"empty", Json::object()},
             {"odd key", "line\nbreak \"q\""}};
  EXPECT_EQ(yaml_text(value),
            "kind: \"Job\"\n"
            "spec:\n"
            "  \"n\": 3\n"
            "  \"on\": true\n"
            "  list:\n"
            "    - \"a\"\n"
            "    - x: 1\n"
            "      \"y\": \"two\"\n"
            "empty: {}\n"
            "\"odd key\": \"line\\nbreak \\\"q\\\"\"\n");
}

TEST(SweepK8sManifest, ManifestSaysHowToRunItAndSeparatesDocuments) {
  const std::string text = k8s_manifest(study(""), plan(3), K8sOptions{});
  EXPECT_THAT(text, HasSubstr("kubectl wait --for=condition=complete"));
  EXPECT_THAT(text, HasSubstr("kubectl patch job coldbench-edge-study-merge"));
  std::size_t documents = 0;
  for (std::size_t at = text.find("---\n"); at != std::string::npos;
       at = text.find("---\n", at + 1))
    ++documents;
  EXPECT_EQ(documents, 4u);
}

TEST(SweepSlurmScript, ArrayOfExclusiveTasksResumingAndADependentMerge) {
  const std::string text = slurm_script(study(""), plan(3));
  EXPECT_THAT(text, HasSubstr("#SBATCH --array=0-2\n"));
  EXPECT_THAT(text, HasSubstr("#SBATCH --exclusive\n"));
  EXPECT_THAT(text, HasSubstr("--shard \"$SLURM_ARRAY_TASK_ID/$shards\" --resume"));
  EXPECT_THAT(text, HasSubstr("--dependency=afterany:"));
  EXPECT_THAT(text, HasSubstr("merge \"${inputs[@]}\" -o \"$results/study.sqlite\""));
  EXPECT_THAT(text, HasSubstr("experiment=exp/study.toml\n"));
  EXPECT_THAT(text, Not(HasSubstr("--fleet")));
  EXPECT_THAT(slurm_script(study(""), plan(3, ShardMode::Fleet)), HasSubstr("--fleet"));
}

TEST(SweepScaleOutPlan, MoreShardsThanConfigsNeedsTheFleetMode) {
  auto refused = check_plan(study(""), plan(4));
  ASSERT_FALSE(refused.ok());
  EXPECT_THAT(refused.error().message, HasSubstr("has 3 configs"));
  EXPECT_TRUE(check_plan(study(""), plan(4, ShardMode::Fleet)).ok());
}

}  // namespace
}  // namespace coldbench::sweep
