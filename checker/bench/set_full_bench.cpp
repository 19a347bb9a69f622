// set_full_bench: times the set-full checker on generated 1,000,000-event
// set histories. Target (issue 3): under 3 s for a 1,000,000-operation set
// history, on the project's 2-core machine, single-threaded.
//
// Two shapes, both from a simulated store with 10 clients whose operations
// take 0.2-5 ms and take effect at one instant inside that window:
//
//   one-set  every add goes to one set; one operation in 2,500 is a read of
//            the whole set, so reads grow from 0 to ~495,000 elements (mean
//            ~250,000) and the history returns ~50 million elements in all.
//            This is the shape that makes a per-element-per-read scan
//            quadratic (495k elements x 200 reads).
//   per-key  Jepsen's independent-keys shape: each key takes 1,000 adds,
//            10% of operations are reads of the current key (up to 1,000
//            elements, mean ~500), then 10 final reads close the key;
//            ~450 keys and ~25 million returned elements in all.
//
// A few anomalies are injected (a lost element per 100,000 adds, a stale read
// per 10,000 reads) so the reporting paths run too. Generation is not timed.
//
// Usage: set_full_bench [--runs N] [--events N] [--shape one-set|per-key|both]
//                       [--read-every N]   (one-set: one read per N operations)
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <queue>
#include <random>
#include <string>
#include <vector>

#include "set_full.h"

