#include "rate_limiter.h"

#include <cmath>
#include <limits>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

namespace faultline::workloads {
namespace {

using Clock = std::chrono::steady_clock;

TEST(RateLimiter, FiftyPerSecondOverFourThreadsForOneSecondIsAboutFifty) {
  RateLimiter limiter(50);
  std::atomic<bool> stop{false};
  std::atomic<int> granted{0};
  const auto deadline = Clock::now() + std::chrono::seconds(1);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      while (limiter.acquire(stop, deadline)) ++granted;
    });
  for (auto& t : threads) t.join();
  // Slots every 20 ms from 0 to 980 ms: 50, give or take scheduling.
  EXPECT_GE(granted.load(), 47);
  EXPECT_LE(granted.load(), 51);
}

TEST(RateLimiter, ZeroMeansUnlimited) {
  RateLimiter limiter(0);
  std::atomic<bool> stop{false};
  const auto start = Clock::now();
  for (int i = 0; i < 100000; ++i) ASSERT_TRUE(limiter.acquire(stop, Clock::now() + std::chrono::seconds(10)));
  EXPECT_LT(Clock::now() - start, std::chrono::seconds(1));
}

TEST(RateLimiter, StopWakesAWaiterPromptly) {
  RateLimiter limiter(0.1);  // one slot per 10 s
  std::atomic<bool> stop{false};
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  ASSERT_TRUE(limiter.acquire(stop, deadline));
  std::thread stopper([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    stop = true;
  });
  const auto start = Clock::now();
  EXPECT_FALSE(limiter.acquire(stop, deadline));
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(500));
  stopper.join();
}

TEST(RateLimiter, RefusesASlotAtOrAfterTheDeadlineWithoutWaiting) {
  RateLimiter limiter(1);
  std::atomic<bool> stop{false};
  const auto deadline = Clock::now() + std::chrono::milliseconds(500);
  ASSERT_TRUE(limiter.acquire(stop, deadline));
  const auto start = Clock::now();
  EXPECT_FALSE(limiter.acquire(stop, deadline));  // next slot at +1 s
  EXPECT_LT(Clock::now() - start, std::chrono::milliseconds(100));
}

TEST(RateLimiter, RejectsNegativeAndNonFiniteRates) {
  EXPECT_THROW(RateLimiter(-1), std::invalid_argument);
  EXPECT_THROW(RateLimiter(std::numeric_limits<double>::infinity()), std::invalid_argument);
  EXPECT_THROW(RateLimiter(std::nan("")), std::invalid_argument);
}

}  // namespace
}  // namespace faultline::workloads
