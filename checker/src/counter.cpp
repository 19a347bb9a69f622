#include "counter.h"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "history_view.h"

namespace faultline::check {
namespace {

using detail::BadInput;
using detail::check_each_key;
using detail::HistoryView;
using history::Json;
using history::OpType;

struct CounterFinding {
  std::int64_t distance;  // how far outside the bounds
  std::size_t key_order;
  std::int64_t read_index;
  Anomaly anomaly;
};

struct CounterTotals {
  bool keyed = false;
  std::size_t keys = 0, reads = 0, increments = 0, ok_increments = 0, failed_increments = 0, indeterminate_increments = 0;
  std::size_t too_low = 0, too_high = 0;
  std::vector<CounterFinding> found;
  Json final_bounds = Json::object();
};

bool is_increment(const std::string& f) { return f == "add" || f == "incr" || f == "increment"; }

class CounterKeyCheck {
 public:
  CounterKeyCheck(const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t key_order, CounterTotals& totals)
      : view_(view), group_(group), key_order_(key_order), totals_(totals) {}

  void run() {
    // Points in real-time order: increments that may have happened enter the
    // "possible" sums at invocation and the "certain" sums at ok completion;
    // reads snapshot "certain" when they begin and judge when they end.
    enum Kind : std::uint8_t { kIncBegin, kIncDone, kReadBegin, kReadEnd };
    struct Point {
      std::int64_t rank;
      Kind kind;
      std::size_t slot;  // index into incs / reads
    };
    struct Inc {
      std::size_t op;
      std::int64_t delta;
    };
    struct ReadState {
      std::size_t op;
      std::int64_t value;
      std::int64_t certain = 0, certain_pos = 0, certain_neg = 0;
      std::size_t last_certain = SIZE_MAX;  // the latest ok increment done before the read began
    };
    std::vector<Inc> incs;
    std::vector<ReadState> reads;
    std::vector<Point> points;
    for (std::size_t i : group_.operations) {
      const auto& inv = view_.invocation(i);
      const OpType outcome = view_.outcome(i);
      if (is_increment(inv.f)) {
        ++totals_.increments;
        std::int64_t delta = 1;
        if (!inv.value.is_null()) {
          auto v = detail::json_int(inv.value);
          if (!v) throw BadInput("event index " + std::to_string(inv.index) + ": increment must be an integer, got " + inv.value.dump());
          delta = *v;
        }
        if (outcome == OpType::kFail) {
          ++totals_.failed_increments;  // definitely not applied: no effect on any bound
          continue;
        }
        (outcome == OpType::kOk ? totals_.ok_increments : totals_.indeterminate_increments) += 1;
        points.push_back(Point{view_.invoke_rank(i), kIncBegin, incs.size()});
        if (outcome == OpType::kOk) points.push_back(Point{view_.complete_rank(i), kIncDone, incs.size()});
        incs.push_back(Inc{i, delta});
      } else if (inv.f == "read" && outcome == OpType::kOk) {
        const Json& value = view_.completion(i)->value;
        std::int64_t v = 0;  // null: a counter never written reads as nothing, i.e. 0
        if (!value.is_null()) {
          auto parsed = detail::json_int(value);
          if (!parsed) throw BadInput("event index " + std::to_string(view_.completion(i)->index) + ": counter read must be an integer, got " + value.dump());
          v = *parsed;
        }
        points.push_back(Point{view_.invoke_rank(i), kReadBegin, reads.size()});
        points.push_back(Point{view_.complete_rank(i), kReadEnd, reads.size()});
        reads.push_back(ReadState{i, v});
      }
    }
    totals_.reads += reads.size();
    std::sort(points.begin(), points.end(), [](const Point& a, const Point& b) { return a.rank < b.rank; });

    std::int64_t certain = 0, certain_pos = 0, certain_neg = 0, possible_pos = 0, possible_neg = 0;
    std::size_t last_certain = SIZE_MAX, last_possible = SIZE_MAX;
    for (const Point& p : points) {
      switch (p.kind) {
        case kIncBegin: {
          const std::int64_t d = incs[p.slot].delta;
          (d >= 0 ? possible_pos : possible_neg) += d;
          last_possible = p.slot;
          break;
        }
        case kIncDone: {
          const std::int64_t d = incs[p.slot].delta;
          certain += d;
          (d >= 0 ? certain_pos : certain_neg) += d;
          last_certain = p.slot;
          break;
        }
        case kReadBegin: {
          ReadState& r = reads[p.slot];
          r.certain = certain;
          r.certain_pos = certain_pos;
          r.certain_neg = certain_neg;
          r.last_certain = last_certain;
          break;
        }
        case kReadEnd: {
          const ReadState& r = reads[p.slot];
          // Increments done before the read began are in; any other that was
          // invoked by now may or may not be.
          const std::int64_t lower = r.certain + (possible_neg - r.certain_neg);
          const std::int64_t upper = r.certain + (possible_pos - r.certain_pos);
          if (r.value < lower) {
            ++totals_.too_low;
            report(r.op, r.value, lower, upper, r.last_certain == SIZE_MAX ? SIZE_MAX : incs[r.last_certain].op);
          } else if (r.value > upper) {
            ++totals_.too_high;
            report(r.op, r.value, lower, upper, last_possible == SIZE_MAX ? SIZE_MAX : incs[last_possible].op);
          }
          break;
        }
      }
    }
    Json bounds = {{"lower", certain + (possible_neg - certain_neg)}, {"upper", certain + (possible_pos - certain_pos)}};
    if (totals_.keyed) {
      totals_.final_bounds[detail::key_label(group_.key)] = std::move(bounds);
    } else {
      totals_.final_bounds = std::move(bounds);
    }
  }

