// `coldbench load`: open-loop HTTP traffic at a chosen rate (or closed-loop
// saturation) against a URL or a server it starts, with latency counted from
// each request's intended send time (docs/load.md).

#include <fmt/format.h>
#include <unistd.h>

#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "cli/commands.hpp"
#include "core/clock.hpp"
#include "core/host.hpp"
#include "core/json_text.hpp"
#include "core/output_file.hpp"
#include "core/record_json.hpp"
#include "core/terminal_text.hpp"
#include "core/units.hpp"
#include "load/ab_summary.hpp"
#include "load/load_options.hpp"
#include "load/load_slices.hpp"
#include "load/load_summary.hpp"
#include "load/request_csv.hpp"
#include "load/server_process.hpp"
#include "proc/spawn.hpp"
#include "report/load_text.hpp"
#include "store/history.hpp"
#include "sweep/git_revision.hpp"

namespace coldbench::cli {
namespace {

// Appends slices to the history on a thread of its own: a transaction is an
// fsync (synchronous=FULL), and the send loop must not stall for it (a stall
// there would be in the very latencies it measures).
class HistoryWriter {
 public:
  HistoryWriter(store::History& history, int64_t session_id)
      : history_(history), session_id_(session_id) {
    thread_ = std::thread([this] { loop(); });
  }
  ~HistoryWriter() { close(); }
  void append(RunRecord run) {
    std::lock_guard lock(mutex_);
    queue_.push_back(std::move(run));
    wake_.notify_one();
  }
  // Waits for every queued slice; the first error, if any.
  std::optional<Error> close() {
    {
      std::lock_guard lock(mutex_);
      closing_ = true;
      wake_.notify_one();
    }
    if (thread_.joinable()) thread_.join();
    return failure_;
  }
  bool failed() {
    std::lock_guard lock(mutex_);
    return failure_.has_value();
  }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (true) {
      wake_.wait(lock, [this] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;
      RunRecord run = std::move(queue_.front());
      queue_.pop_front();
      lock.unlock();
      auto appended = failure_ ? Expected<void>{} : history_.append_run(session_id_, run);
      lock.lock();
      if (!appended && !failure_) failure_ = appended.error();
    }
  }

  store::History& history_;
  int64_t session_id_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<RunRecord> queue_;
  bool closing_ = false;
  std::optional<Error> failure_;
  std::thread thread_;
};

// Everything a session writes as it measures: the CSV rows, the history's
// slices, the progress line. The first write error stops the session.
class SessionObserver : public load::LoadObserver {
 public:
  SessionObserver(std::string command, int64_t slice_ns, std::optional<load::RequestCsv>& csv,
                  HistoryWriter* history, report::LoadProgress* progress)
      : csv_(csv),
        history_(history),
        progress_(progress),
        command_(std::move(command)),
        slice_ns_(slice_ns) {}

  void on_start(int64_t start_ns, int64_t measure_start_ns) override {
    slices_.emplace(command_, start_ns, measure_start_ns, slice_ns_,
                    [this](RunRecord run) { on_slice(std::move(run)); });
    if (csv_) csv_->set_origin(start_ns);
  }

  void on_request(const load::RequestRecord& record) override {
    records.push_back(record);
    if (csv_) csv_->add(record);
    if (progress_) progress_->add(record);
    if (slices_) slices_->add(record);
  }

  void on_tick(const load::LoadTick& tick) override {
    if (!slices_) return;
    slices_->settle(tick.settled_before_ns);
    if (progress_) progress_->tick(tick.now_ns);
    if (csv_ && tick.now_ns - last_flush_ns_ > 500'000'000) {
      if (auto flushed = csv_->flush(); !flushed && !failure) failure = flushed.error();
      last_flush_ns_ = tick.now_ns;
    }
  }

  bool failed() { return failure.has_value() || (history_ && history_->failed()); }