namespace {

using faultline::history::History;
using faultline::history::Json;
using faultline::history::Op;
using faultline::history::OpType;

struct Shape {
  std::string name;
  double read_share;      // fraction of operations that are reads
  int adds_per_key;       // 0 = one set
  int final_reads = 10;   // reads closing each key (or the run)
};

struct Generated {
  History history;
  std::size_t reads = 0, adds = 0, returned = 0, largest = 0;
  std::size_t injected_lost = 0, injected_stale = 0;
};

struct Event {
  std::int64_t time;
  Op op;
};
struct Effect {
  std::int64_t time;
  std::int32_t key;
  std::int64_t element;     // for adds
  std::size_t read_event;   // for reads; SIZE_MAX for adds
  bool lose_later;          // injected loss: vanishes at a later read
};

// Applies the effects in time order and fills in what each read returned.
// Sets only grow, so a key's state is its applied elements in order; a read
// returns a copy of it (less the injected losses and stale misses).
void apply_effects(std::vector<Effect>& effects, std::int32_t keys, std::vector<Event>& evs, std::mt19937_64& rng,
                   std::uniform_real_distribution<double>& u, Generated& g) {
  std::sort(effects.begin(), effects.end(), [](const Effect& a, const Effect& b) { return a.time < b.time; });
  std::vector<std::vector<std::int64_t>> state(static_cast<std::size_t>(keys));
  std::vector<std::vector<std::int64_t>> doomed(state.size());  // injected losses, per key
  for (const Effect& e : effects) {
    auto& set = state[static_cast<std::size_t>(e.key)];
    if (e.read_event == SIZE_MAX) {
      set.push_back(e.element);
      if (e.lose_later) {
        doomed[static_cast<std::size_t>(e.key)].push_back(e.element);
        ++g.injected_lost;
      }
      continue;
    }
    // Losses strike at the next read after the add; then the element is gone.
    for (std::int64_t lost : doomed[static_cast<std::size_t>(e.key)]) set.erase(std::find(set.begin(), set.end(), lost));
    doomed[static_cast<std::size_t>(e.key)].clear();
    std::size_t shown = set.size();
    if (u(rng) < 1e-4 && shown > 5) {  // injected stale read: misses the newest few
      shown -= 5;
      ++g.injected_stale;
    }
    Json::array_t items;
    items.reserve(shown);
    for (std::size_t i = 0; i < shown; ++i) items.emplace_back(set[i]);
    g.returned += shown;
    g.largest = std::max(g.largest, shown);
    evs[e.read_event].op.value = Json(std::move(items));
  }
}

Generated generate(const Shape& shape, std::size_t events, std::uint64_t seed) {
  constexpr int kClients = 10;
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<Event> evs;
  evs.reserve(events + 16);
  std::vector<Effect> effects;
  effects.reserve(events / 2 + 16);

  // Clients by next free time; each issues its next operation when free.
  using Slot = std::pair<std::int64_t, int>;
  std::priority_queue<Slot, std::vector<Slot>, std::greater<>> free_at;
  for (int c = 0; c < kClients; ++c) free_at.emplace(static_cast<std::int64_t>(c) * 100'000, c);
  std::vector<std::int64_t> process(kClients);
  for (int c = 0; c < kClients; ++c) process[c] = c;
  std::int64_t next_process = kClients, next_element = 0;
  std::int32_t key = 0;
  int adds_in_key = 0, closing_reads = -1;  // -1: not closing
  const std::size_t ops = events / 2;
  std::size_t issued = 0;
  Generated g;
  while (issued < ops) {
    auto [t, c] = free_at.top();
    free_at.pop();
    const std::int64_t latency = 200'000 + static_cast<std::int64_t>(u(rng) * u(rng) * 4'800'000);
    const std::int64_t begin = t, end = t + latency;
    const std::int64_t effect = begin + 1 + static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(latency - 1));
    const bool final_phase = shape.adds_per_key == 0 && issued + static_cast<std::size_t>(shape.final_reads) >= ops;
    bool read = final_phase || closing_reads > 0 || u(rng) < shape.read_share;
    Op inv;
    inv.process = process[c];
    inv.type = OpType::kInvoke;
    inv.time = begin;
    if (shape.adds_per_key > 0) inv.key = "k" + std::to_string(key);
    Op done = inv;
    done.time = end;
    if (read) {
      inv.f = done.f = "read";
      done.type = OpType::kOk;
      evs.push_back(Event{begin, inv});
      evs.push_back(Event{end, done});
      effects.push_back(Effect{effect, key, 0, evs.size() - 1, false});
      ++g.reads;
      if (closing_reads > 0 && --closing_reads == 0) {
        closing_reads = -1;
        ++key;
        adds_in_key = 0;
      }
    } else {
      const std::int64_t element = next_element++;
      inv.f = done.f = "add";
      inv.value = element;
      done.value = element;
      const double roll = u(rng);
      evs.push_back(Event{begin, inv});
      ++g.adds;
      if (roll < 0.01) {  // timed out: may or may not have happened
        done.type = OpType::kInfo;
        done.value = nullptr;
        done.error = "timeout";
        evs.push_back(Event{end, done});
        if (u(rng) < 0.5) effects.push_back(Effect{effect, key, element, SIZE_MAX, false});
        process[c] = next_process++;
      } else if (roll < 0.02) {
        done.type = OpType::kFail;
        done.error = "unavailable";
        evs.push_back(Event{end, done});
      } else {
        done.type = OpType::kOk;
        evs.push_back(Event{end, done});
        effects.push_back(Effect{effect, key, element, SIZE_MAX, u(rng) < 1e-5});
      }
      if (shape.adds_per_key > 0 && ++adds_in_key == shape.adds_per_key) closing_reads = shape.final_reads;
    }
    ++issued;
    free_at.emplace(end + static_cast<std::int64_t>(rng() % 50'000), c);
  }

  apply_effects(effects, key + 1, evs, rng, u, g);
  std::stable_sort(evs.begin(), evs.end(), [](const Event& a, const Event& b) { return a.time < b.time; });
  g.history.ops.reserve(evs.size());
  for (auto& e : evs) {
    e.op.index = static_cast<std::int64_t>(g.history.ops.size());
    g.history.ops.push_back(std::move(e.op));
  }
  return g;
}

void run(const Shape& shape, std::size_t events, int runs) {
  Generated g = generate(shape, events, 42);
  std::printf("%s: %zu events, %zu adds, %zu reads; read sizes: mean %.0f, largest %zu; %zu elements returned in all\n",
              shape.name.c_str(), g.history.ops.size(), g.adds, g.reads,
              g.reads ? static_cast<double>(g.returned) / static_cast<double>(g.reads) : 0.0, g.largest, g.returned);
  std::printf("  injected: %zu lost elements, %zu stale reads (each hiding up to 5 elements)\n", g.injected_lost,
              g.injected_stale);
  std::vector<double> seconds, cpu;
  faultline::check::Result last;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const std::clock_t c0 = std::clock();
    last = faultline::check::check_set_full(g.history);
    const std::clock_t c1 = std::clock();
    const auto t1 = std::chrono::steady_clock::now();
    seconds.push_back(std::chrono::duration<double>(t1 - t0).count());
    cpu.push_back(static_cast<double>(c1 - c0) / CLOCKS_PER_SEC);
    std::printf("  run %d: %.3f s wall, %.3f s CPU\n", r + 1, seconds.back(), cpu.back());
  }
  const auto& d = last.details;
  std::printf("  verdict %s: stable %s, lost %s, stale %s, never-read %s, keys %s\n",
              faultline::check::validity_to_json(last.valid).dump().c_str(), d["stable_count"].dump().c_str(),
              d["lost_count"].dump().c_str(), d["stale_count"].dump().c_str(), d["never_read_count"].dump().c_str(),
              d["key_count"].dump().c_str());
  std::sort(seconds.begin(), seconds.end());
  std::sort(cpu.begin(), cpu.end());
  const double median = seconds[seconds.size() / 2];
  std::printf("  median of %d: %.3f s wall (min %.3f, max %.3f), %.3f s CPU; target < 3.000 s: %s\n", runs, median,
              seconds.front(), seconds.back(), cpu[cpu.size() / 2], median < 3.0 ? "met" : "MISSED");
}

}  // namespace

int main(int argc, char** argv) {
  int runs = 5;
  std::size_t events = 1'000'000;
  std::string which = "both";
  double read_every = 2500;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!std::strcmp(argv[i], "--runs")) runs = std::max(1, std::atoi(argv[i + 1]));
    else if (!std::strcmp(argv[i], "--events")) events = std::strtoull(argv[i + 1], nullptr, 10);
    else if (!std::strcmp(argv[i], "--shape")) which = argv[i + 1];
    else if (!std::strcmp(argv[i], "--read-every")) read_every = std::max(1.0, std::atof(argv[i + 1]));
  }
  if (which == "one-set" || which == "both") run(Shape{"one-set", 1.0 / read_every, 0}, events, runs);
  if (which == "per-key" || which == "both") run(Shape{"per-key", 0.10, 1000}, events, runs);
  return 0;
}
