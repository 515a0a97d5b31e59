#pragma once
// Errors travel as values (LLVM's Expected<T> style) until the CLI turns them
// into a message and an exit code. Library code never prints or exits.

#include <cassert>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include <fmt/format.h>

namespace coldbench {

// Exit codes used at the CLI edge; library errors carry the one they imply.
enum ExitCode : int {
  kExitOk = 0,
  kExitFailedRuns = 1,  // a run failed, or a regression was detected
  kExitUsage = 2,       // bad input, bad usage, or something we cannot start
  kExitInconclusive = 3,  // compare: no regression shown, but not every quantity decided
  kExitInterrupted = 130,
};

struct Error {
  std::string message;
  int exit_code = kExitUsage;

  // The same error with `context` in front ("--memory 2M: ..."): what went
  // wrong, and so its exit code, stays (anyhow's .context(), LLVM's joinErrors).
  Error with_context(std::string_view context) const& {
    return Error{fmt::format("{}: {}", context, message), exit_code};
  }
};

template <class... Args>
Error make_error(fmt::format_string<Args...> format, Args&&... args) {
  return Error{fmt::format(format, std::forward<Args>(args)...), kExitUsage};
}

template <class T>
class [[nodiscard]] Expected {
 public:
  Expected(T value) : state_(std::move(value)) {}          // NOLINT: implicit by design
  Expected(Error error) : state_(std::move(error)) {}      // NOLINT

  bool ok() const { return std::holds_alternative<T>(state_); }
  explicit operator bool() const { return ok(); }

  T& value() & { assert(ok()); return std::get<T>(state_); }
  const T& value() const& { assert(ok()); return std::get<T>(state_); }
  T&& value() && { assert(ok()); return std::get<T>(std::move(state_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const { assert(!ok()); return std::get<Error>(state_); }

 private:
  std::variant<T, Error> state_;
};

template <>
class [[nodiscard]] Expected<void> {
 public:
  Expected() = default;
  Expected(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT

  bool ok() const { return !failed_; }
  explicit operator bool() const { return ok(); }
  const Error& error() const { assert(failed_); return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

}  // namespace coldbench