  // A peak search runs one engine session per step: the records start again,
  // and the step's slices say which step and rate they belong to.
  void begin_step(int step, double rate) {
    records.clear();
    step_ = step;
    step_rate_ = rate;
    if (progress_) progress_->reset();
  }
  // The step's last slices (every request of the step has finished).
  void end_step(bool interrupted) {
    if (slices_) slices_->flush(interrupted);
    slices_.reset();
  }

  void finish(bool interrupted) {
    if (slices_) slices_->flush(interrupted);
    if (history_) {
      if (auto error = history_->close(); error && !failure) failure = error;
    }
    if (csv_) {
      if (auto flushed = csv_->flush(); !flushed && !failure) failure = flushed.error();
    }
    if (progress_) progress_->finish();
  }

  std::vector<load::RequestRecord> records;
  std::vector<RunRecord> runs;
  std::optional<Error> failure;

 private:
  void on_slice(RunRecord run) {
    // Numbered across the steps of a peak search (each step's recorder starts at 0).
    run.index = run.warmup ? warmup_runs_++ : measured_runs_++;
    run.sequence = sequence_++;
    if (step_ > 0) {
      run.info["load.step"] = step_;
      run.info["load.step_rate"] = step_rate_;
    }
    if (history_) history_->append(run);
    runs.push_back(std::move(run));
  }