 private:
  void report(std::size_t read, std::int64_t value, std::int64_t lower, std::int64_t upper, std::size_t inc) {
    const bool low = value < lower;
    Anomaly a;
    a.kind = low ? "counter-too-low" : "counter-too-high";
    a.details = {{"read", view_.describe(read)}, {"value", value}, {"lower", lower}, {"upper", upper}};
    if (totals_.keyed) a.details["key"] = detail::key_json(group_.key);
    if (inc != SIZE_MAX) {
      view_.append_witness(inc, a.witness);
      a.details[low ? "last_acknowledged_increment" : "last_invoked_increment"] = view_.describe(inc);
    }
    view_.append_witness(read, a.witness);
    const std::string key = detail::key_phrase(group_.key);
    std::string text = "the read of " + (key.empty() ? std::string("the counter") : key) + " that began at " +
                       detail::format_duration(view_.invoke_time(read)) + " returned " + std::to_string(value);
    if (low) {
      text += ", but increments acknowledged before it began already make at least " + std::to_string(lower) +
              " (allowed " + std::to_string(lower) + ".." + std::to_string(upper) + "): acknowledged increments are missing";
    } else {
      text += ", but all increments invoked before it ended make at most " + std::to_string(upper) + " (allowed " +
              std::to_string(lower) + ".." + std::to_string(upper) + "): it counts increments that never happened";
    }
    a.description = std::move(text);
    const std::int64_t distance = low ? lower - value : value - upper;
    totals_.found.push_back(CounterFinding{distance, key_order_, view_.invocation(read).index, std::move(a)});
  }

  const HistoryView& view_;
  const HistoryView::KeyGroup& group_;
  std::size_t key_order_;
  CounterTotals& totals_;
};

}  // namespace

Result check_counter(const history::History& history, const CounterOptions& options) {
  Result result;
  result.checker = "counter";
  CounterTotals totals;
  const bool judged = check_each_key(history, totals, result,
                                    [&](const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t g) {
                                      CounterKeyCheck(view, group, g, totals).run();
                                    });
  if (!judged) return result;
  result.valid = totals.too_low + totals.too_high > 0 ? Validity::kInvalid : Validity::kValid;

  // Worst (furthest outside its bounds) first, then history order.
  std::sort(totals.found.begin(), totals.found.end(), [](const CounterFinding& a, const CounterFinding& b) {
    if (a.distance != b.distance) return a.distance > b.distance;
    return a.read_index < b.read_index;
  });
  Json omitted = Json::object();
  for (const CounterFinding& f : totals.found) result.count(f.anomaly.kind);
  for (std::size_t k = options.max_reported; k < totals.found.size(); ++k) {
    const std::string& kind = totals.found[k].anomaly.kind;
    omitted[kind] = omitted.value(kind, 0) + 1;
  }
  if (totals.found.size() > options.max_reported) totals.found.resize(options.max_reported);
  Json worst = Json::array();
  for (auto& f : totals.found) {
    worst.push_back(f.anomaly.details);
    worst.back()["kind"] = f.anomaly.kind;
    worst.back()["description"] = f.anomaly.description;
    worst.back()["witness"] = f.anomaly.witness;
    result.anomalies.push_back(std::move(f.anomaly));
  }
  Json& d = result.details;
  d["key_count"] = totals.keys;
  d["read_count"] = totals.reads;
  d["increment_count"] = totals.increments;
  d["ok_increment_count"] = totals.ok_increments;
  d["failed_increment_count"] = totals.failed_increments;
  d["indeterminate_increment_count"] = totals.indeterminate_increments;
  d["too_low_count"] = totals.too_low;
  d["too_high_count"] = totals.too_high;
  d["final_bounds"] = std::move(totals.final_bounds);
  d["worst"] = std::move(worst);
  d["anomalies_omitted"] = std::move(omitted);
  return result;
}

}  // namespace faultline::check
