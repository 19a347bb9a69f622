// The compact form the linearizability search works on: every operation
// reduced to a kind, interned integer arguments and two event positions, and
// the history split into independent sub-histories (one per key, or one for
// the whole map). Nothing here touches JSON or std::string after prepare().
#ifndef FAULTLINE_CHECKER_LIN_OPS_H_
#define FAULTLINE_CHECKER_LIN_OPS_H_

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "faultline/history/event.h"
#include "linearizability/linearizability.h"
#include "faultline/history/pairing.h"

namespace faultline::check::lin {

enum class Kind : std::uint8_t {
  kRead,       // register read: state == a
  kWrite,      // register write: state := a
  kCas,        // state == a, then state := b
  kCasFailed,  // a comparison that found another value: state != a, no effect
  kGet,        // kv: value of key == a
  kPut,        // kv: value of key := a
  kAppend,     // kv: value of key += a
};

// A completion position that never comes: the operation may take effect at
// any time after its invocation.
inline constexpr std::uint32_t kNever = UINT32_MAX;

struct LinOp {
  Kind kind = Kind::kRead;
  // Must be linearized (ok, or an observed failed comparison). Otherwise it may be linearized
  // inside its window or not at all.
  bool definite = true;
  std::uint32_t key = 0;     // key id (Prepared::keys)
  std::uint32_t a = 0;       // value id: read/get result, write/put/append argument, cas from
  std::uint32_t b = 0;       // value id: cas to
  std::uint32_t call = 0;    // position of the invocation in the event order
  std::uint32_t ret = kNever;  // position of the completion, or kNever
  std::uint32_t source = 0;  // index into Prepared::operations
};

struct Prepared {
  LinModel model = LinModel::kCasRegister;
  std::vector<history::Operation> operations;  // pairing of History::ops
  std::vector<LinOp> ops;                      // constraining operations, in invocation order
  std::vector<std::string> keys;               // key id -> name; id 0 is "no key"
  // Value id -> text. Registers: the value's JSON (id 0 = null, the initial
  // value). kv: the string itself (id 0 = "", what a missing key reads as).
  std::vector<std::string> values;
  // Independent sub-histories: indices into `ops`, each in invocation order.
  std::vector<std::vector<std::uint32_t>> partitions;
  std::size_t ignored = 0;  // operations that constrain nothing (failed, or reads of unknown outcome)
};

// Input the model cannot read (unknown f, cas without [from to], ...).
class PrepareError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Throws history::HistoryError (pairing) or PrepareError.
Prepared prepare(const history::History& history, LinModel model);

}  // namespace faultline::check::lin

#endif  // FAULTLINE_CHECKER_LIN_OPS_H_
