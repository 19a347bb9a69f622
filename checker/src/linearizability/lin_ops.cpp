#include "linearizability/lin_ops.h"

#include <string_view>
#include <unordered_map>

namespace faultline::check::lin {
namespace {

using history::Json;
using history::Op;
using history::OpType;

std::string_view bare(std::string_view f) {  // ":read" and "read" alike
  if (!f.empty() && f.front() == ':') f.remove_prefix(1);
  return f;
}

// Interns values to dense ids; id 0 is the model's initial value.
class Values {
 public:
  Values(std::vector<std::string>& names, bool kv) : names_(names), kv_(kv) {
    names_.push_back(kv ? "" : "null");
    if (kv) text_ids_.emplace("", 0);
  }

  std::uint32_t id(const Json& v) {
    if (v.is_null()) return 0;
    if (kv_) {
      if (v.is_string()) return text(v.get_ref<const std::string&>());
      return text(v.dump());
    }
    if (v.is_number_integer()) {
      const std::int64_t x = v.is_number_unsigned() ? static_cast<std::int64_t>(v.get<std::uint64_t>()) : v.get<std::int64_t>();
      auto [it, inserted] = int_ids_.try_emplace(x, static_cast<std::uint32_t>(names_.size()));
      if (inserted) names_.push_back(std::to_string(x));
      return it->second;
    }
    return text(v.dump());
  }

 private:
  std::uint32_t text(const std::string& s) {
    auto [it, inserted] = text_ids_.try_emplace(s, static_cast<std::uint32_t>(names_.size()));
    if (inserted) names_.push_back(s);
    return it->second;
  }

  std::vector<std::string>& names_;
  bool kv_;
  std::unordered_map<std::int64_t, std::uint32_t> int_ids_;
  std::unordered_map<std::string, std::uint32_t> text_ids_;
};

std::string where(const Op& op) {
  return "event index " + std::to_string(op.index) + " (process " + std::to_string(op.process) + ", f " + op.f + ")";
}

}  // namespace

Prepared prepare(const history::History& history, LinModel model) {
  if (history.ops.size() >= kNever) throw PrepareError("history too long for the linearizability checker");
  Prepared p;
  p.model = model;
  p.operations = history::pair_operations(history);
  const bool kv = model == LinModel::kKv || model == LinModel::kKvMap;
  const bool cas_ok = model == LinModel::kCasRegister;
  Values values(p.values, kv);
  std::unordered_map<std::string, std::uint32_t> key_ids;
  p.keys.push_back("");
  p.ops.reserve(p.operations.size());
  std::vector<std::uint32_t> ops_per_key(1, 0);

  for (std::size_t i = 0; i < p.operations.size(); ++i) {
    const history::Operation& operation = p.operations[i];
    const Op& inv = history.ops[operation.invoke];
    const Op* done = operation.completion ? &history.ops[*operation.completion] : nullptr;
    const OpType outcome = operation.outcome(history.ops);
    const std::string_view f = bare(inv.f);

    LinOp op;
    op.call = static_cast<std::uint32_t>(operation.invoke);
    op.source = static_cast<std::uint32_t>(i);
    // The argument of a mutation is on the invocation; fall back to the
    // completion for writers that only fill it in there (never to a cas
    // result such as {"ok": false}).
    auto argument = [&]() -> const Json& {
      if (inv.value.is_null() && done != nullptr && !done->value.is_null() && !done->value.is_object()) return done->value;
      return inv.value;
    };
    const bool is_read = kv ? f == "get" : f == "read";
    const bool is_write = kv ? (f == "put" || f == "append") : f == "write";
    const bool is_cas = !kv && f == "cas";
    if (!is_read && !is_write && !is_cas) {
      throw PrepareError(where(inv) + ": model " + std::string(to_string(model)) + " has no operation \"" +
                         std::string(f) + "\"" + (kv ? " (expected get, put, append)" : cas_ok ? " (expected read, write, cas)" : " (expected read, write)"));
    }
    if (is_cas && !cas_ok) {
      throw PrepareError(where(inv) + ": model register has no cas; check with --model cas-register");
    }

    // Jepsen's contract: a fail did not happen and constrains nothing, a
    // cas included. A comparison that found another value is an ok cas
    // with result {"ok": false}: an observation.
    const bool compare_failed = is_cas && outcome == OpType::kOk && history::is_compare_failed(*done);
    if (outcome == OpType::kFail) {
      ++p.ignored;
      continue;
    }
    if (is_read && outcome != OpType::kOk) {  // an unknown read result constrains nothing
      ++p.ignored;
      continue;
    }

    if (is_read) {
      op.kind = kv ? Kind::kGet : Kind::kRead;
      op.a = values.id(done->value);
    } else if (is_write) {
      op.kind = !kv ? Kind::kWrite : f == "put" ? Kind::kPut : Kind::kAppend;
      op.a = values.id(argument());
    } else {
      const Json& v = argument();
      if (!v.is_array() || v.size() != 2) throw PrepareError(where(inv) + ": cas value must be [from to], got " + v.dump());
      op.kind = compare_failed ? Kind::kCasFailed : Kind::kCas;
      op.a = values.id(v[0]);
      op.b = values.id(v[1]);
    }
    const bool happened = outcome == OpType::kOk;
    op.definite = happened;
    op.ret = happened ? static_cast<std::uint32_t>(*operation.completion) : kNever;

    const std::optional<std::string>& key = inv.key ? inv.key : (done != nullptr ? done->key : inv.key);
    if (key) {
      auto [it, inserted] = key_ids.try_emplace(*key, static_cast<std::uint32_t>(p.keys.size()));
      if (inserted) {
        p.keys.push_back(*key);
        ops_per_key.push_back(0);
      }
      op.key = it->second;
    }
    ++ops_per_key[op.key];
    p.ops.push_back(op);
  }

  if (model == LinModel::kKvMap) {
    if (!p.ops.empty()) {
      p.partitions.emplace_back(p.ops.size());
      for (std::uint32_t i = 0; i < p.ops.size(); ++i) p.partitions[0][i] = i;
    }
  } else {
    std::vector<std::uint32_t> partition_of_key(p.keys.size(), kNever);
    for (std::uint32_t k = 0; k < p.keys.size(); ++k) {
      if (ops_per_key[k] == 0) continue;
      partition_of_key[k] = static_cast<std::uint32_t>(p.partitions.size());
      p.partitions.emplace_back().reserve(ops_per_key[k]);
    }
    for (std::uint32_t i = 0; i < p.ops.size(); ++i) p.partitions[partition_of_key[p.ops[i].key]].push_back(i);
  }
  return p;
}

}  // namespace faultline::check::lin
