// Shared by the two libFuzzer targets: a check that crashes loudly (so
// libFuzzer records the input) and the reply path the node runs for every
// frame, mirrored from Node::Impl::dispatch and Session::send.
#ifndef FAULTLINE_NODE_FUZZ_CHECKS_H_
#define FAULTLINE_NODE_FUZZ_CHECKS_H_

#include <cstdio>
#include <cstdlib>
#include <set>
#include <string>

#include "faultline/node/protocol.h"

namespace faultline::node::fuzz {

// An invariant the node relies on was broken by this input.
#define FUZZ_CHECK(cond, what)                                                         \
  do {                                                                                 \
    if (!(cond)) {                                                                     \
      std::fprintf(stderr, "fuzz invariant failed at %s:%d: %s (%s)\n", __FILE__,     \
                   __LINE__, #cond, what);                                             \
      std::abort();                                                                    \
    }                                                                                  \
  } while (0)

// Every error a parser may raise must carry one of the documented codes
// (PROTOCOL.md, "Errors"); anything else would reach the client as a code it
// cannot interpret.
inline bool is_documented_parse_error(const std::string& code) {
  static const std::set<std::string> codes = {errc::kBadFrame,      errc::kFrameTooLarge, errc::kBadRequest,
                                              errc::kKeyTooLarge,   errc::kValueTooLarge, errc::kUnknownOp,
                                              errc::kProtocolVersion};
  return codes.count(code) > 0;
}

// The reply frame must encode (Session::send) and decode back to an object
// (what the client's FrameDecoder does with it).
inline void check_reply_encodes(const nlohmann::json& reply) {
  std::string frame;
  try {
    frame = encode_frame(reply);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, e.what());
  }
  FrameDecoder d(0xffffffffu);
  d.feed(frame);
  auto back = d.next();
  FUZZ_CHECK(back.has_value() && back->is_object(), "reply frame does not decode");
  FUZZ_CHECK(!d.next().has_value(), "reply frame decodes to more than one message");
}

// What the dispatcher does with a parse failure: an error reply echoing the
// request id (outcome fail), the connection closed only where documented.
inline void check_error_reply(const nlohmann::json& id, const ProtocolError& e) {
  FUZZ_CHECK(is_documented_parse_error(e.code), e.code.c_str());
  const bool must_close = e.code == errc::kBadFrame || e.code == errc::kFrameTooLarge ||
                          e.code == errc::kProtocolVersion;
  FUZZ_CHECK(e.close_connection == must_close, e.code.c_str());
  FUZZ_CHECK(std::string(e.what()).size() > 0, "error without a message");
  check_reply_encodes(error_reply(id, e.code, e.what(), Outcome::kFail));
}

}  // namespace faultline::node::fuzz

#endif  // FAULTLINE_NODE_FUZZ_CHECKS_H_