  std::optional<load::RequestCsv>& csv_;
  HistoryWriter* history_;
  report::LoadProgress* progress_;
  std::optional<load::SliceRecorder> slices_;
  std::string command_;
  int64_t slice_ns_;
  int64_t last_flush_ns_ = 0;
  int step_ = 0;  // 0: not a peak search
  double step_rate_ = 0;
  int warmup_runs_ = 0, measured_runs_ = 0, sequence_ = 0;
};

// --find-peak: one open-loop session per step at the rate the search asks
// for, each judged against the SLO; every step goes to the console, the JSON
// (`peak`) and the history (its slices, and the session header's `peak`).
Expected<int> run_peak_search(const load::LoadArguments& args, const load::LoadSessionPlan& plan,
                              ResultsDocument& document, store::History* history,
                              int64_t session_id, SessionObserver& observer,
                              std::optional<load::ServerProcess>& server) {
  load::PeakSearch search(*plan.peak);
  nlohmann::json steps = nlohmann::json::array();
  auto peak_json = [&] {
    nlohmann::json j = load::to_json(search);
    j["slo"] = plan.slo->text;
    j["steps"] = steps;
    return j;
  };
  print_for_terminal(stdout, report::render_peak_header(*plan.slo, *plan.peak, plan.mode_text));
  std::fflush(stdout);
  bool interrupted = false;
  int64_t unfinished = 0;
  while (auto rate = search.next_rate()) {
    const int step = search.steps() + 1;
    load::LoadPlan engine = plan.engine;
    engine.rate = *rate;
    engine.seed = plan.engine.seed + static_cast<uint64_t>(step - 1);
    observer.begin_step(step, *rate);
    auto outcome = load::run_load(
        engine, observer, [&observer] { return proc::interrupt_requested() || observer.failed(); });
    if (!outcome) return outcome.error();
    observer.end_step(outcome->interrupted);
    if (outcome->interrupted) {
      interrupted = true;
      unfinished = outcome->unfinished;
      break;
    }
    const auto summary = load::summarize_load(observer.records, *outcome);
    const auto judgement = load::judge_slo(*plan.slo, observer.records);
    search.record(*rate, judgement.verdict);
    nlohmann::json j{{"step", step},
                     {"rate", *rate},
                     {"verdict", load::verdict_name(judgement.verdict)},
                     {"slo", load::to_json(judgement)},
                     {"load", load::to_json(summary)}};
    steps.push_back(std::move(j));
    print_for_terminal(stdout, report::render_peak_step(step, *rate, summary, judgement));
    std::fflush(stdout);
    // The history's session header keeps the search as it goes (its options
    // object is the one free-form part of the header).
    document.options["peak_search"] = peak_json();
    if (history) (void)history->update_session(session_id, document, "running");
  }
  observer.finish(interrupted);
  std::string server_end;
  if (server) server_end = server->stop();
  document.finished_at = utc_timestamp();
  document.interrupted = interrupted;
  document.runs = observer.runs;
  document.options["peak_search"] = peak_json();
  if (history)
    (void)history->update_session(session_id, document, interrupted ? "interrupted" : "finished");
  if (!args.json.empty()) {
    nlohmann::json j = to_json(document);
    j["options"].erase("peak_search");  // the same object, top level
    j["peak"] = peak_json();
    if (auto written = write_file_atomically(args.json, json_text(j, 2) + "\n"); !written)
      return written.error().with_context("--json");
  }
  print_for_terminal(stdout, report::render_peak_result(search, *plan.slo));
  std::fflush(stdout);
  if (server)
    print_notice(
        fmt::format("stopped the server ({}); its output is in {}", server_end, args.server_log));
  if (!args.json.empty()) fmt::print(stderr, "wrote {}\n", args.json);
  if (history)
    fmt::print(stderr, "history: session {} in {} ({} slices over {} steps)\n", session_id, args.db,
               observer.runs.size(), search.steps());
  if (observer.failure) return *observer.failure;
  if (interrupted) {
    print_notice(fmt::format(
        "interrupted in step {}: the steps above are complete ({} requests were still open); the "
        "JSON and history keep them",
        search.steps() + 1, unfinished));
    return kExitInterrupted;
  }
  // No rate met the SLO: a failed measurement, like a failed run.
  return search.peak() ? kExitOk : kExitFailedRuns;
}

Expected<int> run_load_session(load::LoadArguments args) {
  args.server_command = trailing_command();
  auto plan = load::validate_load_arguments(args);
  if (!plan) return plan.error();
  auto policy = comparison_policy(args.threshold, args.alpha, args.correction);
  if (!policy) return policy.error();

  // Every output is created before the first request: a bad path fails now.
  std::optional<load::RequestCsv> csv;
  if (!args.csv.empty()) {
    auto created = load::RequestCsv::create(args.csv);
    if (!created) return created.error();
    csv.emplace(std::move(created).value());
  }
  if (!args.json.empty()) {
    if (auto written = write_file_atomically(args.json, "{}\n"); !written)
      return written.error().with_context("--json");
  }

  proc::install_interrupt_handler();
  std::optional<load::ServerProcess> server;
  std::string origin;
  if (!args.server_command.empty()) {
    auto started = load::ServerProcess::start(args.server_command, args.server_log);
    if (!started) return started.error();
    server.emplace(std::move(started).value());
    print_notice(fmt::format("started the server (pid {}), its output in {}", server->pid(),
                             args.server_log));
    auto ready = server->wait_ready(args.ready_url, plan->ready_timeout_s);
    if (!ready) return ready.error();
    origin = *ready;
  }
  auto target = load::resolve_load_target(args, origin);
  if (!target) return target.error();
  plan->engine.address = target->address;
  plan->engine.request = target->request;

  ResultsDocument document;
  document.tool_version = COLDBENCH_VERSION;
  document.started_at = utc_timestamp();
  document.host = read_host_info();
  document.options = load::options_json(args, *plan, target->url_text);
  CommandSpec command{args.name, target->url_text, args.server_command, false};
  make_text_valid(command);
  document.commands.push_back(command);

  std::unique_ptr<store::History> history;
  int64_t session_id = 0;
  if (!args.db.empty()) {
    auto opened = store::History::open(args.db);
    if (!opened) return opened.error();
    history = std::move(opened).value();
    if (auto ready = history->check_ready_for_runs(); !ready) return ready.error();
    store::SessionInfo info;
    info.experiment = args.name;
    info.started_at = document.started_at;
    info.host = document.host.hostname;
    info.git_commit = sweep::current_git_commit();
    info.planned_runs = plan->planned_slices;
    auto id = history->begin_session(info, document);
    if (!id) return id.error();
    session_id = *id;
  }

  report::LoadProgress progress(stderr, isatty(STDERR_FILENO) != 0);
  std::optional<HistoryWriter> writer;
  if (history) writer.emplace(*history, session_id);
  SessionObserver observer(args.name, plan->slice_ns, csv, writer ? &*writer : nullptr,
                           args.no_progress ? nullptr : &progress);
  auto stop = [&observer] { return proc::interrupt_requested() || observer.failed(); };
  if (plan->peak) {
    return run_peak_search(args, *plan, document, history.get(), session_id, observer, server);
  }
  auto outcome = load::run_load(plan->engine, observer, stop);
  if (!outcome) return outcome.error();
  observer.finish(outcome->interrupted);
  std::string server_end;
  if (server) server_end = server->stop();

  const auto summary = load::summarize_load(observer.records, *outcome);
  const auto ab = load::summarize_ab(observer.records, *policy);
  document.finished_at = utc_timestamp();
  document.interrupted = outcome->interrupted;
  document.runs = observer.runs;
  if (history) {
    (void)history->update_session(session_id, document,
                                  outcome->interrupted ? "interrupted" : "finished");
  }
  if (!args.json.empty()) {
    nlohmann::json j = to_json(document);
    j["load"] = load::to_json(summary);
    j["load"]["interrupted"] = outcome->interrupted;
    j["load"]["unfinished"] = outcome->unfinished;
    if (ab) j["load"]["ab"] = load::to_json(*ab);
    if (auto written = write_file_atomically(args.json, json_text(j, 2) + "\n"); !written)
      return written.error().with_context("--json");
  }
  print_for_terminal(stdout,
                     report::render_load_summary(summary, plan->mode_text, args.closed_loop));
  if (ab) print_for_terminal(stdout, report::render_ab_summary(*ab));
  std::fflush(stdout);
  if (server)
    print_notice(
        fmt::format("stopped the server ({}); its output is in {}", server_end, args.server_log));
  if (!args.csv.empty()) fmt::print(stderr, "wrote {}\n", args.csv);
  if (!args.json.empty()) fmt::print(stderr, "wrote {}\n", args.json);
  if (history)
    fmt::print(stderr, "history: session {} in {} ({} slices)\n", session_id, args.db,
               observer.runs.size());
  if (observer.failure) return *observer.failure;
  if (outcome->interrupted) {
    print_notice(fmt::format(
        "interrupted: the results above cover the {} requests finished before it ({} were still "
        "open); the CSV, JSON and history keep them",
        observer.records.size(), outcome->unfinished));
    return kExitInterrupted;
  }
  return kExitOk;
}

}  // namespace

Subcommand add_load_command(CLI::App& app) {
  auto args = std::make_shared<load::LoadArguments>();
  CLI::App* sub = app.add_subcommand(
      "load", "Send HTTP traffic at a fixed rate and measure latency without coordinated omission");
  sub->footer(
      "Usage: coldbench load --url http://127.0.0.1:PORT/PATH --rate R --duration D [OPTIONS]\n"
      "       coldbench load --url /PATH --rate R --duration D [OPTIONS] -- SERVER COMMAND...\n\n"
      "Open loop: requests are scheduled at --rate (poisson or constant gaps) whatever the server "
      "does;\n"
      "each one's latency counts from its scheduled (intended) send time, so a stalled server "
      "shows in the\n"
      "tail instead of being hidden (coordinated omission). Service time (actual send -> answer) "
      "is reported\n"
      "too. --closed-loop instead keeps each connection busy (saturation throughput, as wrk "
      "measures).\n"
      "With -- SERVER COMMAND, coldbench starts it, waits for its 'ready http://HOST:PORT' line "
      "(or\n"
      "--ready-url), loads it (--url may then be just the path) and stops it with SIGTERM.\n"
      "Traffic goes to loopback addresses only unless --allow-remote is given.\n"
      "History (--db): the session's requests are cut into --slice long slices by intended time; "
      "each slice\n"
      "is one run with 'latency' and 'service_time' metrics, so report and compare work on it "
      "(docs/load.md).\n"
      "--find-peak --slo p99=50ms: steps of --duration from --rate on; the rate doubles after each "
      "pass until a\n"
      "step fails, then bisects between the last pass and the first failure until first failure / "
      "last pass - 1\n"
      "<= --peak-tolerance (or --peak-max-steps). A step passes when every bound's 95% interval "
      "meets it, fails when\n"
      "one interval misses it entirely; inconclusive counts as a failure. Requests without a 2xx "
      "answer count as\n"
      "infinitely slow. SLO bounds: pNN=DURATION (p50, p90, p99, p99.9), errors=PERCENT.\n"
      "Exit status: 0 done, 1 no rate met the SLO (--find-peak), 2 bad usage or an unreachable "
      "server, 130 interrupted\n"
      "(what was measured is written).");
  sub->add_option("--url", args->url,
                  "http://HOST:PORT/PATH to load (with -- SERVER: may be /PATH)");
  sub->add_option("--method", args->method, "HTTP method (default GET, POST with --body-file)");
  sub->add_option("--body-file", args->body_file, "Send this file's bytes as the request body");
  sub->add_option("--header", args->headers, "'Name: value' added to every request (repeatable)")
      ->allow_extra_args(false);
  sub->add_option("--arrival", args->arrival,
                  "poisson (default) or constant gaps between scheduled requests");
  sub->add_option("--rate", args->rate, "Scheduled requests per second (open loop)");
  sub->add_option("--duration", args->duration,
                  "Length of the measured window, e.g. 30s (after --warmup-s)");
  sub->add_option("--requests", args->requests,
                  "Measured requests to send (with --duration: whichever ends first)");
  sub->add_option("--connections", args->connections,
                  "Keep-alive connections in the pool (default 8)");
  sub->add_option(
      "--timeout", args->timeout,
      "Per-request limit from its intended send time, e.g. 2s (default 10s); then a timeout");
  sub->add_option("--warmup-s", args->warmup_s,
                  "Seconds of traffic before the measured window (default 0), reported apart");
  sub->add_flag("--closed-loop", args->closed_loop,
                "Each connection sends as soon as its previous answer is in (no --rate)");
  sub->add_option("--seed", args->seed, "Seed of the poisson schedule (default 1)");
  sub->add_option("--slice", args->slice, "History slice length (default 1s): one run per slice");
  sub->add_option("--name", args->name, "The session's command name in the history (default load)");
  sub->add_flag("--allow-remote", args->allow_remote,
                "Allow a host that is not this machine's loopback");
  sub->add_option("--ready-url", args->ready_url,
                  "With -- SERVER: ready once this URL answers 2xx");
  sub->add_option("--ready-timeout", args->ready_timeout,
                  "With -- SERVER: the longest wait for ready (default 120s)");
  sub->add_option("--server-log", args->server_log,
                  "With -- SERVER: its stdout and stderr (default load-server.log)");
  sub->add_option("--json", args->json,
                  "Write the session (schema coldbench/1 plus a 'load' summary) to FILE");
  sub->add_option("--csv", args->csv, "Stream one row per request to FILE");
  sub->add_option("--db", args->db, "Write the session into this history database, slice by slice");
  sub->add_flag("--no-progress", args->no_progress, "No progress line on stderr");
  // Against `coldbench-torch serve --ab`: the verdict of B against A (docs/load.md).
  add_policy_options(*sub, args->threshold, args->alpha, args->correction);
  sub->add_flag("--find-peak", args->find_peak,
                "Search for the highest rate meeting --slo (steps of --duration from --rate)");
  sub->add_option("--slo", args->slo,
                  "With --find-peak: e.g. p99=50ms or p99=50ms,p50=10ms,errors=1%");
  sub->add_option(
      "--peak-tolerance", args->peak_tolerance,
      "With --find-peak: stop when first failure / last pass - 1 <= this (default 0.05)");
  sub->add_option("--peak-max-steps", args->peak_max_steps,
                  "With --find-peak: the most steps (default 12)");
  return Subcommand{sub, [args] { return run_load_session(*args); }, true};
}

}  // namespace coldbench::cli
