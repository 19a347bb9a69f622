// The schedule with recording fakes in place of real faults (the real ones
// are exercised against real namespaces and nodes in harness itests).
#include "faultline/nemesis/schedule.h"

#include <gtest/gtest.h>

#include <atomic>
#include <mutex>

namespace faultline::nemesis {
namespace {
using namespace std::chrono_literals;

struct Log {
  std::mutex mu;
  std::vector<std::string> lines;
  void add(const std::string& s) {
    std::lock_guard<std::mutex> lock(mu);
    lines.push_back(s);
  }
};

class FakeFault : public Fault {
 public:
  FakeFault(std::string name, Log& log, bool fail_start = false) : name_(std::move(name)), log_(log), fail_(fail_start) {}
  std::string name() const override { return name_; }
  FaultWindow start(std::mt19937_64& rng) override {
    if (fail_) throw FaultError("cannot");
    log_.add(name_ + " start");
    return {{"n" + std::to_string(rng() % 3 + 1)}, {{"x", 1}}};
  }
  std::chrono::milliseconds hold(std::mt19937_64&, std::chrono::milliseconds) override { return 20ms; }
  nlohmann::json stop() override {
    log_.add(name_ + " stop");
    return {{"y", 2}};
  }
  std::vector<std::string> heal_all() override {
    log_.add(name_ + " heal");
    return {};
  }

 private:
  std::string name_;
  Log& log_;
  bool fail_;
};

std::vector<FaultEvent> run_schedule(std::uint64_t seed, Log& log, std::chrono::milliseconds for_how_long) {
  std::vector<std::unique_ptr<Fault>> faults;
  faults.push_back(std::make_unique<FakeFault>("a", log));
  faults.push_back(std::make_unique<FakeFault>("b", log));
  std::mutex mu;
  std::vector<FaultEvent> events;
  Schedule s(
      std::move(faults), 10ms, seed,
      [&](const FaultEvent& e) {
        std::lock_guard<std::mutex> lock(mu);
        events.push_back(e);
      },
      [](const std::string&) {});
  s.start();
  std::this_thread::sleep_for(for_how_long);
  EXPECT_TRUE(s.stop_and_heal().empty());
  EXPECT_GT(s.windows_opened(), 0);
  return events;
}

TEST(Schedule, WindowsAlternateStartStopAndEveryStartIsClosed) {
  Log log;
  auto events = run_schedule(1, log, 300ms);
  ASSERT_GE(events.size(), 4u);
  ASSERT_EQ(events.size() % 2, 0u);
  for (std::size_t i = 0; i < events.size(); i += 2) {
    EXPECT_TRUE(events[i].start);
    EXPECT_FALSE(events[i + 1].start);
    EXPECT_EQ(events[i].fault, events[i + 1].fault);
    EXPECT_EQ(events[i].nodes, events[i + 1].nodes);
    EXPECT_EQ(events[i].params["x"], 1);
    EXPECT_EQ(events[i + 1].params["y"], 2);
  }
  // stop_and_heal healed both faults at the end.
  ASSERT_GE(log.lines.size(), 2u);
  EXPECT_EQ(log.lines[log.lines.size() - 2], "a heal");
  EXPECT_EQ(log.lines.back(), "b heal");
}

TEST(Schedule, SameSeedSameSequence) {
  Log l1, l2;
  auto a = run_schedule(77, l1, 250ms);
  auto b = run_schedule(77, l2, 250ms);
  const std::size_t n = std::min(a.size(), b.size());
  ASSERT_GE(n, 4u);
  for (std::size_t i = 0; i < n; ++i) {
    EXPECT_EQ(a[i].fault, b[i].fault) << i;
    EXPECT_EQ(a[i].nodes, b[i].nodes) << i;
  }
}

TEST(Schedule, AFailedStartIsLoggedNotRecorded) {
  Log log;
  std::vector<std::unique_ptr<Fault>> faults;
  faults.push_back(std::make_unique<FakeFault>("bad", log, true));
  std::atomic<int> recorded{0};
  std::vector<std::string> logged;
  std::mutex mu;
  Schedule s(
      std::move(faults), 10ms, 1, [&](const FaultEvent&) { ++recorded; },
      [&](const std::string& line) {
        std::lock_guard<std::mutex> lock(mu);
        logged.push_back(line);
      });
  s.start();
  std::this_thread::sleep_for(100ms);
  s.stop_and_heal();
  EXPECT_EQ(recorded.load(), 0);
  EXPECT_GT(s.start_failures(), 0);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_FALSE(logged.empty());
  EXPECT_NE(logged[0].find("bad could not start: cannot"), std::string::npos);
}

TEST(Schedule, StoppingMidWindowClosesIt) {
  Log log;
  std::vector<std::unique_ptr<Fault>> faults;
  struct LongFault : FakeFault {
    using FakeFault::FakeFault;
    std::chrono::milliseconds hold(std::mt19937_64&, std::chrono::milliseconds) override { return 10s; }
  };
  faults.push_back(std::make_unique<LongFault>("long", log));
  std::vector<FaultEvent> events;
  std::mutex mu;
  Schedule s(
      std::move(faults), 1ms, 1,
      [&](const FaultEvent& e) {
        std::lock_guard<std::mutex> lock(mu);
        events.push_back(e);
      },
      [](const std::string&) {});
  s.start();
  std::this_thread::sleep_for(100ms);
  const auto t = std::chrono::steady_clock::now();
  s.stop_and_heal();
  EXPECT_LT(std::chrono::steady_clock::now() - t, 1s);
  ASSERT_EQ(events.size(), 2u);
  EXPECT_FALSE(events[1].start);
}

}  // namespace
}  // namespace faultline::nemesis
