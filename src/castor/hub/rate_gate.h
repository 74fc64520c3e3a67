// RateGate: one rate-limit budget shared by every worker talking to the Hub. When any request is
// answered 429, the gate closes for exactly as long as the `RateLimit` header says (the Hub's
// quota windows are per user, not per connection, so one worker's 429 applies to all of them);
// every request waits at the gate before it is sent. Safe for concurrent use.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>

namespace castor::hub {

class RateGate {
 public:
  using Clock = std::chrono::steady_clock;

  // Blocks until the gate is open.
  void Wait();
  // Closes the gate for `d` from now (never shortens a longer closure already in force).
  void CloseFor(std::chrono::milliseconds d);
  // How long the gate stays closed from now (0 if open).
  std::chrono::milliseconds Remaining() const;
  // Total time requests were held (for reports).
  std::chrono::milliseconds total_closed() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  Clock::time_point open_at_{};
  std::chrono::milliseconds total_{0};
};

}  // namespace castor::hub
