#include "castor/base/mapped_file.h"

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

namespace castor {
namespace {

namespace fs = std::filesystem;

struct TempFile {
  explicit TempFile(size_t size) {
    path = (fs::temp_directory_path() /
            ("castor-map-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)))
               .string();
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    std::vector<uint8_t> data(size);
    for (size_t i = 0; i < size; ++i) data[i] = uint8_t(i * 7 + 1);
    EXPECT_EQ(::write(fd, data.data(), size), ssize_t(size));
    ::close(fd);
  }
  ~TempFile() { ::unlink(path.c_str()); }
  static inline int counter = 0;
  std::string path;
};

TEST(MappedFile, ReadsTheFileAndReleasesPages) {
  const size_t n = (3 << 20) + 123;
  TempFile f(n);
  int fd = ::open(f.path.c_str(), O_RDONLY);
  auto m = MappedFile::Map(fd, n);
  ::close(fd);  // the mapping outlives the descriptor
  ASSERT_TRUE(m.ok()) << m.status().ToString();
  const MappedFile& map = **m;
  uint64_t sum = 0, want = 0;
  for (size_t i = 0; i < n; ++i) sum += map.data()[i], want += uint8_t(i * 7 + 1);
  EXPECT_EQ(sum, want);
  (*m)->ReleaseBefore(n);  // pages come back from the page cache when touched again
  EXPECT_EQ(map.data()[n - 1], uint8_t((n - 1) * 7 + 1));
  EXPECT_EQ(map.data()[4096], uint8_t(4096 * 7 + 1));
  EXPECT_FALSE(map.shrank());
  EXPECT_FALSE(MappedFile::Map(0, 0).ok());  // nothing to map
}

// Pages of `map` [0, n) that are in the page cache (mincore reports that for file mappings
// without faulting anything in).
size_t CachedPages(const MappedFile& map, size_t n) {
  const size_t page = size_t(::sysconf(_SC_PAGESIZE));
  std::vector<unsigned char> v((n + page - 1) / page);
  if (::mincore(const_cast<uint8_t*>(map.data()), n, v.data()) != 0) return 0;
  size_t cached = 0;
  for (unsigned char c : v) cached += c & 1;
  return cached;
}

// Prefetch starts the kernel reading a range that is not cached, without the reader touching it.
TEST(MappedFile, PrefetchReadsAnUncachedRangeIntoThePageCache) {
  const size_t n = 8 << 20, pages = n / size_t(::sysconf(_SC_PAGESIZE));
  TempFile f(n);
  int fd = ::open(f.path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  ::fdatasync(fd);
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);  // written back above, so it can be dropped
  auto m = MappedFile::Map(fd, n);
  ::close(fd);
  ASSERT_TRUE(m.ok());
  ASSERT_LT(CachedPages(**m, n), pages / 2) << "the file could not be evicted first";
  (*m)->Prefetch(0, n);
  size_t cached = 0;
  for (int i = 0; i < 200 && cached < pages; ++i) {
    cached = CachedPages(**m, n);
    if (cached < pages) ::usleep(10000);
  }
  EXPECT_EQ(cached, pages);
}

// A file truncated under a live mapping: reading past its new end gives zeros and sets shrank()
// instead of killing the process with SIGBUS; other mappings are not affected.
TEST(MappedFile, AFileThatShrinksReadsAsZerosAndIsReported) {
  const size_t n = 1 << 20;
  TempFile f(n), other(n);
  int fd = ::open(f.path.c_str(), O_RDONLY), fd2 = ::open(other.path.c_str(), O_RDONLY);
  auto m = MappedFile::Map(fd, n);
  auto m2 = MappedFile::Map(fd2, n);
  ::close(fd);
  ::close(fd2);
  ASSERT_TRUE(m.ok() && m2.ok());
  ASSERT_EQ(::truncate(f.path.c_str(), 8192), 0);
  const uint8_t* p = (*m)->data();
  EXPECT_EQ(p[100], uint8_t(100 * 7 + 1));  // still in the file
  volatile uint8_t past = p[n - 1];         // gone: SIGBUS, handled
  EXPECT_EQ(past, 0);
  EXPECT_EQ(p[65536], 0);
  EXPECT_TRUE((*m)->shrank());
  EXPECT_FALSE((*m2)->shrank());
  EXPECT_EQ((*m2)->data()[n - 1], uint8_t((n - 1) * 7 + 1));
}

// SIGBUS outside any mapping keeps its default action: the process dies of it.
TEST(MappedFileDeathTest, OtherSigbusStillKills) {
  TempFile f(4096);
  int fd = ::open(f.path.c_str(), O_RDONLY);
  auto m = MappedFile::Map(fd, 4096);  // installs the handler
  ::close(fd);
  ASSERT_TRUE(m.ok());
  EXPECT_DEATH(::raise(SIGBUS), "");
}

}  // namespace
}  // namespace castor
