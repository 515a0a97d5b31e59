#include "core/output_file.hpp"

#include <fcntl.h>
#include <sys/random.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

namespace coldbench {
namespace {

// 64 random bits in hex: a name another user cannot guess and plant first.
std::string random_suffix() {
  unsigned char bytes[8] = {};
  std::size_t got = 0;
  while (got < sizeof bytes) {
    ssize_t n = getrandom(bytes + got, sizeof bytes - got, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // ENOSYS on very old kernels: O_EXCL still refuses a planted name
    got += static_cast<std::size_t>(n);
  }
  static const char digits[] = "0123456789abcdef";
  std::string text;
  for (unsigned char b : bytes) {
    text += digits[b >> 4];
    text += digits[b & 15];
  }
  return text;
}

Expected<void> write_all(int fd, std::string_view content, const std::string& path) {
  const char* data = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, data, left);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error("cannot write '{}': {}", path, std::strerror(errno));
    data += n;
    left -= static_cast<std::size_t>(n);
  }
  return {};
}

}  // namespace

Expected<Fd> replace_file(const std::string& path, std::string_view content) {
  if (path.empty() || path.back() == '/')
    return make_error("cannot write '{}': not a file name", path);
  std::string temp;
  Fd fd;
  // A collision with an existing name (planted or not) just means another name.
  for (int attempt = 0; attempt < 16 && !fd; ++attempt) {
    temp = path + ".tmp-" + random_suffix();
    fd.reset(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644));
    if (!fd && errno != EEXIST) break;
  }
  if (!fd) return make_error("cannot write '{}': {}", path, std::strerror(errno));
  auto written = write_all(fd.get(), content, path);
  if (!written) {
    ::unlink(temp.c_str());
    return written.error();
  }
  if (std::rename(temp.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temp.c_str());
    return make_error("cannot write '{}': {}", path, std::strerror(error));
  }
  return fd;
}

Expected<void> write_file_atomically(const std::string& path, std::string_view content) {
  auto file = replace_file(path, content);
  if (!file) return file.error();
  return {};
}

}  // namespace coldbench
