#include "isolate/container_engine.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace coldbench::isolate {
namespace {

namespace fs = std::filesystem;

bool contains(const std::string& text, const std::string& what) {
  return text.find(what) != std::string::npos;
}

EngineReply failed(int code, std::string output) {
  EngineReply reply;
  reply.exit_code = code;
  reply.output = std::move(output);
  return reply;
}

TEST(EngineExplanationTest, NoDaemonSaysHowToStartOneAndNamesTheMissingSocket) {
  auto reply = failed(
      1,
      "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon "
      "running?\n");
  std::string text =
      explain_engine_unavailable(IsolationMode::Docker, reply, "/var/run/docker.sock");
  EXPECT_TRUE(contains(text,
                       "no Docker engine is running here (/var/run/docker.sock does not exist; "
                       "`docker info` says: Cannot"))
      << text;
  EXPECT_TRUE(contains(text, "Cannot connect to the Docker daemon")) << text;
  EXPECT_TRUE(contains(text, "systemctl start docker")) << text;
  EXPECT_TRUE(contains(text, "DOCKER_HOST")) << text;
  EXPECT_TRUE(contains(text, "--isolate sandbox")) << text;

  std::string remote = explain_engine_unavailable(IsolationMode::Docker, reply, "");
  EXPECT_FALSE(contains(remote, "does not exist")) << remote;
}

TEST(EngineExplanationTest, PermissionDeniedPointsAtTheDockerGroup) {
  auto reply = failed(
      1,
      "permission denied while trying to connect to the Docker daemon socket at "
      "unix:///var/run/docker.sock: Get ...: dial unix /var/run/docker.sock: connect: permission "
      "denied\n");
  std::string text = explain_engine_unavailable(IsolationMode::Docker, reply, "");
  EXPECT_TRUE(contains(text, "may not use its socket")) << text;
  EXPECT_TRUE(contains(text, "usermod -aG docker")) << text;
}

TEST(EngineExplanationTest, TimeoutAndPodmanFailures) {
  EngineReply hung;
  hung.timed_out = true;
  std::string text = explain_engine_unavailable(IsolationMode::Docker, hung, "");
  EXPECT_TRUE(contains(text, "did not answer within 30 s")) << text;

  auto reply = failed(
      125, "\n  Error: cannot set up namespace using \"/usr/bin/newuidmap\": exit status 1  \n");
  std::string podman = explain_engine_unavailable(IsolationMode::Podman, reply, "");
  EXPECT_TRUE(contains(podman, "--isolate podman: podman cannot run containers here")) << podman;
  EXPECT_TRUE(contains(
      podman, "says: Error: cannot set up namespace using \"/usr/bin/newuidmap\": exit status 1)"))
      << podman;
  EXPECT_TRUE(contains(podman, "/etc/subuid")) << podman;
}

TEST(EngineExplanationTest, MissingImageSaysPullFirst) {
  std::string text = explain_missing_image(IsolationMode::Docker, "debian:12",
                                           failed(1, "Error: No such image: debian:12\n"));
  EXPECT_TRUE(contains(text, "--image debian:12")) << text;
  EXPECT_TRUE(contains(text, "`docker pull debian:12`")) << text;
  EXPECT_TRUE(contains(text, "No such image")) << text;
  std::string podman = explain_missing_image(IsolationMode::Podman, "alpine", failed(125, ""));
  EXPECT_TRUE(contains(podman, "`podman pull alpine`")) << podman;
  EXPECT_TRUE(contains(podman, "(no output)")) << podman;
}

TEST(EngineFactsArgvTest, AsksForTheWholeInfoAsJson) {
  EXPECT_EQ(engine_facts_argv(IsolationMode::Docker, "/d"),
            (std::vector<std::string>{"/d", "info", "--format", "{{json .}}"}));
  EXPECT_EQ(engine_facts_argv(IsolationMode::Podman, "/p"),
            (std::vector<std::string>{"/p", "info", "--format", "json"}));
}

const char* kPodmanInfo =
    R"({"version":{"Version":"4.3.1"},"host":{"ociRuntime":{"name":"runc"},"cgroupManager":"cgroupfs","cgroupVersion":"v1"}})";
const char* kDockerInfo = R"({"ServerVersion":"28.2.2","DefaultRuntime":"runc","CgroupDriver":"cgroupfs","CgroupVersion":"2"})";

// A fake engine client: a shell script that logs its arguments and answers
// `info` and `image inspect` as told.
class FakeEngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char pattern[] = "/tmp/cb-fake-engine-XXXXXX";
    ASSERT_NE(mkdtemp(pattern), nullptr);
    dir_ = pattern;
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::string write_client(const std::string& name, int info_code, const std::string& info_text,
                           int inspect_code, const std::string& inspect_text) {
    std::string path = dir_ + "/" + name;
    std::ofstream script(path);
    script << "#!/bin/sh\n"
           << "echo \"$@\" >> '" << dir_ << "/calls'\n"
           << "case \"$1\" in\n"
           << "  info) echo '" << info_text << "'; exit " << info_code << ";;\n"
           << "  image) echo '" << inspect_text << "'; exit " << inspect_code << ";;\n"
           << "esac\nexit 99\n";
    script.close();
    chmod(path.c_str(), 0755);
    return path;
  }
  std::string calls() const {
    std::ifstream in(dir_ + "/calls");
    std::stringstream text;
    text << in.rdbuf();
    return text.str();
  }

