#include "isolate/isolation_spec.hpp"

#include <gtest/gtest.h>

namespace coldbench::isolate {
namespace {

TEST(IsolationModeTest, ParsesEveryModeAndNamesItBack) {
  for (const char* word : {"host", "sandbox", "docker", "podman"}) {
    auto mode = parse_isolation_mode(word);
    ASSERT_TRUE(mode) << word;
    EXPECT_STREQ(isolation_name(*mode), word);
  }
  EXPECT_TRUE(is_container_engine(IsolationMode::Docker));
  EXPECT_TRUE(is_container_engine(IsolationMode::Podman));
  EXPECT_FALSE(is_container_engine(IsolationMode::Sandbox));
  EXPECT_FALSE(is_container_engine(IsolationMode::Host));
}

TEST(IsolationModeTest, UnknownModeNamesTheChoices) {
  auto mode = parse_isolation_mode("chroot");
  ASSERT_FALSE(mode);
  EXPECT_NE(mode.error().message.find("'chroot'"), std::string::npos);
  EXPECT_NE(mode.error().message.find("host, sandbox, docker or podman"), std::string::npos);
  EXPECT_EQ(mode.error().exit_code, kExitUsage);
}

TEST(ContainerMountTest, ParsesSourceTargetAndMode) {
  auto rw = parse_container_mount("/data/models:/models", "/home/u");
  ASSERT_TRUE(rw);
  EXPECT_EQ(*rw, (ContainerMount{"/data/models", "/models", false}));
  auto ro = parse_container_mount("/data:/data:ro", "/home/u");
  ASSERT_TRUE(ro);
  EXPECT_TRUE(ro->read_only);
  auto explicit_rw = parse_container_mount("/data:/data:rw", "/home/u");
  ASSERT_TRUE(explicit_rw);
  EXPECT_FALSE(explicit_rw->read_only);
}

TEST(ContainerMountTest, RelativeSourceIsTakenFromTheCurrentDirectory) {
  auto mount = parse_container_mount("./models/:/models/", "/home/u/project");
  ASSERT_TRUE(mount);
  EXPECT_EQ(mount->source, "/home/u/project/models");
  EXPECT_EQ(mount->target, "/models");
  auto bare = parse_container_mount("weights:/w", "/srv");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->source, "/srv/weights");
}

TEST(ContainerMountTest, RejectsMalformedSpecs) {
  for (const char* bad :
       {"/only-one-part", "/a:/b:ro:extra", ":/b", "/a:", "/a:relative", "/a:/b:rx"}) {
    auto mount = parse_container_mount(bad, "/");
    ASSERT_FALSE(mount) << bad;
    EXPECT_NE(mount.error().message.find("--mount"), std::string::npos) << bad;
    EXPECT_NE(mount.error().message.find("SRC:DST"), std::string::npos) << bad;
  }
}

TEST(IsolationSpecTest, ContainerEnginesNeedAnImage) {
  auto spec = make_isolation_spec("docker", "", {}, "/");
  ASSERT_FALSE(spec);
  EXPECT_NE(spec.error().message.find("needs --image"), std::string::npos);
  auto podman = make_isolation_spec("podman", "", {}, "/");
  ASSERT_FALSE(podman);
  EXPECT_NE(podman.error().message.find("--isolate podman needs --image"), std::string::npos);
}

TEST(IsolationSpecTest, ImageAndMountsAreOnlyForContainers) {
  auto host_image = make_isolation_spec("host", "debian", {}, "/");
  ASSERT_FALSE(host_image);
  EXPECT_NE(host_image.error().message.find("--image is only used with"), std::string::npos);
  auto sandbox_mount = make_isolation_spec("sandbox", "", {"/a:/b"}, "/");
  ASSERT_FALSE(sandbox_mount);
  EXPECT_NE(sandbox_mount.error().message.find("--mount is only used with"), std::string::npos);
}

TEST(IsolationSpecTest, RejectsImagesThatLookLikeFlags) {
  for (const char* bad : {"--privileged", "-v", "debian 12", "deb\tian"}) {
    auto spec = make_isolation_spec("docker", bad, {}, "/");
    ASSERT_FALSE(spec) << bad;
    EXPECT_NE(spec.error().message.find("not an image reference"), std::string::npos);
  }
}

TEST(IsolationSpecTest, BuildsAContainerSpec) {
  auto spec = make_isolation_spec("podman", "ghcr.io/org/app:1.2", {"/a:/b:ro", "c:/c"}, "/work");
  ASSERT_TRUE(spec);
  EXPECT_EQ(spec->mode, IsolationMode::Podman);
  EXPECT_EQ(spec->image, "ghcr.io/org/app:1.2");
  ASSERT_EQ(spec->mounts.size(), 2u);
  EXPECT_EQ(spec->mounts[0], (ContainerMount{"/a", "/b", true}));
  EXPECT_EQ(spec->mounts[1], (ContainerMount{"/work/c", "/c", false}));
}

TEST(IsolationSpecTest, HostAndSandboxNeedNothingElse) {
  auto host = make_isolation_spec("host", "", {}, "/");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->mode, IsolationMode::Host);
  auto sandbox = make_isolation_spec("sandbox", "", {}, "/");
  ASSERT_TRUE(sandbox);
  EXPECT_EQ(sandbox->mode, IsolationMode::Sandbox);
  EXPECT_FALSE(make_isolation_spec("vm", "", {}, "/"));
}

}  // namespace
}  // namespace coldbench::isolate
