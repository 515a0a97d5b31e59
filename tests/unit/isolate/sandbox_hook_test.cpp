// Runs real processes in the sandbox the way runs start them
// (proc::spawn_and_wait, i.e. proc::ChildProcess). Needs the
// right to create namespaces (root, or unprivileged user namespaces); skips
// with the reason otherwise.

#include "isolate/sandbox_hook.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>

extern char** environ;

namespace coldbench::isolate {
namespace {

class Collect : public proc::OutputObserver {
 public:
  void on_marker_line(std::string_view, int64_t) override {}
  bool on_output_line(proc::Stream stream, std::string_view line, int64_t) override {
    (stream == proc::Stream::Stdout ? out : err).emplace_back(line);
    return true;
  }
  std::vector<std::string> out, err;
};

class SandboxRunTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto hook = SandboxHook::create({});
    if (!hook) GTEST_SKIP() << "sandbox not permitted here: " << hook.error().message;
    hook_ = std::move(hook).value();
  }

  // Runs `script` with /bin/sh in the sandbox; returns its stdout lines.
  std::vector<std::string> run_script(const std::string& script, RunRecord& record) {
    proc::SpawnRequest request;
    request.program = "/bin/sh";
    request.argv = {"sh", "-c", script};
    for (char** e = environ; *e; ++e) request.env.emplace_back(*e);
    request.marker_pipe = false;
    request.timeout_s = 30;
    request.cwd = "/";  // so that nothing under /tmp is kept, wherever the tests run from
    auto ready = hook_->before_spawn(CommandSpec{}, request, record);
    EXPECT_TRUE(ready) << ready.error().message;
    Collect output;
    auto result = proc::spawn_and_wait(request, output);
    EXPECT_TRUE(result) << result.error().message;
    if (!result) return {};
    EXPECT_TRUE(hook_->after_run(bench::RunEnd::reaped(*result), record).ok());
    EXPECT_TRUE(WIFEXITED(result->wait_status) && WEXITSTATUS(result->wait_status) == 0)
        << "status " << result->wait_status
        << "; stderr: " << (output.err.empty() ? "" : output.err[0]);
    return output.out;
  }

  std::unique_ptr<SandboxHook> hook_;
};

TEST_F(SandboxRunTest, FreshNamespacesAndDirectoriesEveryRun) {
  // The host's /tmp is not empty (this marker at least); the sandbox's is.
  std::string host_marker = "/tmp/cb-sandbox-host-marker-" + std::to_string(getpid());
  std::ofstream(host_marker) << "host";
  std::string leak = "/tmp/cb-sandbox-leak-" + std::to_string(getpid());
  const std::string script =
      "echo pid=$$; echo host=$(hostname); echo tmp=$(ls -A /tmp | wc -l); echo home=$HOME; "
      "echo homefiles=$(ls -A \"$HOME\" | wc -l); echo procs=$(ls -d /proc/[0-9]* | wc -l); "
      "mkdir -p \"$HOME/.cache\" && touch \"$HOME/.cache/x\" " +
      leak;
  for (int run = 0; run < 2; ++run) {
    RunRecord record;
    auto lines = run_script(script, record);
    ASSERT_EQ(lines.size(), 6u) << "run " << run;
    EXPECT_EQ(lines[0], "pid=1");
    EXPECT_EQ(lines[1], std::string("host=") + kSandboxHostname);
    EXPECT_EQ(lines[2], "tmp=0") << "run " << run;
    EXPECT_EQ(lines[3], "home=" + hook_->plan().home);
    EXPECT_EQ(lines[4], "homefiles=0") << "run " << run;
    // The shell and `ls` (and the command substitution's subshell): only this run's processes.
    EXPECT_NE(lines[5], "procs=0");
    EXPECT_LE(std::stoi(lines[5].substr(6)), 4) << lines[5];
    EXPECT_EQ(record.isolation, "sandbox");
  }
  // Nothing leaked to the host: the HOME mountpoint stayed empty, the file in /tmp exists only
  // inside.
  EXPECT_NE(access(leak.c_str(), F_OK), 0);
  EXPECT_NE(access((hook_->plan().home + "/.cache").c_str(), F_OK), 0);
  unlink(host_marker.c_str());
}

TEST_F(SandboxRunTest, MountNamespaceIsHeldUntilAfterTheReap) {
  proc::SpawnRequest request;
  request.program = "/bin/true";
  request.argv = {"true"};
  request.marker_pipe = false;
  RunRecord record;
  ASSERT_TRUE(hook_->before_spawn(CommandSpec{}, request, record));
  Collect output;
  auto result = proc::spawn_and_wait(request, output);
  ASSERT_TRUE(result) << result.error().message;
  // Reaped, yet its namespace is still held: the teardown is outside the run's wall time.
  EXPECT_TRUE(hook_->keeper().holding());
  EXPECT_TRUE(hook_->after_run(bench::RunEnd::reaped(*result), record).ok());
  EXPECT_FALSE(hook_->keeper().holding());
}

