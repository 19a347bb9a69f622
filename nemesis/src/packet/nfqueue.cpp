#include "packet/nfqueue.h"

#include <netlink/errno.h>
#include <netlink/msg.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>
#include <netlink/attr.h>
#include <netlink/netfilter/nfnl.h>
#include <netlink/netfilter/queue.h>
#include <netlink/netfilter/queue_msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
// After netinet/in.h (via libnl), so the uapi header does not redefine it.
#include <linux/netfilter.h>

#include <cerrno>
#include <cstring>

#include "packet/netlink.h"

namespace faultline::nemesis {
using process::Status;
namespace {

struct QueuePtr {
  nfnl_queue* p = nfnl_queue_alloc();
  ~QueuePtr() {
    if (p != nullptr) nfnl_queue_put(p);
  }
};

struct Collector {
  std::vector<QueuedPacket>* out;
};

int on_message(nl_msg* msg, void* arg) {
  auto* collector = static_cast<Collector*>(arg);
  nfnl_queue_msg* qmsg = nullptr;
  if (nfnlmsg_queue_msg_parse(nlmsg_hdr(msg), &qmsg) < 0 || qmsg == nullptr) return NL_OK;
  QueuedPacket packet;
  packet.id = nfnl_queue_msg_get_packetid(qmsg);
  packet.queue = nfnl_queue_msg_get_group(qmsg);
  packet.family = nfnl_queue_msg_get_family(qmsg);
  int len = 0;
  if (const void* data = nfnl_queue_msg_get_payload(qmsg, &len); data != nullptr && len > 0) {
    packet.payload.assign(static_cast<const char*>(data), static_cast<std::size_t>(len));
  }
  nfnl_queue_msg_put(qmsg);
  collector->out->push_back(std::move(packet));
  return NL_OK;
}

}  // namespace

NfQueue::~NfQueue() { close(); }

Status NfQueue::open(std::uint16_t number) {
  close();
  sock_ = nfnl_queue_socket_alloc();
  if (sock_ == nullptr) return Status::failure("nfnl_queue_socket_alloc failed");
  // Packets arrive unsolicited, without our sequence numbers.
  nl_socket_disable_seq_check(sock_);
  // nfnl_queue_socket_alloc turns acks off, which makes a refused bind (the
  // queue held by another process: EPERM/EBUSY) look like success. Wait for
  // the kernel's answer to every setup request; verdicts, sent later in
  // bulk, go without (auto-ack is turned off again once bound).
  nl_socket_enable_auto_ack(sock_);
  int err = nfnl_connect(sock_);
  if (err < 0) {
    close();
    return Status::failure("connect nfnetlink: " + netlink_error(err), err == -NLE_PROTO_MISMATCH);
  }
  // Kernels since 3.8 ignore per-family binding; older ones need it.
  nfnl_queue_pf_unbind(sock_, AF_INET);
  nfnl_queue_pf_bind(sock_, AF_INET);

  QueuePtr queue;
  nfnl_queue_set_group(queue.p, number);
  nfnl_queue_set_copy_mode(queue.p, NFNL_QUEUE_COPY_PACKET);
  nfnl_queue_set_copy_range(queue.p, 0xFFFF);
  err = nfnl_queue_create(sock_, queue.p);
  if (err < 0) {
    close();
    bool unsupported = err == -NLE_OPNOTSUPP || err == -NLE_OBJ_NOTFOUND || err == -NLE_PROTO_MISMATCH;
    std::string why = "bind NFQUEUE " + std::to_string(number) + ": " + netlink_error(err);
    if (err == -NLE_PERM || err == -NLE_BUSY) {
      why = "bind NFQUEUE " + std::to_string(number) + ": refused by the kernel (" + netlink_error(err) +
            "): this process lacks CAP_NET_ADMIN, or another process (e.g. another shaper) already holds queue " +
            std::to_string(number);
    }
    return Status::failure(why, unsupported);
  }
  number_ = number;
  bound_ = true;
  // From here on the socket carries packets and verdicts; a verdict must not
  // wait for an ack (set_fail_open asks for its own).
  nl_socket_disable_auto_ack(sock_);
  // A large receive buffer keeps bursts from being dropped (ENOBUFS) while
  // the shaper is holding verdicts back.
  nl_socket_set_buffer_size(sock_, 4 * 1024 * 1024, 0);
  // receive() drains everything waiting after one poll; that needs a socket
  // that says EAGAIN instead of blocking once the backlog is empty.
  nl_socket_set_nonblocking(sock_);
  return Status::success();
}

Status NfQueue::set_fail_open(std::uint32_t max_len) {
  if (!bound_) return Status::failure("queue not open");
  // libnl-nf has no call for the queue flags, so the config message is built
  // here: NFQA_CFG_QUEUE_MAXLEN, NFQA_CFG_MASK and NFQA_CFG_FLAGS (big endian).
  nl_msg* msg = nfnlmsg_alloc_simple(NFNL_SUBSYS_QUEUE, NFQNL_MSG_CONFIG, NLM_F_REQUEST | NLM_F_ACK, AF_UNSPEC, number_);
  if (msg == nullptr) return Status::failure("nfnlmsg_alloc_simple failed");
  std::uint32_t flag = htonl(NFQA_CFG_F_FAIL_OPEN);
  int err = nla_put_u32(msg, NFQA_CFG_QUEUE_MAXLEN, htonl(max_len));
  if (err >= 0) err = nla_put(msg, NFQA_CFG_MASK, sizeof flag, &flag);
  if (err >= 0) err = nla_put(msg, NFQA_CFG_FLAGS, sizeof flag, &flag);
  if (err < 0) {
    nlmsg_free(msg);
    return Status::failure("build NFQUEUE config: " + netlink_error(err));
  }
  // The socket is non-blocking for receive(); wait for the ack blocking.
  int fdv = nl_socket_get_fd(sock_);
  int fl = ::fcntl(fdv, F_GETFL);
  ::fcntl(fdv, F_SETFL, fl & ~O_NONBLOCK);
  nl_socket_enable_auto_ack(sock_);
  err = nl_send_sync(sock_, msg);  // frees msg
  nl_socket_disable_auto_ack(sock_);
  ::fcntl(fdv, F_SETFL, fl | O_NONBLOCK);
  if (err < 0) {
    return Status::failure("NFQUEUE " + std::to_string(number_) + " fail-open/maxlen: " + netlink_error(err),
                           err == -NLE_OPNOTSUPP || err == -NLE_INVAL);
  }
  return Status::success();
}

void NfQueue::close() {
  if (sock_ == nullptr) return;
  if (bound_) {
    QueuePtr queue;
    nfnl_queue_set_group(queue.p, number_);
    nfnl_queue_delete(sock_, queue.p);
    bound_ = false;
  }
  nl_socket_free(sock_);
  sock_ = nullptr;
}

int NfQueue::fd() const { return sock_ == nullptr ? -1 : nl_socket_get_fd(sock_); }

std::vector<QueuedPacket> NfQueue::receive(std::chrono::milliseconds timeout, Status* status, bool* overrun,
                                           std::size_t max_batch) {
  std::vector<QueuedPacket> packets;
  if (status != nullptr) *status = Status::success();
  if (overrun != nullptr) *overrun = false;
  if (sock_ == nullptr) {
    if (status != nullptr) *status = Status::failure("queue not open");
    return packets;
  }
  pollfd pfd{fd(), POLLIN, 0};
  int rc = ::poll(&pfd, 1, static_cast<int>(timeout.count()));
  if (rc <= 0) {
    if (rc < 0 && status != nullptr) *status = Status::failure(std::string("poll: ") + std::strerror(errno));
    return packets;
  }
  Collector collector{&packets};
  nl_cb* cb = nl_cb_clone(nl_socket_get_cb(sock_));
  nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, on_message, &collector);
  // One nl_recvmsgs reads one datagram; keep reading what is already queued.
  // Bounded by reads too: a read that yields no packet must not spin forever.
  for (std::size_t reads = 0; packets.size() < max_batch && reads < 2 * max_batch; ++reads) {
    int err = nl_recvmsgs(sock_, cb);
    if (err >= 0) continue;
    if (err == -NLE_AGAIN) break;
    if (err == -NLE_NOMEM) {  // ENOBUFS: messages were lost, the socket is fine
      if (overrun != nullptr) *overrun = true;
      continue;
    }
    if (status != nullptr) *status = Status::failure("receive from NFQUEUE: " + netlink_error(err));
    break;
  }
  nl_cb_put(cb);
  return packets;
}

