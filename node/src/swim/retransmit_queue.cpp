#include "swim/retransmit_queue.h"

namespace faultline::node::swim {

void RetransmitQueue::push(MemberIdx about, std::string encoded) {
  if (auto it = by_member_.find(about); it != by_member_.end()) {
    items_.erase(it->second);
    by_member_.erase(it);
  }
  const Key k{0, next_seq_++};
  items_.emplace(k, Item{about, std::move(encoded)});
  by_member_.emplace(about, k);
}

std::vector<std::string> RetransmitQueue::take(std::size_t budget, int limit) {
  std::vector<std::string> out;
  std::vector<std::map<Key, Item>::iterator> taken;
  for (auto it = items_.begin(); it != items_.end() && budget > 0; ++it) {
    if (it->second.encoded.size() > budget) continue;  // a smaller one may still fit
    budget -= it->second.encoded.size();
    out.push_back(it->second.encoded);
    taken.push_back(it);
  }
  for (auto it : taken) {
    Key k = it->first;
    Item item = std::move(it->second);
    items_.erase(it);
    ++k.transmits;
    if (k.transmits >= limit) {
      by_member_.erase(item.about);
      continue;
    }
    by_member_[item.about] = k;
    items_.emplace(k, std::move(item));
  }
  return out;
}

int RetransmitQueue::transmits(MemberIdx about) const {
  auto it = by_member_.find(about);
  return it == by_member_.end() ? -1 : it->second.transmits;
}

void RetransmitQueue::clear() {
  items_.clear();
  by_member_.clear();
}

}  // namespace faultline::node::swim
