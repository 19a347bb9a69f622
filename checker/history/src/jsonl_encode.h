// Encoding of history lines (internal; the public entry points are the
// to_json_line functions in jsonl.h).
//
// The writer formats each line outside its lock and only splices the index
// in under it, so encoding is split: `append_*_rest` produce everything after
// `{"index":N,`.
#ifndef FAULTLINE_HISTORY_SRC_JSONL_ENCODE_H_
#define FAULTLINE_HISTORY_SRC_JSONL_ENCODE_H_

#include <string>
#include <string_view>

#include "faultline/history/event.h"

namespace faultline::history::detail {

// Appends s as a JSON string literal, quotes included.
void append_json_string(std::string& out, std::string_view s);
// Appends v as compact JSON.
void append_json(std::string& out, const Json& v);
void append_int(std::string& out, std::int64_t v);

// `"time":...,"process":...}` for an op, without index and newline.
void append_op_rest(std::string& out, const Op& op);
void append_nemesis_rest(std::string& out, const NemesisEvent& event);

}  // namespace faultline::history::detail

#endif  // FAULTLINE_HISTORY_SRC_JSONL_ENCODE_H_
