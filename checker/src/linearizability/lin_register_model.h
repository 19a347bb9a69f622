// The register and cas-register models. A state is the id of the value the
// register holds (0 = nil), so a step is a couple of integer compares.
#ifndef FAULTLINE_CHECKER_LIN_REGISTER_MODEL_H_
#define FAULTLINE_CHECKER_LIN_REGISTER_MODEL_H_

#include <cstdint>
#include <string>
#include <vector>

#include "linearizability/lin_ops.h"

namespace faultline::check::lin {

class RegisterModel {
 public:
  RegisterModel(const std::vector<LinOp>& ops, const std::vector<std::string>& values) : ops_(ops), values_(values) {}

  std::uint32_t init() const { return 0; }

  bool step(std::uint32_t state, std::uint32_t i, std::uint32_t& next) const {
    const LinOp& op = ops_[i];
    switch (op.kind) {
      case Kind::kRead: next = state; return state == op.a;
      case Kind::kWrite: next = op.a; return true;
      case Kind::kCas: next = op.b; return state == op.a;
      case Kind::kCasFailed: next = state; return state != op.a;
      default: return false;
    }
  }

  // Could the op `g`, whose completion is the first one pending, still be
  // linearized after some of the `window` ops (everything that may go
  // before it)? False only when it certainly cannot: no window op writes
  // the value it needs. Lets the search drop a doomed branch at once
  // instead of trying every order of the writes in it.
  bool reachable(std::uint32_t state, std::uint32_t g, const std::vector<std::uint32_t>& window) const {
    const LinOp& need = ops_[g];
    const bool equal = need.kind == Kind::kRead || need.kind == Kind::kCas;
    if (!equal && need.kind != Kind::kCasFailed) return true;
    if ((state == need.a) == equal) return true;
    for (std::uint32_t m : window) {
      const LinOp& op = ops_[m];
      if (m == g || (op.kind != Kind::kWrite && op.kind != Kind::kCas)) continue;
      const std::uint32_t written = op.kind == Kind::kWrite ? op.a : op.b;
      if ((written == need.a) == equal) return true;
    }
    return false;
  }

  std::size_t memory_bytes() const { return 0; }
  std::string describe(std::uint32_t state) const { return values_[state]; }
  std::string describe(std::uint32_t state, std::uint32_t) const { return describe(state); }

 private:
  const std::vector<LinOp>& ops_;
  const std::vector<std::string>& values_;
};

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_REGISTER_MODEL_H_
