#include "castor/transfer/write_batch.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "castor/base/splitmix64.h"

namespace castor {
namespace {

// A temp file and, where the filesystem allows, the same file opened with O_DIRECT.
class TempFile {
 public:
  explicit TempFile(uint64_t size) {
    path_ = (std::filesystem::temp_directory_path() /
             ("castor-write-batch-" + std::to_string(::getpid()) + "-" + std::to_string(n_++)))
                .string();
    fd_ = ::open(path_.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    EXPECT_GE(fd_, 0);
    EXPECT_EQ(::ftruncate(fd_, off_t(size)), 0);
    direct_fd_ = ::open(path_.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC);
  }
  ~TempFile() {
    ::close(fd_);
    if (direct_fd_ >= 0) ::close(direct_fd_);
    ::unlink(path_.c_str());
  }
  Bytes Read(size_t size) const {
    Bytes out(size);
    EXPECT_EQ(::pread(fd_, out.data(), size, 0), ssize_t(size));
    return out;
  }
  int fd() const { return fd_; }
  int direct_fd() const { return direct_fd_; }
  const std::string& path() const { return path_; }

 private:
  static inline int n_ = 0;
  std::string path_;
  int fd_ = -1, direct_fd_ = -1;
};

// Writes `want` as terms of random lengths, in shuffled order, each term's chunks in sequence
// through one of two batches (as two download workers would), with chunks of 1..128 KiB and the
// odd chunk that goes nowhere.
void WriteShuffled(const Bytes& want, const TempFile& f, bool use_direct, uint64_t seed) {
  std::atomic<bool> direct_ok{true};
  WriteBatch a(f.fd(), use_direct ? f.direct_fd() : -1, &direct_ok, f.path());
  WriteBatch b(f.fd(), use_direct ? f.direct_fd() : -1, &direct_ok, f.path());
  SplitMix64 rng(seed);
  std::vector<std::pair<uint64_t, uint64_t>> terms;  // [start, end)
  for (uint64_t pos = 0; pos < want.size();) {
    uint64_t len = std::min<uint64_t>(want.size() - pos, 1 + rng.Next() % (3 << 20));
    terms.push_back({pos, pos + len});
    pos += len;
  }
  std::shuffle(terms.begin(), terms.end(), std::mt19937_64(seed));
  for (size_t t = 0; t < terms.size(); ++t) {
    WriteBatch& w = t % 2 ? a : b;
    for (uint64_t pos = terms[t].first; pos < terms[t].second;) {
      size_t n = size_t(std::min<uint64_t>(terms[t].second - pos, 1 + rng.Next() % 131072));
      if (rng.Next() % 50 == 0) {
        auto junk = w.Append(1 + rng.Next() % 131072);
        ASSERT_TRUE(junk.ok());
        std::fill(junk->begin(), junk->end(), uint8_t(0xee));
        w.DropLast();
      }
      auto span = w.Append(n);
      ASSERT_TRUE(span.ok());
      std::memcpy(span->data(), want.data() + pos, n);
      ASSERT_TRUE(w.Place(pos).ok());
      pos += n;
    }
  }
  ASSERT_TRUE(a.Flush().ok());
  ASSERT_TRUE(b.Flush().ok());
}

TEST(WriteBatch, ChunksInAnyTermOrderLandWhereTheyBelong) {
  for (bool direct : {true, false}) {
    for (uint64_t seed : {1, 2, 3}) {
      const Bytes want = SplitMix64::Generate(9'000'000 + seed * 12'345, seed);
      TempFile f(want.size());
      WriteShuffled(want, f, direct, seed);
      EXPECT_EQ(f.Read(want.size()), want) << "direct " << direct << " seed " << seed;
    }
  }
}

TEST(WriteBatch, RejectsImpossibleChunkSizes) {
  TempFile f(1);
  std::atomic<bool> ok{true};
  WriteBatch w(f.fd(), -1, &ok, f.path());
  EXPECT_EQ(w.Append(0).status().code(), StatusCode::kCorruption);
  EXPECT_EQ(w.Append(131073).status().code(), StatusCode::kCorruption);
}

TEST(WriteBatch, AWriteErrorNamesTheFile) {
  TempFile f(1);
  std::atomic<bool> ok{true};
  const int ro = ::open(f.path().c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(ro, 0);
  {
    WriteBatch w(ro, -1, &ok, f.path());
    auto span = w.Append(10);
    ASSERT_TRUE(span.ok());
    ASSERT_TRUE(w.Place(0).ok());
    Status s = w.Flush();
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(f.path()), std::string::npos);
  }
  ::close(ro);
}

}  // namespace
}  // namespace castor
