#include "load/server_process.hpp"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "core/clock.hpp"
#include "core/fd.hpp"
#include "load/http_response_parser.hpp"
#include "proc/spawn.hpp"

namespace coldbench::load {

Expected<ServerProcess> ServerProcess::start(const std::vector<std::string>& argv,
                                             const std::string& log_path) {
  if (argv.empty()) return make_error("no server command after --");
  Fd log(open(log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
  if (!log)
    return make_error("--server-log '{}': {}; give a writable path", log_path,
                      std::strerror(errno));
  std::vector<char*> args;
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  Pipe exec_status;  // close-on-exec: EOF means exec worked, 4 bytes are its errno
  if (!exec_status.open()) return make_error("pipe: {}", std::strerror(errno));
  const pid_t pid = fork();
  if (pid < 0) return make_error("fork: {}", std::strerror(errno));
  if (pid == 0) {
    proc::reset_child_signals();  // own process group, so stop() reaches its children too
    int null = open("/dev/null", O_RDONLY);
    dup2(null, 0);
    dup2(log.get(), 1);
    dup2(log.get(), 2);
    execvp(args[0], args.data());
    int saved = errno;
    (void)!write(exec_status.write_end.get(), &saved, sizeof saved);
    _exit(127);
  }
  exec_status.write_end.reset();
  int child_errno = 0;
  if (read(exec_status.read_end.get(), &child_errno, sizeof child_errno) == sizeof child_errno) {
    waitpid(pid, nullptr, 0);
    return make_error("cannot start server '{}': {}", argv[0], std::strerror(child_errno));
  }
  return ServerProcess(pid, log_path);
}

ServerProcess::ServerProcess(ServerProcess&& other) noexcept
    : pid_(std::exchange(other.pid_, -1)), log_path_(std::move(other.log_path_)) {}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) stop(2);
}

bool ServerProcess::exited(std::string& how) {
  int status = 0;
  if (waitpid(pid_, &status, WNOHANG) != pid_) return false;
  how = WIFEXITED(status) ? "exit " + std::to_string(WEXITSTATUS(status))
                          : "signal " + std::to_string(WTERMSIG(status));
  pid_ = -1;
  return true;
}

std::string ServerProcess::log_tail() const {
  std::ifstream in(log_path_);
  std::string line, text;
  std::vector<std::string> lines;
  while (std::getline(in, line)) lines.push_back(line);
  for (std::size_t i = lines.size() > 5 ? lines.size() - 5 : 0; i < lines.size(); ++i)
    text += "\n  " + lines[i];
  return text.empty() ? " (no output)" : text;
}

Expected<std::string> ServerProcess::wait_ready(const std::string& ready_url, double timeout_s) {
  const int64_t deadline = monotonic_ns() + static_cast<int64_t>(timeout_s * 1e9);
  std::optional<TargetUrl> probe;
  std::optional<ResolvedAddress> address;
  if (!ready_url.empty()) {
    auto url = parse_target_url(ready_url);
    if (!url) return url.error().with_context("--ready-url");
    auto resolved = resolve_target(*url, false);
    if (!resolved) return resolved.error().with_context("--ready-url");
    probe = *url;
    address = *resolved;
  }
  while (monotonic_ns() < deadline) {
    if (proc::interrupt_requested())
      return Error{"interrupted while waiting for the server", kExitInterrupted};
    if (probe) {
      const int status = probe_status(*probe, *address, 1.0);
      if (status >= 200 && status < 300) return "http://" + probe->host_header;
    } else {
      std::ifstream in(log_path_);
      std::string line;
      while (std::getline(in, line)) {
        const auto at = line.find("ready http://");
        if (at == std::string::npos) continue;
        std::string origin = line.substr(at + 6);
        origin = origin.substr(0, origin.find_first_of(" \t\r/", 7));
        return origin;
      }
    }
    std::string how;
    if (exited(how)) {
      return make_error("the server exited ({}) before it was ready; its log {}:{}", how, log_path_,
                        log_tail());
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return make_error(
      "the server was not ready within {:g} s (no {}); raise --ready-timeout, or check its log "
      "{}:{}",
      timeout_s, ready_url.empty() ? "'ready http://HOST:PORT' line" : "2xx from " + ready_url,
      log_path_, log_tail());
}

std::string ServerProcess::stop(double grace_s) {
  if (pid_ <= 0) return "already exited";
  std::string how;
  if (exited(how)) return how;
  kill(-pid_, SIGTERM);
  const int64_t deadline = monotonic_ns() + static_cast<int64_t>(grace_s * 1e9);
  while (monotonic_ns() < deadline) {
    if (exited(how)) return how;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(-pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return "killed after " + std::to_string(static_cast<int>(grace_s)) + " s";
}

int probe_status(const TargetUrl& url, const ResolvedAddress& address, double timeout_s) {
  Fd fd(socket(address.address.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd) return 0;
  timeval tv{static_cast<time_t>(timeout_s),
             static_cast<suseconds_t>((timeout_s - static_cast<int>(timeout_s)) * 1e6)};
  setsockopt(fd.get(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  setsockopt(fd.get(), SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (connect(fd.get(), reinterpret_cast<const sockaddr*>(&address.address), address.length) != 0)
    return 0;
  const std::string request =
      "GET " + url.path + " HTTP/1.1\r\nHost: " + url.host_header + "\r\nConnection: close\r\n\r\n";
  if (send(fd.get(), request.data(), request.size(), MSG_NOSIGNAL) !=
      static_cast<ssize_t>(request.size()))
    return 0;
  HttpResponseParser parser;
  char buffer[4096];
  while (true) {
    ssize_t n = recv(fd.get(), buffer, sizeof buffer, 0);
    if (n < 0 && errno == EINTR) continue;
    auto state = n > 0 ? parser.feed(std::string_view(buffer, static_cast<std::size_t>(n)))
                       : parser.finish_on_close();
    if (state == HttpResponseParser::State::Complete) return parser.status();
    if (state == HttpResponseParser::State::Error || n <= 0) return 0;
  }
}

}  // namespace coldbench::load
