// The ssh backend's pure parts: reading nodes files and --node flags, and
// the shell quoting every remote command goes through (checked by a real
// /bin/sh reading the words back).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "ssh/ssh_session.h"
#include "faultline/harness/backend.h"
#include "faultline/process/command.h"
#include "faultline/testing/test_dir.h"

namespace {

namespace fs = std::filesystem;
using faultline::harness::parse_node_flags;
using faultline::harness::read_nodes_file;
using faultline::harness::shell_join;
using faultline::harness::shell_quote;
using faultline::node::testing::TestDir;

fs::path write(const TestDir& dir, const std::string& name, const std::string& text) {
  const fs::path p = dir.path() / name;
  std::ofstream(p) << text;
  return p;
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  return "";
}

TEST(NodesFile, ReadsVagrantsFormatBareHostsAndComments) {
  TestDir dir("nodes-file");
  // vagrant/provision-controller.sh writes `name address` lines.
  auto hosts = read_nodes_file(write(dir, "a", "# cluster\nn1 192.168.56.11\n\n  n2 192.168.56.12  # second\n"));
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].name, "n1");
  EXPECT_EQ(hosts[1].host, "192.168.56.12");
  hosts = read_nodes_file(write(dir, "b", "10.0.0.5\nnode-b.example\n"));
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].name, "n1");
  EXPECT_EQ(hosts[1].name, "n2");
  EXPECT_EQ(hosts[1].host, "node-b.example");
}

TEST(NodesFile, BadFilesNameFileAndLine) {
  TestDir dir("nodes-file-bad");
  const fs::path missing = dir.path() / "missing";
  EXPECT_NE(error_of([&] { read_nodes_file(missing); }).find(missing.string() + ": cannot be read"), std::string::npos);
  EXPECT_NE(error_of([&] { read_nodes_file(write(dir, "e", "# none\n\n")); }).find("no hosts"), std::string::npos);
  EXPECT_NE(error_of([&] { read_nodes_file(write(dir, "w", "n1 a b\n")); }).find("line 1: expected"), std::string::npos);
  EXPECT_NE(error_of([&] { read_nodes_file(write(dir, "d", "a\n\nb\na\n")); }).find("line 4: host 'a' given twice"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_nodes_file(write(dir, "o", "-oProxyCommand=x\n")); }).find("bad host"),
            std::string::npos);
  EXPECT_NE(error_of([&] { read_nodes_file(write(dir, "n", "bad/name h1\n")); }).find("bad node name"),
            std::string::npos);
}

TEST(NodeFlags, HostOrNameEqualsHost) {
  auto hosts = parse_node_flags({"10.1.1.1", "db=10.1.1.2"});
  ASSERT_EQ(hosts.size(), 2u);
  EXPECT_EQ(hosts[0].name, "n1");
  EXPECT_EQ(hosts[1].name, "db");
  EXPECT_EQ(hosts[1].host, "10.1.1.2");
  EXPECT_NE(error_of([] { parse_node_flags({"h", "h"}); }).find("--node h: host 'h' given twice"), std::string::npos);
}

TEST(ShellQuote, EveryWordSurvivesARealShell) {
  const std::vector<std::string> words = {"plain", "", "two words", "it's", "$(reboot)", "`x`", "a\"b", "back\\slash",
                                          "semi;colon", "new\nline", "*", "~root", "add table inet t; delete table inet t"};
  // printf prints each word between markers; the shell must hand them over unchanged.
  std::vector<std::string> argv = {"printf", "<%s>"};
  argv.insert(argv.end(), words.begin(), words.end());
  auto r = faultline::process::run_command({"/bin/sh", "-c", shell_join(argv)});
  ASSERT_TRUE(r.succeeded()) << r.describe();
  std::string want;
  for (const auto& w : words) want += "<" + w + ">";
  EXPECT_EQ(r.output, want);
  EXPECT_EQ(shell_quote("n1"), "n1");  // readable where nothing needs quoting
  EXPECT_EQ(shell_quote("it's"), "'it'\\''s'");
}

}  // namespace
