// Local-directory specifics beyond the conformance suite: what a crash leaves behind, races
// between processes, and that hostile keys never reach the file system.
#include "castor/storage/local_store.h"

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace castor {
namespace {

namespace fs = std::filesystem;

class LocalStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = fs::temp_directory_path() /
            ("castor-local-" + std::to_string(::getpid()) + "-" + std::to_string(counter_++));
    fs::remove_all(root_);
    auto s = OpenLocalStore(root_.string());
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    store_ = std::move(s).value();
  }
  void TearDown() override { fs::remove_all(root_); }
  std::vector<std::string> Tree() {
    std::vector<std::string> out;
    for (auto& e : fs::recursive_directory_iterator(root_))
      out.push_back(fs::relative(e.path(), root_).string());
    std::sort(out.begin(), out.end());
    return out;
  }

  static inline int counter_ = 0;
  fs::path root_;
  std::unique_ptr<ObjectStore> store_;
};

TEST_F(LocalStoreTest, ObjectsAreFilesUnderTheRoot) {
  ASSERT_TRUE(store_->Put("xorbs/default/ab", AsBytes("data")).ok());
  std::ifstream in(root_ / "xorbs/default/ab");
  std::string s;
  in >> s;
  EXPECT_EQ(s, "data");
  EXPECT_EQ(Tree(), (std::vector<std::string>{"xorbs", "xorbs/default", "xorbs/default/ab"}));
}

TEST_F(LocalStoreTest, LeftoverTempFilesAreIgnoredAndStaleOnesRemoved) {
  ASSERT_TRUE(store_->Put("d/obj", AsBytes("x")).ok());
  // What a writer killed before its rename leaves behind.
  std::string fresh = (root_ / "d" / ".castor-tmp-1-2-fresh").string();
  std::string stale = (root_ / "d" / ".castor-tmp-1-3-stale").string();
  std::ofstream(fresh) << "partial";
  std::ofstream(stale) << "partial";
  struct utimbuf old = {::time(nullptr) - 7200, ::time(nullptr) - 7200};
  ASSERT_EQ(::utime(stale.c_str(), &old), 0);
  auto page = store_->List("", "", 100);
  ASSERT_TRUE(page.ok());
  ASSERT_EQ(page->objects.size(), 1u);
  EXPECT_EQ(page->objects[0].key, "d/obj");
  EXPECT_TRUE(fs::exists(fresh));   // may belong to a live writer
  EXPECT_FALSE(fs::exists(stale));  // older than stale_temp_age: cleaned up
  EXPECT_EQ(store_->Head("d/.castor-tmp-1-2-fresh").status().code(), StatusCode::kInvalidArgument);
}

// A killed writer's temp file is an incomplete write of its folder: listed (paged), aborted once.
TEST_F(LocalStoreTest, TempFilesOfKilledWritersAreIncompleteWrites) {
  ASSERT_TRUE(store_->Put("r/a/obj", AsBytes("x")).ok());
  ASSERT_TRUE(store_->Put("other/obj", AsBytes("x")).ok());
  std::ofstream((root_ / "r/a/.castor-tmp-1-2-x").string()) << "partial";
  std::ofstream((root_ / "r/a/.castor-tmp-1-3-y").string()) << "partial";
  std::ofstream((root_ / "r/.castor-tmp-1-4-z").string()) << "partial";
  std::ofstream((root_ / "other/.castor-tmp-1-5-w").string()) << "partial";
  struct utimbuf old = {::time(nullptr) - 600, ::time(nullptr) - 600};
  ASSERT_EQ(::utime((root_ / "r/a/.castor-tmp-1-2-x").c_str(), &old), 0);

  auto page = store_->ListIncompleteWrites("r/", "", "", 2);
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  ASSERT_EQ(page->writes.size(), 2u);
  EXPECT_EQ(page->writes[0].key, "r");
  EXPECT_EQ(page->writes[0].id, ".castor-tmp-1-4-z");
  EXPECT_EQ(page->writes[1].key, "r/a");
  EXPECT_EQ(page->writes[1].id, ".castor-tmp-1-2-x");
  auto age = std::chrono::system_clock::now() - page->writes[1].initiated;
  EXPECT_GT(age, std::chrono::seconds(590));
  EXPECT_LT(age, std::chrono::seconds(700));
  EXPECT_EQ(page->next_key, "r/a");
  auto rest = store_->ListIncompleteWrites("r/", page->next_key, page->next_id, 2);
  ASSERT_TRUE(rest.ok());
  ASSERT_EQ(rest->writes.size(), 1u);
  EXPECT_EQ(rest->writes[0].id, ".castor-tmp-1-3-y");
  EXPECT_TRUE(rest->next_key.empty());
  auto all = ListAllIncompleteWrites(*store_, "");
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->size(), 4u);

  ASSERT_TRUE(store_->AbortIncompleteWrite("r/a", ".castor-tmp-1-2-x").ok());
  EXPECT_FALSE(fs::exists(root_ / "r/a/.castor-tmp-1-2-x"));
  EXPECT_EQ(store_->AbortIncompleteWrite("r/a", ".castor-tmp-1-2-x").code(), StatusCode::kNotFound);
  // Only the store's own temp files, never objects or paths outside.
  EXPECT_EQ(store_->AbortIncompleteWrite("r/a", "obj").code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AbortIncompleteWrite("r", ".castor-tmp-/../a/obj").code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(store_->AbortIncompleteWrite("..", ".castor-tmp-1").code(),
            StatusCode::kInvalidArgument);
  EXPECT_TRUE(fs::exists(root_ / "r/a/obj"));
  ASSERT_TRUE(store_->AbortIncompleteWrite("", ".castor-tmp-none").code() == StatusCode::kNotFound);
}

