// Local-directory specifics beyond the conformance suite: what a crash leaves behind, races
// between processes, and that hostile keys never reach the file system.
#include "castor/storage/local_store.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <utime.h>

#include <filesystem>
#include <fstream>

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
