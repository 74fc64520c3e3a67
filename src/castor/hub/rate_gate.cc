#include "castor/hub/rate_gate.h"

namespace castor::hub {

void RateGate::Wait() {
  std::unique_lock lock(mu_);
  while (Clock::now() < open_at_) cv_.wait_until(lock, open_at_);
}

void RateGate::CloseFor(std::chrono::milliseconds d) {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  auto until = now + d;
  if (until > open_at_) {
    total_ +=
        std::chrono::duration_cast<std::chrono::milliseconds>(until - std::max(open_at_, now));
    open_at_ = until;
  }
  cv_.notify_all();
}

std::chrono::milliseconds RateGate::Remaining() const {
  std::lock_guard lock(mu_);
  auto now = Clock::now();
  if (now >= open_at_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(open_at_ - now);
}

std::chrono::milliseconds RateGate::total_closed() const {
  std::lock_guard lock(mu_);
  return total_;
}

}  // namespace castor::hub
