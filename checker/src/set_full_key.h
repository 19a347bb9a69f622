// The set-full checker's work on one key (Jepsen's set-full): each element's
// adds and reads placed on the history's order, then lost, stale,
// never-read, duplicated and unexpected elements found, and the worst few of
// each rendered as anomalies. Private to the checker: set_full_key.cpp holds
// the analysis, set_full_render.cpp the words and witnesses of each anomaly,
// set_full.cpp pools the keys into one Result.
#ifndef FAULTLINE_CHECKER_SRC_SET_FULL_KEY_H_
#define FAULTLINE_CHECKER_SRC_SET_FULL_KEY_H_

#include <algorithm>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "element_index.h"
#include "set_full.h"
#include "history_view.h"

namespace faultline::check::set_full {

using detail::BadInput;  // bad values in the workload's ops: the check is unknown
using detail::HistoryView;
using detail::kNever;
using history::Json;
using history::OpType;

// A finding before it is rendered: only the worst few become anomalies, so
// prose and JSON are built for those alone.
struct Candidate {
  double score;           // larger = worse
  std::int64_t element;   // tie-break, so output is deterministic
  std::int32_t id;
  std::int32_t read = -1; // the read it concerns (duplicated, unexpected)
  int flavour = 0;        // unexpected: see UnexpectedFlavour
};

enum UnexpectedFlavour { kNeverAdded = 0, kFailedAdd = 1, kPremature = 2 };

struct Rendered {
  double score;
  std::int64_t element;
  std::size_t key_order;
  Anomaly anomaly;
};

// Everything pooled across keys.
struct SetTotals {
  bool keyed = false;
  std::size_t keys = 0;
  std::size_t attempts = 0, acknowledged = 0, reads = 0, failed_reads = 0, indeterminate_reads = 0;
  std::size_t returned_elements = 0, largest_read = 0;
  std::size_t stable = 0, lost = 0, stale = 0, never_read = 0, duplicated = 0, unexpected = 0;
  std::vector<double> stable_ms, lost_ms, stale_ms;
  std::map<std::string, std::vector<Rendered>> found;  // kind -> worst few per key
  std::map<std::string, std::size_t> found_count;      // kind -> all
  Json lists = Json::object();                          // element lists, per key when keyed
};

class SetKeyCheck {
 public:
  SetKeyCheck(const HistoryView& view, const HistoryView::KeyGroup& group, std::size_t key_order,
           const SetFullOptions& options, SetTotals& totals)
      : view_(view), group_(group), key_order_(key_order), options_(options), totals_(totals) {}

  void run() {
    collect_ops();
    index_elements();
    check_reads();
    place_adds();
    walk_reads();
    classify();
  }

 private:
  // Touched for every element of every read: kept small and together.
  struct Hot {
    std::int64_t add_begin = kNever;   // rank of the earliest add invocation
    std::int64_t first_seen = kNever;  // rank of the end of the first relevant read returning it
    std::int32_t first_seen_read = -1;
    std::int32_t last_present = -1;    // last relevant read (by start) returning it
    std::int32_t stamp = -1;           // last read position that returned it: membership test
    std::int32_t first_after = 0;      // first read position that began after the add began
  };
  struct Cold {
    std::size_t add_op = 0;
    std::size_t ack_op = 0;
    std::int64_t ack = kNever;        // rank of the first ok completion of an add
    bool maybe_applied = false;       // some add of it did not fail
    std::int32_t last_absent = -1;    // last relevant read (by start) not returning it, at/after first_after
    std::int32_t premature_read = -1; // earliest read returning it that ended before the add began
  };
  struct Read {
    std::size_t op;
    std::int64_t begin;
    std::int64_t end;
  };

  void collect_ops();

  void index_elements();

  // Validates read values and sizes the walk; elements are mapped to ids in
  // walk_reads() itself, so no copy of the reads is ever made.
  void check_reads();

  void place_adds();

  // One pass over the reads, newest start first. `streak` holds the
  // elements that every read so far (from the last one down) returned and
  // that all those reads are relevant to; an element leaves it at its last
  // absent read, or when the walk passes below the start of its add (reads
  // that began earlier are not evidence against it, except reads in flight
  // at the add's start, which classify() handles). The streak after read j
  // is a subset of read j, so the walk costs O(total read size + elements).
  void walk_reads();

  std::int64_t known_rank(std::size_t id) const { return std::min(cold_[id].ack, hot_[id].first_seen); }
  bool known_by_add(std::size_t id) const { return cold_[id].ack <= hot_[id].first_seen; }
  std::int64_t known_time(std::size_t id) const {
    return known_by_add(id) ? view_.complete_time(cold_[id].ack_op)
                            : view_.complete_time(reads_[static_cast<std::size_t>(hot_[id].first_seen_read)].op);
  }
  std::int64_t read_begin_time(std::int32_t j) const { return view_.invoke_time(reads_[static_cast<std::size_t>(j)].op); }

  void classify();

  void put_list(const std::string& name, std::string ranges);

  template <typename Render>
  void keep_worst(const std::string& kind, std::vector<Candidate>& all, Render render) {
    totals_.found_count[kind] += all.size();
    const std::size_t n = std::min(all.size(), options_.max_reported);
    auto worse = [](const Candidate& a, const Candidate& b) {
      return a.score != b.score ? a.score > b.score : a.element < b.element;
    };
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(n), all.end(), worse);
    for (std::size_t k = 0; k < n; ++k) {
      totals_.found[kind].push_back(Rendered{all[k].score, all[k].element, key_order_, render(all[k])});
    }
  }

  // "element 17" or "key "k" element 17".
  std::string name_element(std::int64_t element) const;

  Json base_details(std::int64_t element) const;

  std::size_t read_op(std::int32_t j) const { return reads_[static_cast<std::size_t>(j)].op; }

  // "acknowledged at 1.2 s" / "first seen by the read that ended at 1.2 s".
  std::string known_phrase(std::size_t id) const;

  void add_known(std::size_t id, Anomaly& a) const;

  static void dedup(std::vector<std::int64_t>& witness);

  Anomaly render_lost(const Candidate& x) const;

  Anomaly render_stale(const Candidate& x) const;

  Anomaly render_duplicated(const Candidate& x) const;

  Anomaly render_unexpected(const Candidate& x) const;

  const HistoryView& view_;
  const HistoryView::KeyGroup& group_;
  std::size_t key_order_;
  const SetFullOptions& options_;
  SetTotals& totals_;

  std::vector<std::size_t> adds_;
  std::vector<Read> reads_;
  std::optional<detail::ElementIndex> index_;
  std::vector<Hot> hot_;
  std::vector<Cold> cold_;
  std::vector<std::int64_t> latest_end_from_;
  std::map<std::int64_t, std::int32_t> never_added_;  // value -> earliest read returning it
  std::vector<std::pair<std::int32_t, std::int32_t>> duplicates_;  // (id, read) per extra copy
};

}  // namespace faultline::check::set_full

#endif  // FAULTLINE_CHECKER_SRC_SET_FULL_KEY_H_