// A writer in progress shows up too (with a fresh time); once committed it is gone.
TEST_F(LocalStoreTest, WriterInProgressIsListedUntilCommitted) {
  auto before = std::chrono::system_clock::now() - std::chrono::seconds(1);
  auto w = store_->NewWriter("m/big", {});
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->Write(AsBytes("partial")).ok());
  auto all = ListAllIncompleteWrites(*store_, "m/");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 1u);
  EXPECT_EQ((*all)[0].key, "m");
  EXPECT_GE((*all)[0].initiated, before);
  ASSERT_TRUE((*w)->Commit().ok());
  all = ListAllIncompleteWrites(*store_, "m/");
  ASSERT_TRUE(all.ok());
  EXPECT_TRUE(all->empty());
  EXPECT_TRUE(store_->ListIncompleteWrites("nothing/here/", "", "", 5)->writes.empty());
}

TEST_F(LocalStoreTest, KeyAndPrefixConflictIsAClearError) {
  ASSERT_TRUE(store_->Put("a", AsBytes("x")).ok());
  Status st = store_->Put("a/b", AsBytes("y"));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  ASSERT_TRUE(store_->Put("c/d", AsBytes("x")).ok());
  st = store_->Put("c", AsBytes("y"));
  EXPECT_EQ(st.code(), StatusCode::kFailedPrecondition) << st.ToString();
  EXPECT_EQ(store_->Head("c").status().code(), StatusCode::kNotFound);
  EXPECT_EQ(store_->PutIfAbsent("c", AsBytes("y")).status().code(),
            StatusCode::kFailedPrecondition);
}

TEST_F(LocalStoreTest, HostileKeysNeverTouchTheDisk) {
  fs::path outside = root_.parent_path() / ("castor-escape-" + std::to_string(::getpid()));
  fs::remove(outside);
  for (std::string key : {"../" + outside.filename().string(), outside.string(),
                          std::string("x/../../") + outside.filename().string()}) {
    EXPECT_FALSE(store_->Put(key, AsBytes("pwned")).ok());
    EXPECT_FALSE(store_->PutIfAbsent(key, AsBytes("pwned")).ok());
    auto w = store_->NewWriter(key, {});
    EXPECT_FALSE(w.ok());
    EXPECT_FALSE(store_->Delete(key).ok());
  }
  EXPECT_FALSE(fs::exists(outside));
  EXPECT_TRUE(Tree().empty());
}

TEST_F(LocalStoreTest, SymlinkedObjectIsNotFollowed) {
  fs::path target = root_.parent_path() / ("castor-secret-" + std::to_string(::getpid()));
  std::ofstream(target) << "secret";
  fs::create_symlink(target, root_ / "link");
  EXPECT_FALSE(store_->Get("link").ok());
  fs::remove(target);
}

