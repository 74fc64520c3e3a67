#include "castor/base/progress.h"

#include <utility>

namespace castor {

std::string HumanBytes(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
  int u = 0;
  while (b >= 1024 && u < 4) {
    b /= 1024;
    ++u;
  }
  char buf[32];
  std::snprintf(buf, sizeof buf, u == 0 ? "%.0f %s" : "%.1f %s", b, units[u]);
  return buf;
}

std::string ProgressLine(uint64_t files_done, uint64_t files_total, uint64_t bytes_done,
                         uint64_t bytes_total, double seconds) {
  double rate = seconds > 0 ? double(bytes_done) / seconds : 0;
  // A total below what is done is not known (stdin, a file that grew): show only what is done.
  std::string line = std::to_string(files_done) + "/" + std::to_string(files_total) + " files, " +
                     HumanBytes(double(bytes_done)) +
                     (bytes_total >= bytes_done ? " / " + HumanBytes(double(bytes_total)) : "") +
                     ", " + HumanBytes(rate) + "/s";
  if (rate > 0 && bytes_total > bytes_done) {
    line +=
        ", ETA " + std::to_string(uint64_t(double(bytes_total - bytes_done) / rate + 0.5)) + "s";
  }
  return line;
}

ProgressReporter::ProgressReporter(const ProgressCounters* counters, std::FILE* out, bool tty,
                                   std::chrono::seconds interval, std::string label)
    : c_(counters),
      out_(out),
      tty_(tty),
      interval_(interval),
      label_(std::move(label)),
      start_(std::chrono::steady_clock::now()) {
  thread_ = std::thread([this] { Loop(); });
}

ProgressReporter::~ProgressReporter() { Stop(); }

void ProgressReporter::Stop() {
  {
    std::lock_guard lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
  if (tty_) std::fputs("\n", out_);
  std::fflush(out_);
}

void ProgressReporter::Loop() {
  const auto period = tty_ ? std::chrono::milliseconds(500) : std::chrono::milliseconds(interval_);
  std::unique_lock lock(mu_);
  while (!stop_) {
    cv_.wait_for(lock, period, [&] { return stop_; });
    double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    std::string line =
        ProgressLine(c_->files_done, c_->files_total, c_->bytes_done, c_->bytes_total, secs);
    if (tty_) {
      std::fprintf(out_, "\r\033[K%s", line.c_str());
    } else if (!stop_) {
      std::fprintf(out_, "%s: %s\n", label_.c_str(), line.c_str());
    }
    std::fflush(out_);
  }
}

}  // namespace castor
