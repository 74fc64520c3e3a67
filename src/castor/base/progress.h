// Progress: byte and file counters that workers bump (castor mirror, castor push), and a
// reporter thread that shows them: a single redrawn line with bytes, rate and ETA on a terminal,
// a log line every `interval` otherwise (CI and scheduled jobs keep readable logs). Counters are
// atomics; safe for concurrent use.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <thread>

namespace castor {

struct ProgressCounters {
  std::atomic<uint64_t> bytes_total{0};  // bytes planned for transfer
  std::atomic<uint64_t> bytes_done{0};
  std::atomic<uint64_t> files_total{0};
  std::atomic<uint64_t> files_done{0};
};

// "1.5 GiB", "12.0 MiB", "512 B".
std::string HumanBytes(double bytes);
// The status line: "3/10 files, 1.2 GiB / 4.0 GiB, 85.3 MiB/s, ETA 34s"; without the total
// and the ETA when the total is below what is done (not known: a push from stdin).
std::string ProgressLine(uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                         uint64_t bytes_total, double seconds);

class ProgressReporter {
 public:
  // Starts the reporter; `tty` selects the redrawn line, else one line per `interval`, each
  // starting with `label` (e.g. "castor push: 1/3 files, ...").
  ProgressReporter(const ProgressCounters* counters, std::FILE* out, bool tty,
                   std::chrono::seconds interval, std::string label);
  ~ProgressReporter();  // stops the thread and ends the line
  void Stop();

 private:
  void Loop();

  const ProgressCounters* c_;
  std::FILE* out_;
  bool tty_;
  std::chrono::seconds interval_;
  std::string label_;
  std::chrono::steady_clock::time_point start_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace castor