TEST_F(LocalStoreTest, PutIfAbsentIsAtomicAcrossProcesses) {
  // Eight processes race to create one key, each with its own content: exactly one wins, and
  // the object is exactly one writer's bytes, never a mix.
  constexpr int kProcs = 8;
  std::vector<pid_t> pids;
  for (int i = 0; i < kProcs; ++i) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto s = OpenLocalStore(root_.string());
      Bytes data(1 << 20, uint8_t('A' + i));
      auto r = (*s)->PutIfAbsent("race/key", data);
      ::_exit(!r.ok() ? 2 : *r == PutOutcome::kCreated ? 0 : 1);
    }
    pids.push_back(pid);
  }
  int created = 0, existed = 0;
  for (pid_t p : pids) {
    int status = 0;
    ::waitpid(p, &status, 0);
    ASSERT_TRUE(WIFEXITED(status));
    if (WEXITSTATUS(status) == 0) ++created;
    if (WEXITSTATUS(status) == 1) ++existed;
  }
  EXPECT_EQ(created, 1);
  EXPECT_EQ(existed, kProcs - 1);
  auto got = store_->Get("race/key");
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got->size(), 1u << 20);
  EXPECT_EQ(std::count(got->begin(), got->end(), (*got)[0]), 1 << 20);
  EXPECT_EQ(Tree(), (std::vector<std::string>{"race", "race/key"}));  // no temp files left
}

TEST_F(LocalStoreTest, ReadersNeverSeeAPartialObject) {
  // One process keeps replacing an object with full 4 MiB versions of different bytes; another
  // reads it: every read is one whole version.
  ASSERT_TRUE(store_->Put("hot", Bytes(4 << 20, 'a')).ok());
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    auto s = OpenLocalStore(root_.string(), LocalStoreOptions{.sync = false});
    for (int i = 0; i < 40; ++i) (void)(*s)->Put("hot", Bytes(4 << 20, uint8_t('a' + i % 26)));
    ::_exit(0);
  }
  int torn = 0;
  for (int i = 0; i < 60; ++i) {
    auto got = store_->Get("hot");
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    if (got->size() != (4u << 20) || std::count(got->begin(), got->end(), (*got)[0]) != (4 << 20))
      ++torn;
  }
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_EQ(torn, 0);
}

// Pages of `path` in the page cache (mincore over a mapping of the file).
size_t ResidentPages(const fs::path& path) {
  int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return 0;
  struct stat st;
  ::fstat(fd, &st);
  size_t n = size_t(st.st_size), page = size_t(::sysconf(_SC_PAGESIZE)), resident = 0;
  void* m = n ? ::mmap(nullptr, n, PROT_READ, MAP_SHARED, fd, 0) : MAP_FAILED;
  ::close(fd);
  if (m == MAP_FAILED) return 0;
  std::vector<unsigned char> v((n + page - 1) / page);
  if (::mincore(m, n, v.data()) == 0)
    for (unsigned char c : v) resident += c & 1;
  ::munmap(m, n);
  return resident;
}

// Objects of 1 MiB and more are written with O_DIRECT through an aligned staging buffer, the
// tail that is not a whole block with a plain write. Every size around the block and staging
// boundaries, written whole (Put) and in pieces of odd sizes (writer), reads back exactly; and
// where the file system takes direct writes, the written object is (nearly) absent from the page
// cache until it is read.
TEST_F(LocalStoreTest, LargeObjectsAreWrittenAroundThePageCacheByteExact) {
  const size_t mib = size_t{1} << 20;
  const std::vector<size_t> sizes = {mib - 1,        mib,          mib + 1,
                                     mib + 4095,     mib + 4096,   2 * mib - 4096 + 7,
                                     3 * mib + 4097, 5 * mib + 123};
  // Does this file system take O_DIRECT at all (tmpfs does not)?
  bool direct_fs = false;
  {
    fs::path probe = root_ / "probe";
    int fd = ::open(probe.c_str(), O_WRONLY | O_CREAT | O_DIRECT, 0644);
    direct_fs = fd >= 0;
    if (fd >= 0) ::close(fd);
    fs::remove(probe);
  }
  std::mt19937_64 rng(11);
  for (size_t n : sizes) {
    Bytes data(n);
    for (auto& b : data) b = uint8_t(rng());
    const std::string put_key = "put/" + std::to_string(n), w_key = "writer/" + std::to_string(n);
    ASSERT_TRUE(store_->Put(put_key, data).ok()) << n;
    WriterOptions wo;
    wo.expected_size = n;
    auto w = store_->NewWriter(w_key, wo);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (size_t pos = 0; pos < n;) {
      size_t piece = std::min<size_t>(n - pos, 1 + rng() % (700 << 10));
      ASSERT_TRUE((*w)->Write(ByteSpan(data).subspan(pos, piece)).ok());
      pos += piece;
    }
    ASSERT_TRUE((*w)->Commit().ok());
    if (direct_fs && n >= 2 * mib) {
      // Only the last partial block went through the page cache.
      EXPECT_LE(ResidentPages(root_ / put_key), 2u) << n;
      EXPECT_LE(ResidentPages(root_ / w_key), 2u) << n;
    }
    for (const std::string& key : {put_key, w_key}) {
      auto got = store_->Get(key);
      ASSERT_TRUE(got.ok()) << got.status().ToString();
      EXPECT_TRUE(*got == data) << key;
    }
  }
  // Small objects are plain writes; an aborted large writer leaves nothing.
  {
    WriterOptions wo;
    wo.expected_size = 4 * mib;
    auto w = store_->NewWriter("aborted", wo);
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE((*w)->Write(Bytes(3 * mib + 5, 'z')).ok());
    (*w)->Abort();
  }
  EXPECT_EQ(store_->Head("aborted").status().code(), StatusCode::kNotFound);
  for (const auto& e : fs::recursive_directory_iterator(root_))
    EXPECT_EQ(e.path().filename().string().find(".castor-tmp-"), std::string::npos) << e.path();
}

