#include "packet/shape_schedule.h"

#include <algorithm>
#include <cmath>

namespace faultline::nemesis {
using process::Status;
namespace {

constexpr std::chrono::seconds kMaxDelay{60};

struct FaultName {
  PacketFault fault;
  std::string_view name;
};
constexpr FaultName kFaultNames[] = {
    {PacketFault::delay, "delay"},         {PacketFault::loss, "loss"},       {PacketFault::duplicate, "duplicate"},
    {PacketFault::reorder, "reorder"},     {PacketFault::corrupt, "corrupt"}, {PacketFault::rate, "rate"},
};

Status check_probability(const char* flag, double value) {
  if (!(value >= 0.0 && value <= 1.0)) {  // also rejects NaN
    return Status::failure(std::string(flag) + " must be a probability within 0..1 (0%..100%), got " +
                           std::to_string(value));
  }
  return Status::success();
}

}  // namespace

std::string_view packet_fault_name(PacketFault fault) {
  for (const auto& f : kFaultNames) {
    if (f.fault == fault) return f.name;
  }
  return "?";
}

std::optional<PacketFault> parse_packet_fault(std::string_view name) {
  for (const auto& f : kFaultNames) {
    if (f.name == name) return f.fault;
  }
  return std::nullopt;
}

bool shaper_supports(PacketFault fault) { return parse_packet_fault(packet_fault_name(fault)).has_value(); }

Status check_shaper_supports(const std::vector<PacketFault>& faults) {
  for (PacketFault f : faults) {
    if (!shaper_supports(f)) {
      return Status::failure("packet fault '" + std::string(packet_fault_name(f)) +
                                 "' needs sch_netem: the NFQUEUE shaper used on kernels without netem cannot do it",
                             true);
    }
  }
  return Status::success();
}

std::vector<std::pair<const char*, double>> probability_flags(const ShapeParams& p) {
  return {{"--loss", p.loss},
          {"--loss-corr", p.loss_correlation},
          {"--reorder", p.reorder},
          {"--reorder-corr", p.reorder_correlation},
          {"--corrupt", p.corrupt},
          {"--corrupt-corr", p.corrupt_correlation},
          {"--duplicate", p.duplicate},
          {"--duplicate-corr", p.duplicate_correlation}};
}

Status validate_shape_params(const ShapeParams& p) {
  if (p.delay.count() < 0 || p.delay > kMaxDelay) {
    return Status::failure("--delay-ms must be within 0..60000, got " + std::to_string(p.delay.count() / 1000.0));
  }
  if (p.jitter.count() < 0 || p.jitter > kMaxDelay) {
    return Status::failure("--jitter-ms must be within 0..60000, got " + std::to_string(p.jitter.count() / 1000.0));
  }
  for (auto [flag, value] : probability_flags(p)) {
    if (Status st = check_probability(flag, value); !st) return st;
  }
  if (p.reorder > 0 && p.delay.count() == 0) {
    return Status::failure("--reorder needs --delay-ms > 0: reordered packets overtake the delayed ones");
  }
  if (p.rate_kbit > 100'000'000) {
    return Status::failure("--rate-kbit must be at most 100000000 (100 Gbit/s), got " + std::to_string(p.rate_kbit));
  }
  if (p.limit == 0 || p.limit > 1'000'000) {
    return Status::failure("--limit must be within 1..1000000 packets, got " + std::to_string(p.limit));
  }
  return Status::success();
}

std::uint64_t ShapeRng::next() {
  std::uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

double ShapeRng::uniform01() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

double ShapeRng::normal() {
  double u1 = 1.0 - uniform01();  // (0, 1], so log is finite
  double u2 = uniform01();
  return std::sqrt(-2.0 * std::log(u1)) * std::cos(2.0 * M_PI * u2);
}

ShapeSchedule::ShapeSchedule(const ShapeParams& params, std::uint64_t seed)
    : params_(params),
      rng_(seed),
      duplicate_(params.duplicate, params.duplicate_correlation),
      loss_(params.loss, params.loss_correlation),
      reorder_(params.reorder, params.reorder_correlation),
      corrupt_(params.corrupt, params.corrupt_correlation) {}

ShapeClock::duration ShapeSchedule::sample_delay() {
  double us = static_cast<double>(params_.delay.count());
  double jitter = static_cast<double>(params_.jitter.count());
  if (jitter > 0) {
    us += params_.distribution == JitterDistribution::uniform ? (2.0 * rng_.uniform01() - 1.0) * jitter
                                                               : rng_.normal() * jitter;
  }
  us = std::max(0.0, us);
  return std::chrono::duration_cast<ShapeClock::duration>(std::chrono::duration<double, std::micro>(us));
}

ShapeDecision ShapeSchedule::admit(std::uint64_t key, ShapeClock::time_point now, std::size_t bytes) {
  ShapeDecision d;
  // netem's order: duplication, loss, corruption, the queue limit, then
  // delay / reorder. As in netem, a duplicated packet that is "lost" still
  // goes out once (the loss takes one of its two copies).
  bool twice = duplicate_.flip(rng_.uniform01());
  if (loss_.flip(rng_.uniform01())) {
    if (!twice) {
      d.action = ShapeAction::drop;
      d.lost = true;
      return d;
    }
    twice = false;
  }
  d.duplicate = twice;
  if (corrupt_.flip(rng_.uniform01())) {
    d.corrupt = true;
    d.corrupt_bit = rng_.next();
  }
  if (heap_.size() >= params_.limit) {
    d.action = ShapeAction::drop;
    d.overflow = true;
    return d;
  }
  if (params_.reorder > 0 && reorder_.flip(rng_.uniform01())) {
    d.action = ShapeAction::accept_now;
    d.reordered = true;
    return d;
  }
  ShapeClock::time_point at = now + sample_delay();
  if (params_.rate_kbit > 0) {
    if (rate_tail_ && *rate_tail_ > at) at = *rate_tail_;
    // bytes * 8 bits at rate_kbit * 1000 bits/s, in nanoseconds.
    auto ns = static_cast<std::int64_t>(static_cast<long double>(bytes) * 8e6L / static_cast<long double>(params_.rate_kbit));
    at += std::chrono::duration_cast<ShapeClock::duration>(std::chrono::nanoseconds(ns));
    rate_tail_ = at;
  }
  if (at <= now) {
    d.action = ShapeAction::accept_now;
    return d;
  }
  d.action = ShapeAction::hold;
  d.release_at = at;
  heap_.push(Held{at, order_++, key});
  return d;
}

std::vector<std::uint64_t> ShapeSchedule::take_due(ShapeClock::time_point now) {
  std::vector<std::uint64_t> due;
  while (!heap_.empty() && heap_.top().at <= now) {
    due.push_back(heap_.top().key);
    heap_.pop();
  }
  return due;
}

std::optional<ShapeClock::time_point> ShapeSchedule::next_due() const {
  if (heap_.empty()) return std::nullopt;
  return heap_.top().at;
}

std::vector<std::uint64_t> ShapeSchedule::take_all() {
  std::vector<std::uint64_t> all;
  while (!heap_.empty()) {
    all.push_back(heap_.top().key);
    heap_.pop();
  }
  return all;
}

}  // namespace faultline::nemesis
