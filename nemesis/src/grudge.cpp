#include "grudge.h"

#include <algorithm>
#include <stdexcept>

#include "faultline/nemesis/random.h"
#include "faults/faults.h"

namespace faultline::nemesis {
namespace {

std::vector<std::string> shuffled(std::vector<std::string> nodes, std::mt19937_64& rng) {
  shuffle_portably(nodes, rng);
  return nodes;
}

// Everyone drops everyone not in its visible set.
Grudge from_visibility(const std::vector<std::string>& nodes, const std::map<std::string, std::set<std::string>>& sees) {
  Grudge g;
  for (const auto& a : nodes)
    for (const auto& b : nodes)
      if (a != b && !sees.at(a).count(b)) g[a].insert(b);
  return g;
}

}  // namespace

const std::vector<std::string>& partition_topologies() {
  static const std::vector<std::string> kTopologies = {"halves", "random-halves", "one", "bridge", "majorities-ring",
                                                       "one-way"};
  return kTopologies;
}

Grudge complete_grudge(const std::vector<std::vector<std::string>>& components) {
  Grudge g;
  for (std::size_t i = 0; i < components.size(); ++i)
    for (std::size_t j = 0; j < components.size(); ++j)
      if (i != j)
        for (const auto& a : components[i])
          for (const auto& b : components[j]) g[a].insert(b);
  return g;
}

Grudge make_grudge(const std::string& topology, const std::vector<std::string>& nodes, std::mt19937_64& rng) {
  if (nodes.size() < 2) {
    throw std::invalid_argument("a partition needs at least 2 nodes, got " + std::to_string(nodes.size()));
  }
  if (std::set<std::string>(nodes.begin(), nodes.end()).size() != nodes.size()) {
    throw std::invalid_argument("a partition's node list names a node twice");
  }
  auto halves = [](const std::vector<std::string>& v) {
    const std::size_t mid = v.size() / 2;
    return std::vector<std::vector<std::string>>{{v.begin(), v.begin() + mid}, {v.begin() + mid, v.end()}};
  };
  if (topology == "halves") return complete_grudge(halves(nodes));
  if (topology == "random-halves") return complete_grudge(halves(shuffled(nodes, rng)));
  if (topology == "one") {
    std::vector<std::string> v = shuffled(nodes, rng);
    return complete_grudge({{v.front()}, {v.begin() + 1, v.end()}});
  }
  if (topology == "bridge") {
    if (nodes.size() < 3) throw std::invalid_argument("a bridge partition needs at least 3 nodes");
    // Jepsen's bridge: two halves around one node that is in both.
    std::vector<std::string> v = shuffled(nodes, rng);
    v.pop_back();  // the bridge: in neither component, so it hears and is heard by all
    return complete_grudge(halves(v));
  }
  if (topology == "majorities-ring") {
    if (nodes.size() < 3) throw std::invalid_argument("a majorities-ring partition needs at least 3 nodes");
    // On a shuffled ring each node sees itself and the next majority-1 nodes
    // split around it (one more on the right when that count is odd).
    std::vector<std::string> ring = shuffled(nodes, rng);
    const std::size_t n = ring.size();
    const std::size_t majority = n / 2 + 1;
    const std::size_t others = majority - 1;
    const std::size_t left = others / 2, right = others - left;
    std::map<std::string, std::set<std::string>> sees;
    for (std::size_t i = 0; i < n; ++i) {
      auto& s = sees[ring[i]];
      s.insert(ring[i]);
      for (std::size_t k = 1; k <= left; ++k) s.insert(ring[(i + n - k) % n]);
      for (std::size_t k = 1; k <= right; ++k) s.insert(ring[(i + k) % n]);
    }
    return from_visibility(ring, sees);
  }
  if (topology == "one-way") {
    std::vector<std::string> v = shuffled(nodes, rng);
    Grudge g;
    for (std::size_t i = 1; i < v.size(); ++i) g[v[i]].insert(v.front());
    return g;
  }
  throw std::invalid_argument("unknown partition topology '" + topology + "' (known: " + join(partition_topologies()) +
                              ")");
}

nlohmann::json grudge_to_json(const Grudge& grudge) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [node, drops] : grudge)
    if (!drops.empty()) out[node] = std::vector<std::string>(drops.begin(), drops.end());
  return out;
}

}  // namespace faultline::nemesis
