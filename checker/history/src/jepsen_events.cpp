#include "jepsen_events.h"

#include <algorithm>

namespace faultline::history::detail {

namespace {

bool starts_with(std::string_view s, std::string_view prefix) { return s.substr(0, prefix.size()) == prefix; }

// Does a nemesis value describe a network partition? Jepsen's partitioners
// report a grudge ({"n1" #{"n2" "n3"}}), [:isolated grudge], or a sentence
// such as "Cut off {...}"; healing reports "fully connected".
bool looks_like_partition(const Json& value) {
  if (value.is_string()) {
    const std::string& s = value.get_ref<const std::string&>();
    return s.find("Cut off") != std::string::npos || s.find("isolated") != std::string::npos ||
           s.find("partition") != std::string::npos || s.find("fully connected") != std::string::npos ||
           s.find("network-healed") != std::string::npos;
  }
  if (value.is_array() && !value.empty() && value[0].is_string()) {
    const std::string& tag = value[0].get_ref<const std::string&>();
    return tag == "isolated" || tag == "partitioned" || tag == "partition";
  }
  if (value.is_object() && !value.empty()) {
    return std::all_of(value.begin(), value.end(), [](const Json& v) { return v.is_array(); });
  }
  return false;
}

// Node names a nemesis value mentions: ["n1" "n2"], {"n1" ...}, or
// [:isolated {"n1" ...}].
std::vector<std::string> nodes_of(const Json& value) {
  std::vector<std::string> nodes;
  const Json* v = &value;
  if (v->is_array() && v->size() == 2 && (*v)[0].is_string() && (*v)[1].is_object()) v = &(*v)[1];
  if (v->is_object()) {
    for (auto it = v->begin(); it != v->end(); ++it) nodes.push_back(it.key());
  } else if (v->is_array() && !v->empty() &&
             std::all_of(v->begin(), v->end(), [](const Json& x) { return x.is_string(); })) {
    for (const Json& x : *v) nodes.push_back(x.get<std::string>());
  }
  return nodes;
}

}  // namespace

std::optional<std::string> name_of(const edn::Value& value) {
  switch (value.kind) {
    case edn::Value::Kind::kString:
    case edn::Value::Kind::kKeyword:
    case edn::Value::Kind::kSymbol:
    case edn::Value::Kind::kBigInt:
      return value.text;
    case edn::Value::Kind::kInt:
      return std::to_string(value.integer);
    default:
      return std::nullopt;
  }
}

std::string brief(const edn::Value& value) {
  std::string text = edn::to_edn(value);
  if (text.size() > 60) {
    std::size_t cut = 57;  // not inside a UTF-8 sequence
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text = text.substr(0, cut) + "...";
  }
  return text;
}

OpType op_type_of(const edn::Value& value, const edn::Reader& reader) {
  if (value.kind == edn::Value::Kind::kKeyword || value.kind == edn::Value::Kind::kString) {
    if (auto type = parse_op_type(value.text)) return *type;
  }
  reader.fail(value.offset, "unknown op type " + brief(value) + ": expected :invoke, :ok, :fail or :info");
}

void JepsenHistoryBuilder::add(JepsenRecord& r) {
  const std::int64_t position = position_++;
  const std::int64_t index = r.index.value_or(position);
  if (index <= last_index_) {
    throw HistoryError(r.index_pos(), ":index " + std::to_string(index) +
                                          " is not greater than the previous event's index " +
                                          std::to_string(last_index_));
  }
  last_index_ = index;
  const std::int64_t time = r.time.value_or(r.index ? index : position);

  // Indeterminate outcomes of client ops (see jepsen.h). A nemesis keyword
  // such as :network-healed is a report, not an outcome.
  const bool value_is_keyword = !r.nemesis && r.value != nullptr && r.value->is_keyword();
  const bool drop_value = (r.type == OpType::kFail && value_is_keyword && r.value->text == "timed-out") ||
                          (r.type == OpType::kInfo && value_is_keyword);
  if (drop_value) {
    if (r.error.empty()) {
      r.error = r.value->text;
    }
    r.type = OpType::kInfo;
  }
  Json value = (r.value == nullptr || drop_value) ? Json(nullptr) : edn::to_json(*r.value);

  if (!r.nemesis) {
    Op op;
    op.index = index;
    op.time = time;
    op.process = r.process;
    op.type = r.type;
    op.f = std::move(r.f);
    op.key = std::move(r.key);
    op.value = std::move(value);
    op.node = std::move(r.node);
    op.error = std::move(r.error);
    history_.ops.push_back(std::move(op));
    if (op_lines_) op_lines_->push_back(r.line);
    return;
  }

  // Nemesis: keep completions, drop invocations. Jepsen logs a nemesis op as
  // two :info events with the same f; the first is the invocation.
  if (r.type == OpType::kInvoke) {
    pending_ = PendingNemesis{r.type, r.f, index, time, std::move(value)};
    return;
  }
  if (r.type == OpType::kFail) {  // the fault did not happen
    pending_.reset();
    return;
  }
  if (pending_ && pending_->f == r.f) {
    pending_.reset();
    emit_nemesis(r.f, index, time, std::move(value));
    return;
  }
  if (pending_ && pending_->type == OpType::kInfo) {
    emit_nemesis(pending_->f, pending_->index, pending_->time, std::move(pending_->value));
  }
  pending_ = PendingNemesis{r.type, r.f, index, time, std::move(value)};
}

void JepsenHistoryBuilder::emit_nemesis(const std::string& f, std::int64_t index, std::int64_t time, Json value) {
  NemesisEvent e;
  e.index = index;
  e.time = time;
  e.nodes = nodes_of(value);
  if (starts_with(f, "start-") && f.size() > 6) {
    e.phase = FaultPhase::kStart;
    e.fault = f.substr(6);
  } else if (starts_with(f, "stop-") && f.size() > 5) {
    e.phase = FaultPhase::kStop;
    e.fault = f.substr(5);
  } else if (f == "start") {
    e.phase = FaultPhase::kStart;
    e.fault = looks_like_partition(value) ? "partition" : "nemesis";
    open_plain_fault_ = e.fault;
  } else if (f == "stop") {
    // A plain stop ends whatever the last plain start began.
    e.phase = FaultPhase::kStop;
    e.fault = !open_plain_fault_.empty() ? open_plain_fault_ : (looks_like_partition(value) ? "partition" : "nemesis");
    open_plain_fault_.clear();
  } else if (f == "heal" || f == "heal-partition") {
    e.phase = FaultPhase::kStop;
    e.fault = "partition";
  } else if (f == "kill" || f == "crash") {
    e.phase = FaultPhase::kStart;
    e.fault = "kill";
  } else if (f == "restart" || f == "revive" || f == "recover") {
    e.phase = FaultPhase::kStop;
    e.fault = "kill";
  } else if (f == "pause") {
    e.phase = FaultPhase::kStart;
    e.fault = "pause";
  } else if (f == "resume") {
    e.phase = FaultPhase::kStop;
    e.fault = "pause";
  } else if (f == "bump-clock" || f == "strobe-clock" || f == "bump" || f == "strobe") {
    e.phase = FaultPhase::kStart;
    e.fault = "clock";
  } else if (f == "reset-clock" || f == "reset") {
    e.phase = FaultPhase::kStop;
    e.fault = "clock";
  } else {
    e.phase = FaultPhase::kStart;
    e.fault = f;
  }
  e.params = std::move(value);
  history_.nemesis.push_back(std::move(e));
}

History JepsenHistoryBuilder::finish() {
  // A lone :info still waiting for a twin was a whole nemesis op; a lone
  // :invoke never completed and is dropped.
  if (pending_ && pending_->type == OpType::kInfo) {
    emit_nemesis(pending_->f, pending_->index, pending_->time, std::move(pending_->value));
  }
  pending_.reset();
  return std::move(history_);
}

}  // namespace faultline::history::detail