// A write that the file system refuses midway (here the process's file-size limit, which fails
// write() with EFBIG as a full disk fails it with ENOSPC) gives an error naming the key, leaves
// neither the object nor a temp file, and the store keeps working: for direct and plain writes,
// whole objects and writers. Runs in a child process, which owns the limit.
TEST_F(LocalStoreTest, AWriteThatFailsMidwayLeavesNothing) {
  pid_t pid = ::fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    ::signal(SIGXFSZ, SIG_IGN);
    struct rlimit lim = {3u << 20, 3u << 20};
    if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(10);
    auto s = OpenLocalStore(root_.string());
    if (!s.ok()) ::_exit(11);
    ObjectStore& store = **s;
    int code = 20;
    for (size_t n : {size_t{8} << 20, (size_t{3} << 20) + 1}) {  // direct, then a partial block
      Status put = store.Put("big/object", Bytes(n, 'x'));
      if (put.ok() || put.message().find("big/object") == std::string::npos) ::_exit(code);
      WriterOptions wo;
      wo.expected_size = n;
      auto w = store.NewWriter("big/streamed", wo);
      if (!w.ok()) ::_exit(code + 1);
      Status st = (*w)->Write(Bytes(n, 'y'));
      if (st.ok()) st = (*w)->Commit().status();
      if (st.ok()) ::_exit(code + 2);
      if (store.Head("big/object").ok() || store.Head("big/streamed").ok()) ::_exit(code + 3);
      code += 10;
    }
    Status small = store.Put("after/small", Bytes(1000, 'z'));  // plain writes still work
    if (!small.ok()) ::_exit(40);
    Status fits = store.Put("after/fits", Bytes(2u << 20, 'w'));  // and direct ones under the limit
    if (!fits.ok()) ::_exit(41);
    ::_exit(0);
  }
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), 0);
  auto fits = store_->Get("after/fits");
  ASSERT_TRUE(fits.ok()) << fits.status().ToString();
  EXPECT_EQ(*fits, Bytes(2u << 20, 'w'));
  for (const auto& e : fs::recursive_directory_iterator(root_))
    EXPECT_EQ(e.path().filename().string().find(".castor-tmp-"), std::string::npos) << e.path();
}

TEST_F(LocalStoreTest, DeleteRemovesEmptiedDirectories) {
  ASSERT_TRUE(store_->Put("a/b/c", AsBytes("x")).ok());
  ASSERT_TRUE(store_->Put("a/d", AsBytes("x")).ok());
  ASSERT_TRUE(store_->Delete("a/b/c").ok());
  EXPECT_EQ(Tree(), (std::vector<std::string>{"a", "a/d"}));
}

TEST_F(LocalStoreTest, OpenRejectsAFile) {
  fs::create_directories(root_);
  std::ofstream(root_ / "file") << "x";
  EXPECT_FALSE(OpenLocalStore((root_ / "file").string()).ok());
}

}  // namespace
}  // namespace castor
