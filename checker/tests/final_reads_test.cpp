// Keys the final phase left unread: an acknowledged write that only the
// missing read could have proven makes the verdict unknown, never valid.
#include "final_reads.h"

#include <gtest/gtest.h>

#include "faultline/checker/registry.h"
#include "scripted_history.h"

namespace faultline::check {
namespace {

using faultline::testing::Json;
using faultline::testing::Script;

history::History with_unread(history::History h, std::vector<std::string> keys) {
  h.meta["final_phase"] = {{"keys", 10}, {"unread", keys}};
  return h;
}

TEST(FinalReads, AnAckedWriteNoReadCameAfterIsUnproven) {
  Script s;
  s.invoke(0, "write", 1, "a");
  s.ok(0);
  s.invoke(1, "read", nullptr, "a");
  s.ok(1, 1);                        // proves the first write
  const auto w2 = s.invoke(0, "write", 2, "a");
  s.ok(0);                           // nothing read after it
  const history::History h = with_unread(s.history(), {"a"});
  const Result r = check_final_reads(h);
  EXPECT_EQ(r.valid, Validity::kUnknown);
  ASSERT_TRUE(r.details["unproven"].contains("a")) << r.details.dump();
  EXPECT_EQ(r.details["unproven"]["a"][0]["invoke"], w2);
  EXPECT_EQ(r.details["unproven_write_count"], 1);
  // The whole check of the register history is then unknown, not valid.
  EXPECT_EQ(check_history(h, "register", {}).valid, Validity::kUnknown);
}

TEST(FinalReads, AKeyWhoseWritesWereAllReadAfterDoesNotMatter) {
  Script s;
  s.invoke(0, "write", 1, "a");
  s.ok(0);
  s.invoke(1, "read", nullptr, "a");
  s.ok(1, 1);
  s.invoke(0, "write", 2, "b");
  s.fail(0);                         // never happened: nothing to prove
  const history::History h = with_unread(s.history(), {"a", "b"});
  const Result r = check_final_reads(h);
  EXPECT_EQ(r.valid, Validity::kValid) << r.details.dump();
  EXPECT_EQ(r.details["unread_key_count"], 2);
  EXPECT_EQ(check_history(h, "register", {}).valid, Validity::kValid);
}

TEST(FinalReads, AnInvalidHistoryStaysInvalid) {
  Script s;
  s.invoke(0, "write", 1, "a");
  s.ok(0);
  s.invoke(0, "write", 2, "a");
  s.ok(0);
  s.invoke(1, "read", nullptr, "a");
  s.ok(1, 1);                        // stale
  s.invoke(0, "write", 3, "b");
  s.ok(0);                           // unproven
  EXPECT_EQ(check_history(with_unread(s.history(), {"b"}), "register", {}).valid, Validity::kInvalid);
}

TEST(FinalReads, WithoutUnreadKeysTheCheckerIsNotRun) {
  Script s;
  s.invoke(0, "write", 3, "b");
  s.ok(0);
  const Report rep = check_history(with_unread(s.history(), {}), "register", {});
  for (const auto& r : rep.results) EXPECT_NE(r.checker, "final-reads");
  EXPECT_EQ(check_final_reads(s.history()).valid, Validity::kValid);
}

}  // namespace
}  // namespace faultline::check
