#include "castor/base/progress.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace castor {
namespace {

TEST(Progress, Line) {
  EXPECT_EQ(HumanBytes(512), "512 B");
  EXPECT_EQ(HumanBytes(1.5 * (1 << 30)), "1.5 GiB");
  std::string line = ProgressLine(3, 10, 1 << 30, 4ull << 30, 8.0);
  EXPECT_EQ(line, "3/10 files, 1.0 GiB / 4.0 GiB, 128.0 MiB/s, ETA 24s");
  // Done: no ETA.
  EXPECT_EQ(ProgressLine(2, 2, 1 << 20, 1 << 20, 1.0), "2/2 files, 1.0 MiB / 1.0 MiB, 1.0 MiB/s");
  // A total that is not known (stdin counts 0): only what is done.
  EXPECT_EQ(ProgressLine(0, 1, 3 << 20, 0, 1.0), "0/1 files, 3.0 MiB, 3.0 MiB/s");
}

// What the reporter has written to `f` so far. Read with pread, leaving the stream's position
// alone: the reporter's thread may write at any moment.
std::string Contents(std::FILE* f) {
  std::fflush(f);
  struct stat st;
  if (::fstat(fileno(f), &st) != 0) return "";
  std::string s(size_t(st.st_size), '\0');
  ssize_t n = ::pread(fileno(f), s.data(), s.size(), 0);
  s.resize(n > 0 ? size_t(n) : 0);
  return s;
}

// Polls until `f` holds `needle` (the reporter's thread writes on its own schedule); a slow
// machine only makes this wait longer, up to 20 s.
bool WaitFor(std::FILE* f, const std::string& needle) {
  for (int i = 0; i < 400; ++i) {
    if (Contents(f).find(needle) != std::string::npos) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return false;
}

// A reporter's output file (a temp file) and the counters it shows.
class ProgressReporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    f_ = std::tmpfile();
    ASSERT_NE(f_, nullptr);
  }
  void TearDown() override {
    if (f_) std::fclose(f_);
  }
  void Set(uint64_t files_done, uint64_t files_total, uint64_t mib_done, uint64_t mib_total) {
    c_.files_done = files_done;
    c_.files_total = files_total;
    c_.bytes_done = mib_done << 20;
    c_.bytes_total = mib_total << 20;
  }
  std::FILE* f_ = nullptr;
  ProgressCounters c_;
};

TEST_F(ProgressReporterTest, LogLinesCarryTheLabelAndTheCounters) {
  Set(1, 4, 1, 4);
  ProgressReporter r(&c_, f_, /*tty=*/false, std::chrono::seconds(1), "castor push");
  EXPECT_TRUE(WaitFor(f_, "castor push: 1/4 files, 1.0 MiB / 4.0 MiB, "));
  Set(3, 4, 3, 4);
  EXPECT_TRUE(WaitFor(f_, "castor push: 3/4 files, 3.0 MiB / 4.0 MiB, "));
  r.Stop();
  std::string all = Contents(f_);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.find('\r'), std::string::npos);  // log lines, no redrawing
  EXPECT_EQ(all.back(), '\n');
}

TEST_F(ProgressReporterTest, TerminalLineIsRedrawnAndEndedOnStop) {
  Set(0, 1, 0, 1);
  ProgressReporter r(&c_, f_, /*tty=*/true, std::chrono::seconds(5), "castor push");
  EXPECT_TRUE(WaitFor(f_, "\r\033[K0/1 files, 0 B / 1.0 MiB"));
  Set(1, 1, 1, 1);
  EXPECT_TRUE(WaitFor(f_, "\r\033[K1/1 files, 1.0 MiB / 1.0 MiB"));
  r.Stop();
  r.Stop();  // idempotent, as the destructor calls it again
  std::string all = Contents(f_);
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(all.back(), '\n');
  EXPECT_EQ(all.find("castor push:"), std::string::npos);  // the label is for log lines
}

}  // namespace
}  // namespace castor
