#include "load/load_request.hpp"

#include <algorithm>
#include <cctype>

namespace coldbench::load {
namespace {
bool is_token(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) {
    return std::isalnum(c) ||
           std::string_view("!#$%&'*+-.^_`|~").find(static_cast<char>(c)) != std::string_view::npos;
  });
}
bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}
}  // namespace

Expected<std::string> build_request(const RequestSpec& spec) {
  if (!is_token(spec.method))
    return make_error("--method '{}': give an HTTP method such as GET or POST", spec.method);
  std::string out =
      spec.method + " " + spec.url.path + " HTTP/1.1\r\nHost: " + spec.url.host_header + "\r\n";
  for (const auto& header : spec.headers) {
    const auto colon = header.find(':');
    const std::string name = header.substr(0, colon);
    if (colon == std::string::npos || !is_token(name) ||
        header.find_first_of("\r\n") != std::string::npos) {
      return make_error(
          "--header '{}': expected 'Name: value' on one line, e.g. --header 'X-Shape: 1,3,32,32'",
          header);
    }
    if (iequals(name, "content-length") || iequals(name, "host") ||
        iequals(name, "transfer-encoding")) {
      return make_error("--header '{}': coldbench sets {} itself; drop this header", header, name);
    }
    std::string value = header.substr(colon + 1);
    value.erase(0, value.find_first_not_of(" \t"));
    out += name + ": " + value + "\r\n";
  }
  if (!spec.body.empty() || spec.method == "POST" || spec.method == "PUT") {
    out += "Content-Length: " + std::to_string(spec.body.size()) + "\r\n";
  }
  out += "\r\n";
  out += spec.body;
  return out;
}

}  // namespace coldbench::load
