#pragma once
// The URL traffic goes to: http://HOST[:PORT][/PATH], resolved once. Loopback
// only unless the user says otherwise (docs/load.md): a load generator aimed at
// someone else's machine by a typo is a denial of service.

#include <sys/socket.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/expected.hpp"

namespace coldbench::load {

struct TargetUrl {
  std::string host;  // as written (brackets stripped from an IPv6 literal)
  uint16_t port = 80;
  std::string path = "/";   // with the query, if any
  std::string host_header;  // HOST[:PORT] as the Host header carries it
};

// http:// only (no https); a path-only text ("/v1/...") is an error here (the
// CLI resolves it against a started server's address first).
Expected<TargetUrl> parse_target_url(std::string_view text);

struct ResolvedAddress {
  sockaddr_storage address{};
  socklen_t length = 0;
  bool loopback = false;  // 127.0.0.0/8 or ::1
  std::string text;       // numeric form, for messages
};

// getaddrinfo's first address for the host; with `allow_remote` false a
// non-loopback address is refused with the fix (--allow-remote).
Expected<ResolvedAddress> resolve_target(const TargetUrl& url, bool allow_remote);

}  // namespace coldbench::load
