#pragma once
// The one request a load session repeats, built once as bytes: method, path,
// Host, the user's headers, Content-Length and the body.

#include <string>
#include <vector>

#include "core/expected.hpp"
#include "load/target_url.hpp"

namespace coldbench::load {

struct RequestSpec {
  std::string method = "GET";
  TargetUrl url;
  std::vector<std::string> headers;  // "Name: value", as given to --header
  std::string body;
};

// Bad method or header text is an error that names the fix.
Expected<std::string> build_request(const RequestSpec& spec);

}  // namespace coldbench::load
