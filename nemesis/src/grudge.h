// Partitions as data (Jepsen's "grudge"): for each node, the nodes whose
// packets it drops. A grudge is directional on purpose: A dropping B's packets
// while B still hears A is the one-way fault that breaks naive failure
// detectors. Topologies are drawn from a seeded RNG, so a run's partitions
// depend only on its seed.
//
// Invariant: a grudge never names a node outside the list it was made from
// and never makes a node drop its own packets.
#ifndef FAULTLINE_NEMESIS_GRUDGE_H_
#define FAULTLINE_NEMESIS_GRUDGE_H_

#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace faultline::nemesis {

using Grudge = std::map<std::string, std::set<std::string>>;

// "halves", "random-halves", "one", "bridge", "majorities-ring", "one-way".
const std::vector<std::string>& partition_topologies();

// Nodes in different components drop each other's packets.
Grudge complete_grudge(const std::vector<std::vector<std::string>>& components);

// One grudge of the named topology over `nodes` (at least 2). Throws
// std::invalid_argument naming the topology or the problem.
//   halves           first half | second half (in the order given)
//   random-halves    the same after a shuffle
//   one              one random node isolated from every other
//   bridge           two halves that cannot talk, one node that talks to both
//   majorities-ring  nodes on a shuffled ring each see a majority, no two the same one
//   one-way          nobody hears one random node, which still hears everyone
Grudge make_grudge(const std::string& topology, const std::vector<std::string>& nodes, std::mt19937_64& rng);

// {"n1": ["n3", "n4"], ...}; nodes that drop nothing are left out.
nlohmann::json grudge_to_json(const Grudge& grudge);

}  // namespace faultline::nemesis

#endif  // FAULTLINE_NEMESIS_GRUDGE_H_
