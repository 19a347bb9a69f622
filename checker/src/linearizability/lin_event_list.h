// The event list of Wing & Gong's search: every call and completion in
// history order, doubly linked so that a linearized call and its completion
// are lifted out and put back in O(1). Entries 0 and size-1 are sentinels.
#ifndef FAULTLINE_CHECKER_SRC_LINEARIZABILITY_LIN_EVENT_LIST_H_
#define FAULTLINE_CHECKER_SRC_LINEARIZABILITY_LIN_EVENT_LIST_H_

#include <cstdint>
#include <vector>

#include "linearizability/lin_ops.h"

namespace faultline::check::lin {

enum class EntryType : std::uint8_t { kCall, kReturn, kSoftReturn, kSentinel };

struct Entry {
  std::int32_t prev;
  std::int32_t next;
  std::uint32_t op;
  EntryType type;
  std::int32_t match;  // a call's completion entry, or -1
  std::uint32_t order = 0;  // a call's rank by (completion, invocation): candidates are tried in this order
};

class EventList {
 public:
  explicit EventList(const std::vector<LinOp>& ops);

  Entry& operator[](std::int32_t i) { return e_[static_cast<std::size_t>(i)]; }
  const Entry& operator[](std::int32_t i) const { return e_[static_cast<std::size_t>(i)]; }
  std::int32_t first() const { return e_[0].next; }

  void lift(std::int32_t c) {
    Entry& call = (*this)[c];
    (*this)[call.prev].next = call.next;
    (*this)[call.next].prev = call.prev;
    if (call.match >= 0) {
      Entry& ret = (*this)[call.match];
      (*this)[ret.prev].next = ret.next;
      (*this)[ret.next].prev = ret.prev;
    }
  }

  void unlift(std::int32_t c) {
    Entry& call = (*this)[c];
    if (call.match >= 0) {
      Entry& ret = (*this)[call.match];
      (*this)[ret.prev].next = call.match;
      (*this)[ret.next].prev = call.match;
    }
    (*this)[call.prev].next = c;
    (*this)[call.next].prev = c;
  }

 private:
  std::vector<Entry> e_;
};

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_SRC_LINEARIZABILITY_LIN_EVENT_LIST_H_
