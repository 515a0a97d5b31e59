#include "bench/command_hooks.hpp"

namespace coldbench::bench {

std::string_view hook_flag(HookStage stage) {
  switch (stage) {
    case HookStage::Setup:
      return "--setup";
    case HookStage::Prepare:
      return "--prepare";
    case HookStage::Conclude:
      return "--conclude";
    case HookStage::Cleanup:
      return "--cleanup";
  }
  return "--hook";
}

const std::optional<HookCommand>& CommandHooks::at(HookStage stage) const {
  switch (stage) {
    case HookStage::Setup:
      return setup;
    case HookStage::Prepare:
      return prepare;
    case HookStage::Conclude:
      return conclude;
    case HookStage::Cleanup:
      break;
  }
  return cleanup;
}

}  // namespace coldbench::bench
