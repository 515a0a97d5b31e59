#pragma once
// The messages between the harness and its spawner (proc/spawner.hpp), on a
// stream socket. Request: this header with the child's fds attached
// (SCM_RIGHTS: devnull, stdout, stderr, report, then the marker pipe if any),
// then `payload` bytes of NUL-terminated strings: program, cwd, argv..., env....
// Reply: SpawnerReply once the child has exec'd or died.

#include <sys/types.h>

#include <cstdint>

namespace coldbench::proc {

inline constexpr uint32_t kSpawnerMagic = 0x63627370;  // "cbsp"
inline constexpr int kSpawnerSocketFd = 3;             // where the spawner finds its socket
inline constexpr int kSpawnerMaxFds = 5;

struct SpawnerRequest {
  uint32_t magic = kSpawnerMagic;
  uint32_t payload = 0;  // bytes of strings that follow
  uint32_t argc = 0;
  uint32_t envc = 0;
  uint32_t fds = 0;  // 4, or 5 with a marker pipe
};

struct SpawnerReply {
  int32_t pid = -1;   // the workload, a child of the harness (CLONE_PARENT); -1: clone failed
  int32_t error = 0;  // errno of the failed clone
};

}  // namespace coldbench::proc
