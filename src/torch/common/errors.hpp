#pragma once
// LibTorch's exception texts are long: a C++ backtrace ("Exception raised
// from ...") and, from the TorchScript interpreter, two tracebacks before the
// actual error. Users get the one line that says what went wrong.

#include <string>
#include <string_view>

namespace coldbench::workload {

// The essential message of a c10::Error / TorchScript error text.
std::string short_torch_message(std::string_view what);

}  // namespace coldbench::workload