Status NfQueue::verdict(const QueuedPacket& packet, Verdict v) {
  if (sock_ == nullptr) return Status::failure("queue not open");
  nfnl_queue_msg* msg = nfnl_queue_msg_alloc();
  if (msg == nullptr) return Status::failure("nfnl_queue_msg_alloc failed");
  nfnl_queue_msg_set_group(msg, packet.queue);
  nfnl_queue_msg_set_family(msg, packet.family);
  nfnl_queue_msg_set_packetid(msg, packet.id);
  nfnl_queue_msg_set_verdict(msg, v == Verdict::accept ? NF_ACCEPT : NF_DROP);
  int err = nfnl_queue_msg_send_verdict(sock_, msg);
  nfnl_queue_msg_put(msg);
  if (err < 0) return Status::failure("NFQUEUE verdict: " + netlink_error(err));
  return Status::success();
}

Status NfQueue::verdicts(const std::vector<std::pair<const QueuedPacket*, Verdict>>& batch) {
  if (sock_ == nullptr) return Status::failure("queue not open");
  std::string buffer;
  auto flush = [&]() -> Status {
    if (buffer.empty()) return Status::success();
    int err = nl_sendto(sock_, buffer.data(), buffer.size());
    buffer.clear();
    if (err < 0) return Status::failure("NFQUEUE verdicts: " + netlink_error(err));
    return Status::success();
  };
  for (const auto& [packet, v] : batch) {
    nfnl_queue_msg* qmsg = nfnl_queue_msg_alloc();
    if (qmsg == nullptr) return Status::failure("nfnl_queue_msg_alloc failed");
    nfnl_queue_msg_set_group(qmsg, packet->queue);
    nfnl_queue_msg_set_family(qmsg, packet->family);
    nfnl_queue_msg_set_packetid(qmsg, packet->id);
    nfnl_queue_msg_set_verdict(qmsg, v == Verdict::accept ? NF_ACCEPT : NF_DROP);
    nl_msg* msg = nfnl_queue_msg_build_verdict(qmsg);
    nfnl_queue_msg_put(qmsg);
    if (msg == nullptr) return Status::failure("nfnl_queue_msg_build_verdict failed");
    nl_complete_msg(sock_, msg);  // port id and sequence number, as nl_send_auto would
    nlmsghdr* hdr = nlmsg_hdr(msg);
    buffer.append(reinterpret_cast<const char*>(hdr), hdr->nlmsg_len);
    buffer.resize(NLMSG_ALIGN(buffer.size()), '\0');
    nlmsg_free(msg);
    if (buffer.size() > 32 * 1024) {
      if (Status st = flush(); !st) return st;
    }
  }
  return flush();
}

Status NfQueue::verdict_with_payload(const QueuedPacket& packet, const std::string& payload) {
  if (sock_ == nullptr) return Status::failure("queue not open");
  nfnl_queue_msg* msg = nfnl_queue_msg_alloc();
  if (msg == nullptr) return Status::failure("nfnl_queue_msg_alloc failed");
  nfnl_queue_msg_set_group(msg, packet.queue);
  nfnl_queue_msg_set_family(msg, packet.family);
  nfnl_queue_msg_set_packetid(msg, packet.id);
  nfnl_queue_msg_set_verdict(msg, NF_ACCEPT);
  int err = nfnl_queue_msg_send_verdict_payload(sock_, msg, payload.data(), static_cast<unsigned>(payload.size()));
  nfnl_queue_msg_put(msg);
  if (err < 0) return Status::failure("NFQUEUE verdict with payload: " + netlink_error(err));
  return Status::success();
}

}  // namespace faultline::nemesis
