// The report model: what a run's report shows, computed from the history,
// the checker results and the node logs, before any HTML is written.
//
// Kept apart from the HTML so the parts a person relies on (the verdict, the
// fault windows, the sentence under each anomaly) are tested as data.
#ifndef FAULTLINE_REPORTS_REPORT_MODEL_H_
#define FAULTLINE_REPORTS_REPORT_MODEL_H_

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "faultline/history/event.h"
#include "faultline/history/pairing.h"

namespace faultline::reports {

using history::Json;

// One line of a node's structured log (node/src/event_log.cpp), placed on the
// history's clock when the run recorded where that clock began.
struct LogLine {
  std::string node;          // the node whose log it is
  std::int64_t mono_ns = 0;  // the node's CLOCK_MONOTONIC stamp
  std::optional<std::int64_t> time;  // ns since the run began; nullopt when unaligned
  std::string event;         // "node_started", "membership", ...
  std::string level;
  std::string text;          // the raw JSON line
  Json fields;               // the parsed line
};

// Everything a report is drawn from. `results` is the run's results.json
// (verdict, per-checker results with anomalies); `config` its config.json.
// Either may be empty for a history without a run (then the verdict is
// unknown and the banner says what is missing).
struct ReportInput {
  history::History history;
  Json results = Json::object();
  Json config = Json::object();
  std::map<std::string, std::vector<LogLine>> logs;  // node -> its log, in file order
  std::map<std::string, std::string> log_links;      // node -> relative path of its full log
  std::string run_dir;                               // shown in the banner
};

// A fault window: a nemesis start and the stop that ends it. A start with no
// stop (the run ended or crashed first) lasts to the end of the history.
struct FaultWindow {
  std::string fault;
  std::vector<std::string> nodes;
  Json params = Json::object();
  std::int64_t start = 0;  // ns since the run began
  std::int64_t stop = 0;
  bool open = false;  // no stop event was recorded
  std::int64_t start_index = -1, stop_index = -1;

  // "partition n1 n2 | n3 n4 n5", "pause n2", "packet (netem, 100 ms) n1 n2".
  std::string label() const;
};

// Pairs nemesis starts and stops: a stop ends the earliest open window of the
// same fault (on the same nodes when the stop names nodes). Sorted by start.
std::vector<FaultWindow> fault_windows(const history::History& h);

// Windows overlapping [from, to].
std::vector<const FaultWindow*> windows_overlapping(const std::vector<FaultWindow>& windows, std::int64_t from,
                                                    std::int64_t to);

// A witness operation of an anomaly, resolved against the history.
struct WitnessOp {
  std::int64_t invoke_index = -1;
  std::int64_t process = 0;
  std::string f, key, node, value;  // value: compact JSON of the completion (or invocation)
  std::string outcome;              // ok / fail / info
  std::int64_t start = 0, end = 0;  // ns; end = end of history when never completed
};

struct AnomalyView {
  std::string checker, kind;
  bool expected = false;  // the preset documents it; labelled, still a violation of the model
  std::string description;  // the checker's own sentence
  std::string sentence;     // description plus the faults active around it
  std::vector<WitnessOp> witness;
  std::int64_t from = 0, to = 0;  // the span of the witness ops
  std::vector<FaultWindow> faults;  // windows active within [from - 1 s, to + 1 s]
  Json details = Json::object();
};

// The sentence under an anomaly: the checker's description (or, without one,
// "<kind> witnessed by N operations between a s and b s"), then the faults
// active around it ("while partition n1 n2 | n3 n4 n5 was active (10.0–20.0 s)")
// or "no fault was active around it".
std::string anomaly_sentence(const std::string& kind, const std::string& description,
                             const std::vector<WitnessOp>& witness, const std::vector<FaultWindow>& faults);

// Per time bucket: completions by outcome and latency quantiles of ok ops.
struct Bucket {
  std::int64_t start = 0;  // ns
  std::int64_t ok = 0, fail = 0, info = 0;
  double p50_ms = 0, p95_ms = 0, p99_ms = 0, max_ms = 0;
};

// A membership state change as seen by one node ("n1 sees n3 suspect").
struct MembershipChange {
  std::int64_t time = 0;
  std::string observer, member, state;
};

// Clock offsets over time: for each node, (time, offset_ms) steps from clock
// fault windows (offsets_ms at start, back to 0 at stop).
using ClockSteps = std::map<std::string, std::vector<std::pair<std::int64_t, double>>>;

struct ReportModel {
  // Banner.
  std::string verdict = "unknown";  // valid / invalid / unknown / error / running
  // "INVALID — expected for r1w1: stale reads", "valid", ...: the banner's title.
  std::string headline;
  bool expected = false;            // invalid with only anomalies the preset documents
  std::map<std::string, std::int64_t> counts;  // kind -> every anomaly found (results.json)
  std::string workload, preset, nemesis, commit, run_id, backend, model, run_dir, error;
  std::uint64_t seed = 0;
  std::string replay;  // the `faultline run` command that replays the run
  std::int64_t ok = 0, fail = 0, info = 0;
  // The history's operations, paired once here for every part of the page
  // (empty when the history does not pair; `error` says why).
  std::vector<history::Operation> operations;
  std::int64_t duration = 0;  // ns: last event time
  std::vector<std::string> nodes;

  std::vector<FaultWindow> windows;
  std::vector<AnomalyView> anomalies;  // listed ones: unexpected first, then expected
  std::int64_t anomalies_omitted = 0;  // found but not listed (the checkers list only the worst few)
  std::vector<Bucket> buckets;
  std::int64_t bucket_ns = 0;
  std::vector<MembershipChange> membership;
  ClockSteps clock;
  bool logs_aligned = false;
};

// Builds the model. Never throws for odd inputs (missing results, unknown
// anomaly kinds, witness indices not in the history): the report says so.
ReportModel build_model(const ReportInput& input);

// The command that replays a run, from its config.json: the recorded
// "replay" line, or for runs stored before there was one, rebuilt.
std::string replay_command(const Json& config);

// Parses a node log (one JSON object per line; other lines are kept as text
// with event "text"). `origin_mono_ns` places lines on the history's clock.
std::vector<LogLine> parse_node_log(const std::string& node, const std::string& text,
                                    std::optional<std::int64_t> origin_mono_ns);

}  // namespace faultline::reports

#endif  // FAULTLINE_REPORTS_REPORT_MODEL_H_
