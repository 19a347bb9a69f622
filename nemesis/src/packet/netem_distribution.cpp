#include "packet/netem_distribution.h"

#include <glob.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>

namespace faultline::nemesis {
using process::Status;

std::vector<std::string> distribution_directories() {
  std::vector<std::string> dirs;
  if (const char* env = std::getenv("FAULTLINE_TC_DIST_DIR"); env != nullptr && *env != '\0') dirs.emplace_back(env);
  // Multiarch directories (Debian: /usr/lib/x86_64-linux-gnu/tc) come first:
  // that is where the distribution's iproute2 puts them.
  glob_t g{};
  if (::glob("/usr/lib/*-linux-*/tc", GLOB_ONLYDIR, nullptr, &g) == 0) {
    for (std::size_t i = 0; i < g.gl_pathc; ++i) dirs.emplace_back(g.gl_pathv[i]);
  }
  ::globfree(&g);
  for (const char* d : {"/usr/lib/tc", "/usr/lib64/tc", "/usr/local/lib/tc"}) dirs.emplace_back(d);
  return dirs;
}

namespace {

Status parse_table(std::istream& in, const std::string& path, DistributionTable* out) {
  out->path = path;
  out->values.clear();
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.empty() || line[0] == '#') continue;  // tc's comment convention
    std::istringstream tokens(line);
    std::string token;
    while (tokens >> token) {
      char* end = nullptr;
      errno = 0;
      long v = std::strtol(token.c_str(), &end, 0);
      if (errno != 0 || end == token.c_str() || *end != '\0' || v < INT16_MIN || v > INT16_MAX) {
        return Status::failure("distribution " + path + " line " + std::to_string(line_no) + ": '" + token +
                               "' is not a 16-bit integer");
      }
      if (out->values.size() >= kNetemDistributionMax) {
        return Status::failure("distribution " + path + " has more than " + std::to_string(kNetemDistributionMax) +
                               " values (the kernel's limit)");
      }
      out->values.push_back(static_cast<std::int16_t>(v));
    }
  }
  if (out->values.empty()) return Status::failure("distribution " + path + " holds no values");
  return Status::success();
}

}  // namespace

Status load_distribution(const std::string& name_or_path, DistributionTable* out) {
  if (name_or_path.empty()) return Status::failure("empty distribution name");
  std::vector<std::string> candidates;
  if (name_or_path.find('/') != std::string::npos) {
    candidates.push_back(name_or_path);
  } else {
    for (const auto& dir : distribution_directories()) candidates.push_back(dir + "/" + name_or_path + ".dist");
  }
  for (const auto& path : candidates) {
    std::ifstream in(path);
    if (in) return parse_table(in, path, out);
  }
  std::string tried;
  for (const auto& c : candidates) tried += (tried.empty() ? "" : ", ") + c;
  return Status::failure("no netem distribution table '" + name_or_path + "' (tried " + tried +
                         "; iproute2 installs normal, pareto, paretonormal and experimental)");
}

}  // namespace faultline::nemesis
