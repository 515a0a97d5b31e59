#include "load/target_url.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

namespace coldbench::load {

Expected<TargetUrl> parse_target_url(std::string_view text) {
  constexpr std::string_view scheme = "http://";
  const std::string shown(text);
  if (text.substr(0, 8) == "https://") {
    return make_error(
        "--url '{}': https is not supported; load a plain http:// endpoint (serve speaks http)",
        shown);
  }
  if (text.substr(0, scheme.size()) != scheme) {
    return make_error(
        "--url '{}': expected http://HOST:PORT/PATH, e.g. http://127.0.0.1:8080/healthz", shown);
  }
  std::string_view rest = text.substr(scheme.size());
  const auto slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  TargetUrl url;
  url.path = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
  if (authority.empty())
    return make_error("--url '{}': no host; e.g. http://127.0.0.1:8080/", shown);
  if (authority.find('@') != std::string_view::npos) {
    return make_error(
        "--url '{}': credentials in the URL are not supported; pass --header 'Authorization: ...'",
        shown);
  }
  std::string_view port_text;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos)
      return make_error("--url '{}': unclosed '[' in the IPv6 host", shown);
    url.host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':')
        return make_error("--url '{}': expected ':PORT' after the IPv6 host", shown);
      port_text = after.substr(1);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (url.host.empty())
    return make_error("--url '{}': no host; e.g. http://127.0.0.1:8080/", shown);
  if (!port_text.empty() || authority.back() == ':') {
    unsigned port = 0;
    const auto [end, ec] =
        std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 ||
        port > 65535) {
      return make_error("--url '{}': the port must be 1 to 65535", shown);
    }
    url.port = static_cast<uint16_t>(port);
  }
  url.host_header = std::string(authority);
  return url;
}

Expected<ResolvedAddress> resolve_target(const TargetUrl& url, bool allow_remote) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string port = std::to_string(url.port);
  if (int rc = getaddrinfo(url.host.c_str(), port.c_str(), &hints, &found); rc != 0 || !found) {
    return make_error("--url: cannot resolve host '{}': {}", url.host, gai_strerror(rc));
  }
  // IPv4 first: "localhost" often resolves to ::1 first, and servers such as serve listen on
  // 127.0.0.1 only.
  const addrinfo* chosen = found;
  for (const addrinfo* a = found; a; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      chosen = a;
      break;
    }
  }
  ResolvedAddress out;
  std::memcpy(&out.address, chosen->ai_addr, chosen->ai_addrlen);
  out.length = chosen->ai_addrlen;
  freeaddrinfo(found);
  char buffer[INET6_ADDRSTRLEN] = {};
  if (out.address.ss_family == AF_INET) {
    const auto* v4 = reinterpret_cast<const sockaddr_in*>(&out.address);
    out.loopback = (ntohl(v4->sin_addr.s_addr) >> 24) == 127;
    inet_ntop(AF_INET, &v4->sin_addr, buffer, sizeof buffer);
  } else {
    const auto* v6 = reinterpret_cast<const sockaddr_in6*>(&out.address);
    out.loopback = IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr);
    inet_ntop(AF_INET6, &v6->sin6_addr, buffer, sizeof buffer);
  }
  out.text = buffer;
  if (!out.loopback && !allow_remote) {
    return make_error(
        "--url: host '{}' ({}) is not this machine's loopback; load goes to 127.0.0.1 unless you "
        "add "
        "--allow-remote (only for a server you own)",
        url.host, out.text);
  }
  return out;
}

}  // namespace coldbench::load
