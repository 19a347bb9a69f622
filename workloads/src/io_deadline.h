// The blocking clients' one way to wait for asynchronous I/O with a deadline.
// Private to workloads/.
#ifndef FAULTLINE_WORKLOADS_IO_DEADLINE_H_
#define FAULTLINE_WORKLOADS_IO_DEADLINE_H_

#include <chrono>

#include <boost/asio/io_context.hpp>

namespace faultline::workloads {

// Runs `io` until `done` turns true or `deadline` passes. On the deadline it
// calls `close` (which must close the client's socket) and drains the
// cancelled handlers, so none can fire into a later call. Returns `done`.
template <class Close>
bool run_until_done(boost::asio::io_context& io, const bool& done, std::chrono::steady_clock::time_point deadline,
                    Close&& close) {
  io.restart();
  io.run_until(deadline);
  if (done) return true;
  close();
  io.restart();
  io.run();
  return false;
}

}  // namespace faultline::workloads

#endif  // FAULTLINE_WORKLOADS_IO_DEADLINE_H_