// Audit item 13: as root, the workload kept every capability: it could
// `umount -l /tmp` to see the host's /tmp again, write sysctls, and remount.
TEST_F(SandboxRunTest, WorkloadHasNoCapabilitiesAndCannotUndoTheSandbox) {
  RunRecord record;
  // Writes the value a sysctl already has (harmless if it were allowed).
  auto lines = run_script(
      "grep -E '^(CapInh|CapPrm|CapEff|CapBnd|CapAmb|NoNewPrivs):' /proc/self/status | tr -d "
      "'\\t'; "
      "umount -l /tmp 2>/dev/null; echo umount=$?; echo tmp=$(ls -A /tmp | wc -l); "
      "v=$(cat /proc/sys/vm/swappiness); (echo $v > /proc/sys/vm/swappiness) 2>/dev/null; "
      "echo sysctl=$?; mount -t tmpfs none \"$HOME\" 2>/dev/null; echo mount=$?",
      record);
  ASSERT_EQ(lines.size(), 10u);
  for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
    EXPECT_NE(std::find(lines.begin(), lines.end(), std::string(set) + ":0000000000000000"),
              lines.end())
        << set << " is not empty";
  EXPECT_EQ(lines[5], "NoNewPrivs:1");
  EXPECT_NE(lines[6], "umount=0");
  EXPECT_EQ(lines[7], "tmp=0");
  EXPECT_NE(lines[8], "sysctl=0");
  EXPECT_NE(lines[9], "mount=0");
}

// A directory under /tmp, removed at the end of the test.
class TmpDir {
 public:
  TmpDir() {
    char name[] = "/tmp/cb-sandbox-keep-XXXXXX";
    path = mkdtemp(name) ? name : "";
  }
  ~TmpDir() { std::filesystem::remove_all(path); }
  std::string path;
};

TEST_F(SandboxRunTest, WhatTheWorkloadLivesInUnderTmpStaysVisible) {
  TmpDir dir;
  ASSERT_FALSE(dir.path.empty());
  std::string script = dir.path + "/probe.sh";
  std::ofstream(script) << "echo tmp=$(ls -A /tmp); echo mine=$(cat " << dir.path << "/data)\n";
  std::ofstream(dir.path + "/data") << "kept";
  std::string program = dir.path + "/sh";
  std::filesystem::copy_file("/bin/sh", program);

  proc::SpawnRequest request;
  request.program = program;
  request.argv = {"sh", script};
  for (char** e = environ; *e; ++e) request.env.emplace_back(*e);
  request.marker_pipe = false;
  request.timeout_s = 30;
  request.cwd = "/";
  RunRecord record;
  auto ready = hook_->before_spawn(CommandSpec{}, request, record);
  ASSERT_TRUE(ready) << ready.error().message;
  EXPECT_EQ(hook_->plan().kept_entries, std::vector<std::string>{dir.path});
  Collect output;
  auto result = proc::spawn_and_wait(request, output);
  ASSERT_TRUE(result) << result.error().message;
  EXPECT_TRUE(hook_->after_run(bench::RunEnd::reaped(*result), record).ok());
  ASSERT_EQ(output.out.size(), 2u) << (output.err.empty() ? "" : output.err[0]);
  // Only the workload's own entry of /tmp is there, with its contents.
  EXPECT_EQ(output.out[0], "tmp=" + dir.path.substr(5));
  EXPECT_EQ(output.out[1], "mine=kept");
}

TEST(SandboxKeepTest, EntriesOfTheProgramCwdAndArgumentsUnderTmp) {
  TmpDir dir, other, cwd;
  ASSERT_FALSE(dir.path.empty() || other.path.empty() || cwd.path.empty());
  std::ofstream(dir.path + "/prog") << "";
  std::filesystem::create_directories(other.path + "/models");
  std::ofstream(other.path + "/models/m.pt") << "";
  std::string link = dir.path + "-link";
  ASSERT_EQ(symlink(other.path.c_str(), link.c_str()), 0);

  proc::SpawnRequest request;
  request.program = dir.path + "/prog";
  request.argv = {"prog", "--model=" + link + "/models/m.pt", "/usr/bin", "/tmp/cb-no-such-path",
                  "relative/path", "--json", "/tmp/out-not-there-yet.json"};
  request.cwd = "/";
  // The program's entry; the argument's entry as written (the link) and as resolved.
  EXPECT_EQ(entries_to_keep(request, "/"),
            (std::vector<std::string>{dir.path, link, other.path}));

  proc::SpawnRequest plain;
  plain.program = "/bin/true";
  plain.argv = {"true"};
  EXPECT_EQ(entries_to_keep(plain, cwd.path + "/"), std::vector<std::string>{cwd.path})
      << "the harness's own directory, where a run without --cwd starts";
  plain.cwd = "/var";
  EXPECT_TRUE(entries_to_keep(plain, cwd.path).empty());
  plain.cwd = "/tmp";
  EXPECT_TRUE(entries_to_keep(plain, "/").empty()) << "/tmp itself is never kept";
  unlink(link.c_str());
}

}  // namespace
}  // namespace coldbench::isolate
