// Mutation fuzzing of every history reader: thousands of damaged inputs
// (byte flips, truncations, insertions, deletions, duplications) derived from
// conformance files and hand-written histories, with a fixed seed. Each must
// either load or throw HistoryError; never crash, hang or throw anything
// else. Whatever loads must also survive a round trip through JSON Lines.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>
#include <random>

#include "faultline/history/jsonl.h"
#include "faultline/history/load.h"
#include "history_test_files.h"

namespace faultline::history {
namespace {

struct Seed {
  std::string name;
  std::string text;
  Format format;
};

std::string jsonl_seed() {
  std::string out = "{\"meta\":{\"workload\":\"register\",\"nodes\":[\"n1\",\"n2\"]}}\n";
  Op op;
  op.f = "cas";
  op.key = "k1";
  op.node = "n1";
  std::int64_t index = 0;
  for (int i = 0; i < 12; ++i) {
    op.index = index++;
    op.time = i * 1000;
    op.process = i % 3;
    op.type = OpType::kInvoke;
    op.value = Json::array({i, i + 1});
    op.error.clear();
    out += to_json_line(op) + "\n";
    if (i == 5) {
      NemesisEvent e;
      e.index = index++;
      e.time = i * 1000 + 1;
      e.fault = "partition";
      e.nodes = {"n1"};
      e.params = Json{{"grudge", {{"n1", {"n2"}}}}, {"note", "caf\u00e9 \"quoted\"\n"}};
      out += to_json_line(e) + "\n";
    }
    op.index = index++;
    op.type = i % 4 == 0 ? OpType::kInfo : OpType::kOk;
    op.error = i % 4 == 0 ? "timeout" : "";
    out += to_json_line(op) + "\n";
  }
  return out;
}

const char* kEdnSeed = R"(; hand-written Jepsen history
[{:process 0, :type :invoke, :f :write, :value 3, :time 10}
 {:process 0, :type :ok, :f :write, :value 3, :time 20}
 {:process :nemesis, :type :info, :f :start-partition, :value :majority}
 {:process :nemesis, :type :info, :f :start-partition, :value [:isolated {"n1" #{"n2" "n3"}}]}
 #jepsen.history.Op{:process 1, :type :invoke, :f :txn, :value [[:r 1 nil] [:append 2 "a\tb\u00e9"]]}
 #_ {:process 9, :type :invoke}
 {:process 1, :type :info, :f :txn, :value :timed-out, :error [:timeout "5s"]}
 {:process 2, :type :invoke, :f :cas, :key 7, :value [1/2 2.5M 3N \c \newline ##Inf]}
 {:process 2, :type :fail, :f :cas, :key 7, :value #{1 2}, :node "n2"}]
)";

std::vector<Seed> seeds() {
  std::vector<Seed> out;
  const std::string dir = testing::conformance_dir();
  for (const char* name : {"/jepsen/etcd_000.log", "/jepsen/etcd_100.log", "/jepsen/etcd_050.log"}) {
    out.push_back({name, testing::slurp(dir + name), Format::kJepsenLog});
  }
  for (const char* name : {"/kv/c01-ok.txt", "/kv/c01-bad.txt"}) {
    out.push_back({name, testing::slurp(dir + name), Format::kEdn});
  }
  out.push_back({"jsonl", jsonl_seed(), Format::kJsonl});
  out.push_back({"edn", kEdnSeed, Format::kEdn});
  for (const Seed& s : out) EXPECT_FALSE(s.text.empty()) << s.name;
  return out;
}

// Fragments that tend to reach corners of the parsers.
const std::vector<std::string> kTokens = {
    "[", "]", "{", "}", "(", ")", "\"", "\\", "#_", "#", "#{", "##", "#:", ":", ";", ",", "\n", "\r\n", "\t",
    "\\u", "\\ud800", "nil", "-", "+", "N", "M", "/", "1/0", "99999999999999999999999", "1e999", "-0",
    "\xff", "\xc3", std::string(1, '\0'), "null", "true", "\"index\":", "\"process\":\"nemesis\"", ":process",
    ":nemesis", ":type :info", "jepsen.util - ", "{\"meta\":", "[[[[[[[[", "]]]]]]]]", "\\newline", "#inst",
};

std::string mutate(std::string text, std::mt19937_64& rng) {
  auto pick = [&](std::size_t n) { return n == 0 ? 0 : static_cast<std::size_t>(rng() % n); };
  const int rounds = 1 + static_cast<int>(pick(4));
  for (int r = 0; r < rounds; ++r) {
    const std::size_t at = pick(text.size() + 1);
    switch (pick(7)) {
      case 0:  // flip a byte to anything
        if (!text.empty()) text[pick(text.size())] = static_cast<char>(rng());
        break;
      case 1:  // flip one bit
        if (!text.empty()) text[pick(text.size())] ^= static_cast<char>(1 << pick(8));
        break;
      case 2:  // truncate
        text.resize(at);
        break;
      case 3:  // insert a token
        text.insert(at, kTokens[pick(kTokens.size())]);
        break;
      case 4:  // insert random bytes
        for (std::size_t n = 1 + pick(8); n > 0; --n) text.insert(text.begin() + static_cast<long>(at), static_cast<char>(rng()));
        break;
      case 5:  // delete a range
        text.erase(at, 1 + pick(40));
        break;
      case 6: {  // duplicate a range elsewhere
        const std::size_t len = std::min<std::size_t>(1 + pick(80), text.size() - std::min(at, text.size()));
        const std::string piece = text.substr(at, len);
        text.insert(pick(text.size() + 1), piece);
        break;
      }
    }
  }
  return text;
}

// Loads `text`; returns "" on success or HistoryError, else a description.
std::string try_load(const std::string& text, Format format, std::size_t& loaded) {
  try {
    const History h = parse_history(text, format, "fuzz");
    // Whatever loads must be writable and read back the same size.
    std::string round;
    if (!h.meta.empty()) round += meta_json_line(h.meta) + "\n";
    std::size_t o = 0;
    std::size_t n = 0;
    while (o < h.ops.size() || n < h.nemesis.size()) {
      if (n >= h.nemesis.size() || (o < h.ops.size() && h.ops[o].index < h.nemesis[n].index)) {
        round += to_json_line(h.ops[o++]) + "\n";
      } else {
        round += to_json_line(h.nemesis[n++]) + "\n";
      }
    }
    const History back = read_jsonl_text(round, "round-trip");
    if (back.ops.size() != h.ops.size() || back.nemesis.size() != h.nemesis.size()) {
      return "round trip changed the number of events";
    }
    ++loaded;
    return "";
  } catch (const HistoryError& e) {
    if (e.pos().file.empty()) return std::string("HistoryError without a file: ") + e.what();
    return "";
  } catch (const std::exception& e) {
    return std::string("unexpected exception: ") + e.what();
  } catch (...) {
    return "unexpected non-std exception";
  }
}

std::string printable(const std::string& s) {
  std::string out;
  for (unsigned char c : s.substr(0, 400)) {
    if (c >= 0x20 && c < 0x7F) out += static_cast<char>(c);
    else out += "\\x" + std::string(1, "0123456789abcdef"[c >> 4]) + "0123456789abcdef"[c & 15];
  }
  return out;
}

// FAULTLINE_FUZZ_SEED and FAULTLINE_FUZZ_PER_SEED override the fixed seed
// and the count, for longer runs by hand; CI uses the defaults.
std::uint64_t env_or(const char* name, std::uint64_t fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::strtoull(v, nullptr, 10) : fallback;
}

TEST(HistoryFuzz, DamagedInputsLoadOrFailCleanly) {
  std::mt19937_64 rng(env_or("FAULTLINE_FUZZ_SEED", 20240611));
  const std::vector<Seed> all = seeds();
#if defined(__SANITIZE_ADDRESS__)
  constexpr std::uint64_t kDefaultPerSeed = 400;  // sanitizers run ~10x slower
#else
  constexpr std::uint64_t kDefaultPerSeed = 1500;
#endif
  const int kPerSeed = static_cast<int>(env_or("FAULTLINE_FUZZ_PER_SEED", kDefaultPerSeed));
  std::size_t total = 0;
  std::size_t loaded = 0;
  const auto start = std::chrono::steady_clock::now();
  for (const Seed& seed : all) {
    std::size_t ok = 0;
    ASSERT_EQ(try_load(seed.text, seed.format, ok), "") << seed.name << " does not load unmutated";
    for (int i = 0; i < kPerSeed; ++i) {
      const std::string damaged = mutate(seed.text, rng);
      // Both as its own format and as sniffed: a damaged file may now look
      // like another format, and every reader must cope.
      for (Format f : {seed.format, Format::kAuto}) {
        const std::string problem = try_load(damaged, f, loaded);
        ++total;
        ASSERT_EQ(problem, "") << seed.name << " mutation " << i << " as " << to_string(f) << ":\n"
                               << printable(damaged);
      }
    }
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::cout << total << " damaged inputs in " << seconds << " s; " << loaded << " still loaded\n";
  EXPECT_GT(loaded, 0u);
  EXPECT_LT(loaded, total);
}

TEST(HistoryFuzz, EveryPrefixOfEverySeedLoadsOrFailsCleanly) {
  std::size_t loaded = 0;
  for (const Seed& seed : seeds()) {
    const std::string text = seed.text.substr(0, 3000);
    for (std::size_t cut = 0; cut <= text.size(); cut += 7) {
      ASSERT_EQ(try_load(text.substr(0, cut), seed.format, loaded), "") << seed.name << " cut at " << cut;
    }
  }
}

}  // namespace
}  // namespace faultline::history
