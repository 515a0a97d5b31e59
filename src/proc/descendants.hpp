#pragma once
// What a run leaves behind, found and ended. The harness is a child subreaper
// (PR_SET_CHILD_SUBREAPER): a run's orphaned descendants, such as a
// `setsid server &` whose parent exited, become the harness's children
// instead of init's, so it can end them when the run ends. The same process
// table reading serves the watchdog (proc/watchdog.hpp) when the harness died.

#include <sys/types.h>

#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace coldbench::proc {

// Makes this process a child subreaper (idempotent, unprivileged).
void become_subreaper();

// This process's children (those of every thread), zombies included.
std::vector<pid_t> child_pids();

// Kills (SIGKILL) and reaps every child not in `keep`, then the children those
// leave to us, until none is left. Returns how many processes it ended.
int end_children_except(const std::vector<pid_t>& keep);

// Reaps every child not in `keep` as it exits on its own (and the children
// those leave to us), for up to `grace_s` seconds; then ends what is left as
// end_children_except does. For processes that are not the workload's and
// have work to finish, such as a container engine's monitor (conmon)
// cleaning up after its container. Returns how many had to be killed.
int wait_for_children_except(const std::vector<pid_t>& keep, double grace_s);

// One process as /proc/PID/stat shows it.
struct ProcessEntry {
  pid_t pid = 0;
  pid_t ppid = 0;
  pid_t pgid = 0;
  char state = '?';  // 'Z': a zombie, already dead
};

// Parses the text of /proc/PID/stat ("pid (comm) state ppid pgrp ...").
bool parse_proc_stat(std::string_view text, ProcessEntry& entry);
std::vector<ProcessEntry> read_process_table();

// Whether /proc/PID/environ holds exactly `entry` ("NAME=VALUE"); false when
// it cannot be read (another user's process).
bool environ_has(pid_t pid, std::string_view entry);

// The live processes of a run in `table`: the members of process group
// `pgid`, those `tagged` says carry the run's environment tag, and every
// descendant of those (by parent pid). Zombies are left out: they are dead.
std::vector<pid_t> run_processes(const std::vector<ProcessEntry>& table, pid_t pgid,
                                 const std::function<bool(pid_t)>& tagged);

}  // namespace coldbench::proc