  std::string dir_;
};

TEST_F(FakeEngineTest, FindsTheClientInPathOrSaysItIsNotInstalled) {
  auto missing = find_engine_client(IsolationMode::Docker, dir_);
  ASSERT_FALSE(missing);
  EXPECT_TRUE(contains(missing.error().message, "the docker client is not installed"))
      << missing.error().message;
  auto missing_podman = find_engine_client(IsolationMode::Podman, dir_);
  ASSERT_FALSE(missing_podman);
  EXPECT_TRUE(contains(missing_podman.error().message, "podman client is not installed"));

  std::string client = write_client("docker", 0, "", 0, "");
  auto found = find_engine_client(IsolationMode::Docker, "/nonexistent:" + dir_);
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(*found, client);
}

TEST_F(FakeEngineTest, EngineThatDoesNotAnswerIsReportedBeforeTheImage) {
  std::string client =
      write_client("docker", 1,
                   "Cannot connect to the Docker daemon at unix:///nowhere.sock. Is the docker "
                   "daemon running?",
                   0, "");
  auto ready = prepare_engine(IsolationMode::Docker, client, "debian");
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().exit_code, kExitUsage);
  EXPECT_TRUE(contains(ready.error().message, "no Docker engine is running"))
      << ready.error().message;
  EXPECT_TRUE(contains(ready.error().message, "unix:///nowhere.sock")) << ready.error().message;
  EXPECT_EQ(calls(), "info --format {{json .}}\n");
}

TEST_F(FakeEngineTest, MissingImageIsReported) {
  std::string client = write_client("podman", 0, kPodmanInfo, 125, "Error: alpine: image not known");
  auto ready = prepare_engine(IsolationMode::Podman, client, "alpine");
  ASSERT_FALSE(ready);
  EXPECT_TRUE(contains(ready.error().message, "not present in the local podman store"))
      << ready.error().message;
  EXPECT_TRUE(contains(ready.error().message, "image not known")) << ready.error().message;
  EXPECT_EQ(calls(), "info --format json\nimage inspect --format {{json .Config.Labels}} alpine\n");
}

TEST_F(FakeEngineTest, ReadyEngineAndImagePass) {
  std::string client = write_client("docker", 0, kDockerInfo, 0, "null");
  auto ready = prepare_engine(IsolationMode::Docker, client, "debian:12");
  ASSERT_TRUE(ready) << ready.error().message;
  EXPECT_EQ(ready->state.facts.version, "28.2.2");
  EXPECT_TRUE(ready->image_mounts.empty());
}

TEST_F(FakeEngineTest, ImageThatDeclaresHostMountsGetsThem) {
  std::string client =
      write_client("podman", 0, kPodmanInfo, 0, R"({"io.coldbench.host-mounts":"/usr:/usr:ro,/etc:/host-etc"})");
  auto ready = prepare_engine(IsolationMode::Podman, client, "localhost/coldbench-host:1");
  ASSERT_TRUE(ready) << ready.error().message;
  ASSERT_EQ(ready->image_mounts.size(), 2u);
  EXPECT_EQ(ready->image_mounts[0], (ContainerMount{"/usr", "/usr", true}));
  EXPECT_EQ(ready->image_mounts[1], (ContainerMount{"/etc", "/host-etc", false}));
}

TEST_F(FakeEngineTest, ImageThatExpectsAHostPathMissingHereIsRefused) {
  std::string client =
      write_client("podman", 0, kPodmanInfo, 0, R"({"io.coldbench.host-mounts":"/nonexistent-cb:/x:ro"})");
  auto ready = prepare_engine(IsolationMode::Podman, client, "img");
  ASSERT_FALSE(ready);
  EXPECT_EQ(ready.error().exit_code, kExitUsage);
  EXPECT_TRUE(contains(ready.error().message, "/nonexistent-cb")) << ready.error().message;
}

TEST_F(FakeEngineTest, InfoThatIsNotJsonIsAnErrorThatQuotesIt) {
  std::string client = write_client("podman", 0, "4.3.1", 0, "null");
  auto ready = prepare_engine(IsolationMode::Podman, client, "img");
  ASSERT_FALSE(ready);
  EXPECT_TRUE(contains(ready.error().message, "did not print JSON")) << ready.error().message;
  EXPECT_TRUE(contains(ready.error().message, "4.3.1")) << ready.error().message;
}

TEST_F(FakeEngineTest, RunEngineCommandReportsExitCodeAndOutput) {
  std::string client = write_client("docker", 3, "three", 0, "");
  auto reply = run_engine_command({client, "info"}, 10);
  ASSERT_TRUE(reply) << reply.error().message;
  ASSERT_TRUE(reply->exit_code);
  EXPECT_EQ(*reply->exit_code, 3);
  EXPECT_FALSE(reply->ok());
  EXPECT_EQ(reply->output, "three\n");
}

}  // namespace
}  // namespace coldbench::isolate
