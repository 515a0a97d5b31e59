#include "core/cgroup_layout.hpp"

#include <gtest/gtest.h>

namespace coldbench {
namespace {

// A systemd host with cgroup v2 only (Debian 12, Fedora, Ubuntu 22.04).
constexpr const char* kV2Mountinfo =
    "22 1 0:21 / / rw,relatime shared:1 - ext4 /dev/sda1 rw\n"
    "25 22 0:23 / /sys rw,nosuid shared:7 - sysfs sysfs rw\n"
    "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec,relatime shared:9 - cgroup2 cgroup2 "
    "rw,nsdelegate,memory_recursiveprot\n";
constexpr const char* kV2Cgroup =
    "0::/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope\n";

// cgroup v1 only (CentOS 7, Ubuntu 20.04 default), cpu and cpuacct co-mounted.
constexpr const char* kV1Mountinfo =
    "24 18 0:20 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:4 - tmpfs tmpfs ro,mode=755\n"
    "25 24 0:21 / /sys/fs/cgroup/systemd rw,nosuid shared:5 - cgroup cgroup rw,xattr,name=systemd\n"
    "28 24 0:24 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - cgroup cgroup rw,cpu,cpuacct\n"
    "29 24 0:25 / /sys/fs/cgroup/cpuset rw,nosuid shared:11 - cgroup cgroup rw,cpuset\n"
    "30 24 0:26 / /sys/fs/cgroup/memory rw,nosuid shared:12 - cgroup cgroup rw,memory\n"
    "31 24 0:27 / /sys/fs/cgroup/pids rw,nosuid shared:13 - cgroup cgroup rw,pids\n";
constexpr const char* kV1Cgroup =
    "12:pids:/user.slice/user-1000.slice/session-3.scope\n"
    "5:memory:/user.slice/user-1000.slice/session-3.scope\n"
    "4:cpuset:/\n"
    "3:cpu,cpuacct:/user.slice\n"
    "1:name=systemd:/user.slice/user-1000.slice/session-3.scope\n";

// This project's build machine: v1 controllers (cpu and cpuacct apart) plus a unified mount.
constexpr const char* kHybridMountinfo =
    "31 23 0:28 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
    "32 31 0:29 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
    "33 31 0:30 / /sys/fs/cgroup/cpuacct rw,relatime - cgroup cgroup rw,cpuacct\n"
    "34 31 0:31 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset\n"
    "35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
    "40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
    "41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";
constexpr const char* kHybridCgroup =
    "9:name=systemd:/\n4:memory:/process_api/c57c\n3:cpuset:/\n2:cpuacct:/\n1:cpu:/\n0::/\n";

TEST(CgroupLayout, PureV2PutsEveryOfferedControllerOnTheUnifiedMount) {
  auto layout =
      parse_cgroup_layout(kV2Mountinfo, kV2Cgroup, "cpuset cpu io memory hugetlb pids rdma misc\n");
  EXPECT_EQ(layout.mode(), "v2");
  for (const char* controller : {"cpu", "cpuset", "memory"}) {
    const auto* place = layout.find(controller);
    ASSERT_NE(place, nullptr) << controller;
    EXPECT_EQ(place->version, CgroupVersion::V2);
    EXPECT_EQ(place->own_dir,
              "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice/run-r1.scope");
  }
  EXPECT_EQ(layout.find("cpuacct"), nullptr);  // v1 only
  ASSERT_TRUE(layout.unified.has_value());
  EXPECT_EQ(layout.unified->mount_point, "/sys/fs/cgroup");
}

TEST(CgroupLayout, V2ControllersNotOfferedAtTheTopAreMissing) {
  auto layout = parse_cgroup_layout(kV2Mountinfo, kV2Cgroup, "memory pids\n");
  EXPECT_EQ(layout.find("cpu"), nullptr);
  EXPECT_EQ(layout.find("cpuset"), nullptr);
  ASSERT_NE(layout.find("memory"), nullptr);
}

TEST(CgroupLayout, PureV1FindsEachHierarchyAndOwnPath) {
  auto layout = parse_cgroup_layout(kV1Mountinfo, kV1Cgroup, "");
  EXPECT_EQ(layout.mode(), "v1");
  const auto* cpu = layout.find("cpu");
  const auto* cpuacct = layout.find("cpuacct");
  ASSERT_NE(cpu, nullptr);
  ASSERT_NE(cpuacct, nullptr);
  EXPECT_EQ(cpu->version, CgroupVersion::V1);
  EXPECT_EQ(cpu->mount_point, "/sys/fs/cgroup/cpu,cpuacct");
  EXPECT_EQ(cpu->own_dir, "/sys/fs/cgroup/cpu,cpuacct/user.slice");
  EXPECT_EQ(cpuacct->mount_point, cpu->mount_point);  // co-mounted: one hierarchy
  EXPECT_EQ(layout.find("cpuset")->own_dir, "/sys/fs/cgroup/cpuset");
  EXPECT_EQ(layout.find("memory")->own_dir,
            "/sys/fs/cgroup/memory/user.slice/user-1000.slice/session-3.scope");
  EXPECT_FALSE(layout.unified.has_value());
}

TEST(CgroupLayout, HybridPicksV1ForBoundControllersAndKeepsTheUnifiedMount) {
  // The unified mount offers nothing: every controller is bound to v1.
  auto layout = parse_cgroup_layout(kHybridMountinfo, kHybridCgroup, "hugetlb\n");
  EXPECT_EQ(layout.mode(), "hybrid");
  for (const char* controller : {"cpu", "cpuacct", "cpuset", "memory"}) {
    ASSERT_NE(layout.find(controller), nullptr) << controller;
    EXPECT_EQ(layout.find(controller)->version, CgroupVersion::V1) << controller;
  }
  EXPECT_EQ(layout.find("cpu")->mount_point, "/sys/fs/cgroup/cpu");
  EXPECT_EQ(layout.find("cpuacct")->mount_point, "/sys/fs/cgroup/cpuacct");
  EXPECT_EQ(layout.find("memory")->own_dir, "/sys/fs/cgroup/memory/process_api/c57c");
  ASSERT_TRUE(layout.unified.has_value());
  EXPECT_EQ(layout.unified->mount_point, "/sys/fs/cgroup/unified");
}

TEST(CgroupLayout, HybridWithAControllerMovedToV2) {
  // memory unbound from v1 (cgroup_no_v1=memory) and offered by the unified mount.
  std::string mountinfo = kHybridMountinfo;
  mountinfo.erase(mountinfo.find("35 31"), mountinfo.find("40 31") - mountinfo.find("35 31"));
  auto layout = parse_cgroup_layout(mountinfo, "4:cpu:/\n0::/bench\n", "memory\n");
  ASSERT_NE(layout.find("memory"), nullptr);
  EXPECT_EQ(layout.find("memory")->version, CgroupVersion::V2);
  EXPECT_EQ(layout.find("memory")->own_dir, "/sys/fs/cgroup/unified/bench");
  EXPECT_EQ(layout.find("cpu")->version, CgroupVersion::V1);
}

TEST(CgroupLayout, ContainerMountRootsAndEscapedMountPoints) {
  // Docker without a cgroup namespace: the mount's root is the container's
  // cgroup, which is also our path; a mount point with a space is escaped.
  const char* mountinfo =
      "700 690 0:30 /docker/abc /sys/fs/cgroup/my\\040cpu ro,nosuid - cgroup cgroup "
      "rw,cpu,cpuacct\n"
      "701 690 0:31 /docker/abc /sys/fs/cgroup/memory ro,nosuid - cgroup cgroup rw,memory\n";
  auto layout =
      parse_cgroup_layout(mountinfo, "3:cpu,cpuacct:/docker/abc\n2:memory:/docker/abc/sub\n", "");
  EXPECT_EQ(layout.find("cpu")->mount_point, "/sys/fs/cgroup/my cpu");
  EXPECT_EQ(layout.find("cpu")->own_dir, "/sys/fs/cgroup/my cpu");
  EXPECT_EQ(layout.find("memory")->own_dir, "/sys/fs/cgroup/memory/sub");
}

TEST(CgroupLayout, CgroupNamespaceSeesItselfAtTheTop) {
  const char* mountinfo = "800 790 0:40 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw,nsdelegate\n";
  auto layout = parse_cgroup_layout(mountinfo, "0::/\n", "cpu memory pids\n");
  EXPECT_EQ(layout.find("cpu")->own_dir, "/sys/fs/cgroup");
  EXPECT_EQ(layout.find("cpuset"), nullptr);
}

TEST(CgroupLayout, NoCgroupsAtAll) {
  auto layout = parse_cgroup_layout("22 1 0:21 / / rw - ext4 /dev/sda1 rw\n", "", "");
  EXPECT_EQ(layout.mode(), "none");
  EXPECT_TRUE(layout.controllers.empty());
}

TEST(CgroupLayout, DetectsThisHost) {
  auto layout = detect_cgroup_layout();
  ASSERT_TRUE(layout.ok()) << layout.error().message;
  for (const auto& [name, place] : layout->controllers) {
    EXPECT_EQ(place.own_dir.rfind(place.mount_point, 0), 0u) << name;
  }
}

}  // namespace
}  // namespace coldbench
