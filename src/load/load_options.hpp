#pragma once
// `coldbench load`'s options as typed, checked into a plan. Every bad input is
// one error that names the option and the fix (exit 2); the CLI only parses
// and calls these, so the checks are unit-tested without a server.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "core/expected.hpp"
#include "load/load_engine.hpp"
#include "load/peak_search.hpp"
#include "load/slo.hpp"

namespace coldbench::load {

struct LoadArguments {
  std::string url;
  std::string method;
  std::string body_file;
  std::vector<std::string> headers;
  std::string arrival = "poisson";
  std::optional<double> rate;
  std::string duration;
  std::optional<int64_t> requests;
  int connections = 8;
  std::string timeout = "10s";
  double warmup_s = 0;
  bool closed_loop = false;
  uint64_t seed = 1;
  std::string slice = "1s";
  std::string name = "load";
  bool allow_remote = false;
  std::string ready_url;
  std::string ready_timeout = "120s";
  std::string server_log = "load-server.log";
  std::string json, csv, db;
  bool no_progress = false;
  // The A/B verdict's policy (--threshold, --alpha; docs/statistics.md).
  std::string threshold;
  std::optional<double> alpha;
  std::string correction;
  // --find-peak: steps of --duration at rates from --rate on (load/peak_search.hpp)
  bool find_peak = false;
  std::string slo;
  double peak_tolerance = 0.05;
  int peak_max_steps = 12;
  std::vector<std::string> server_command;  // after --
};

struct LoadSessionPlan {
  LoadPlan engine;  // address and request filled by resolve_load_target
  int64_t slice_ns = 1'000'000'000;
  int planned_slices = 0;
  double ready_timeout_s = 120;
  std::string mode_text;  // "open loop, poisson 100/s" or "closed loop, 8 connections"
  std::optional<Slo> slo;              // with --find-peak
  std::optional<PeakSearchRule> peak;  // with --find-peak; engine.rate is the start
};

// Checks everything that needs no network: rates, bounds, durations, URL form.
Expected<LoadSessionPlan> validate_load_arguments(const LoadArguments& args);

struct LoadTarget {
  ResolvedAddress address;
  std::string request;   // the bytes sent for every arrival
  std::string url_text;  // the full URL loaded
};

// The URL (a path is resolved against `origin`, a started server's
// "http://HOST:PORT"), its address (loopback unless --allow-remote) and the request.
Expected<LoadTarget> resolve_load_target(const LoadArguments& args, const std::string& origin);

nlohmann::json options_json(const LoadArguments& args, const LoadSessionPlan& plan,
                            const std::string& url_text);

}  // namespace coldbench::load
