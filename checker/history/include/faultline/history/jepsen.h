// Importers for histories that Jepsen (and Knossos, Porcupine, ...) produced.
//
// EDN histories: a vector or list of op maps, or op maps one after another,
// with any EDN around them (comments, tagged records such as
// #jepsen.history.Op{...}):
//   [{:process 0, :type :invoke, :f :write, :value 3}
//    {:process 0, :type :ok, :f :write, :value 3}]
//
// Text logs: the op lines jepsen.util logs while a test runs; every other line
// is skipped. Fields are separated by tabs or runs of spaces, and the value is
// the EDN after the f (anything after the value is the op's error):
//   INFO  jepsen.util - 3	:invoke	:cas	[1 4]
//   2017-03-01 10:00:00,123{GMT}	INFO	[jepsen worker 3] jepsen.util: 3	:ok	:cas	[1 4]
//
// Both map to the event model (event.h) the same way:
//   - :process N is a client op; :process :nemesis is a fault event. Nemesis
//     invocations (:invoke, or the first of Jepsen's :info/:info pair with the
//     same f) are dropped and the completion kept: it carries what the fault
//     actually did. f "start-X"/"stop-X" is fault X; plain "start"/"stop"
//     is a partition when the value looks like one (a grudge, "Cut off ...",
//     [:isolated ...]); kill/pause/clock nemeses map to "kill", "pause",
//     "clock"; anything else starts a fault named after its f. Nodes are taken
//     from the value when it names them (a vector of names, or a map keyed by
//     them).
//   - :index and :time are used when present; otherwise index = time = the
//     event's position in the file (0, 1, 2, ...), so real-time order is file
//     order.
//   - :key (string, integer or keyword) becomes the key as text; :node and
//     :error are kept.
//   - Indeterminate outcomes: a :fail whose value is :timed-out did not
//     definitely fail, so it becomes type info with error "timed-out"; an
//     :info completion whose value is a keyword (:timed-out) has that keyword
//     as its error and a null value.
//
// These functions check syntax and fields; they do not pair completions with
// invocations (load_history in load.h does, and rejects histories that do
// not pair). Errors are HistoryError with file, line and column.
#ifndef FAULTLINE_HISTORY_JEPSEN_H_
#define FAULTLINE_HISTORY_JEPSEN_H_

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "faultline/history/event.h"

namespace faultline::history {

// `op_lines`, when given, receives the line each op came from (parallel to
// History::ops), so later errors about an op can point at its line.
History import_jepsen_edn(const std::string& path, std::vector<std::size_t>* op_lines = nullptr);
History parse_jepsen_edn(std::string_view text, const std::string& name = "<text>",
                         std::vector<std::size_t>* op_lines = nullptr);

History import_jepsen_log(const std::string& path, std::vector<std::size_t>* op_lines = nullptr);
History parse_jepsen_log(std::string_view text, const std::string& name = "<text>",
                         std::vector<std::size_t>* op_lines = nullptr);

}  // namespace faultline::history

#endif  // FAULTLINE_HISTORY_JEPSEN_H_
