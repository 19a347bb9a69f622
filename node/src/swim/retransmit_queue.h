// The queue of updates waiting to be piggybacked on outgoing packets.
//
// Each update is sent at most `limit` times (the caller passes
// lambda * ceil(log10(n + 1))). Packing takes the least-sent updates first,
// newest first among equals, so fresh news overtakes news most members have
// already heard. A newer update about the same member replaces the queued one
// (its count restarts at zero): nobody needs the superseded one.
#ifndef FAULTLINE_NODE_RETRANSMIT_QUEUE_H_
#define FAULTLINE_NODE_RETRANSMIT_QUEUE_H_

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "swim/swim_state.h"

namespace faultline::node::swim {

class RetransmitQueue {
 public:
  // `encoded` is the update's wire form (see swim_wire.h).
  void push(MemberIdx about, std::string encoded);

  // Takes updates, least-sent first, whose encoded sizes sum to at most
  // `budget` bytes; each taken one counts one transmission and leaves the
  // queue once sent `limit` times. Returns them in packing order.
  std::vector<std::string> take(std::size_t budget, int limit);

  std::size_t size() const { return items_.size(); }
  bool empty() const { return items_.empty(); }
  // Times the queued update about `about` was sent; -1 if none is queued.
  int transmits(MemberIdx about) const;
  void clear();

 private:
  struct Key {
    int transmits;
    std::uint64_t seq;  // higher = newer
    bool operator<(const Key& o) const {
      return transmits != o.transmits ? transmits < o.transmits : seq > o.seq;
    }
  };
  struct Item {
    MemberIdx about;
    std::string encoded;
  };
  std::map<Key, Item> items_;
  std::map<MemberIdx, Key> by_member_;
  std::uint64_t next_seq_ = 0;
};

}  // namespace faultline::node::swim

#endif  // FAULTLINE_NODE_RETRANSMIT_QUEUE_H_
