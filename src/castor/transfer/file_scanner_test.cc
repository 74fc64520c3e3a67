#include "castor/transfer/file_scanner.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"

namespace castor {
namespace {

namespace fs = std::filesystem;

std::vector<HashAndSize> Leaves(const FileScan& s) {
  std::vector<HashAndSize> v;
  for (const auto& c : s.chunks) v.push_back({c.hash, c.length});
  return v;
}

// What a scan must produce, computed the plain way: whole-buffer chunking, one hash at a time.
FileScan Expected(ByteSpan data) {
  FileScan s;
  s.size = data.size();
  uint64_t off = 0;
  for (uint32_t l : ChunkLengths(data)) {
    s.chunks.push_back({off, l, ChunkHash(data.subspan(off, l))});
    off += l;
  }
  s.file_id = FileHash(Leaves(s));
  s.sha256 = Sha256::Of(data);
  return s;
}

void ExpectSame(const FileScan& got, const FileScan& want, const std::string& what) {
  EXPECT_EQ(got.size, want.size) << what;
  EXPECT_EQ(got.file_id, want.file_id) << what;
  EXPECT_EQ(got.sha256, want.sha256) << what;
  EXPECT_EQ(got.chunks, want.chunks) << what;
}

class TempFile {
 public:
  explicit TempFile(ByteSpan data) {
    path_ = (fs::temp_directory_path() /
             ("castor_scan_" + std::to_string(::getpid()) + "_" + std::to_string(counter_++)))
                .string();
    std::ofstream out(path_, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data.data()), data.size());
  }
  ~TempFile() { std::remove(path_.c_str()); }
  const std::string& path() const { return path_; }

 private:
  static inline int counter_ = 0;
  std::string path_;
};

TEST(FileScanner, GoldenFourMiB) {
  std::ifstream in(std::string(CASTOR_TESTDATA_DIR) + "/xet/golden_vectors.json");
  auto g = nlohmann::json::parse(in)["random_4MiB"];
  Bytes data = SplitMix64::Generate(4194304, 0);
  for (int threads : {1, 2}) {
    ScanOptions o;
    o.threads = threads;
    o.block = 1 << 20;
    auto r = ScanBuffer(data, o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->size, 4194304u);
    EXPECT_EQ(r->file_id.ToXetHex(), g["file_hash"].get<std::string>());
    EXPECT_EQ(r->sha256.ToRawHex(), g["sha256"].get<std::string>());
    ASSERT_EQ(r->chunks.size(), g["chunks"].size());
    for (size_t i = 0; i < r->chunks.size(); ++i) {
      EXPECT_EQ(r->chunks[i].offset, g["chunks"][i]["offset"].get<uint64_t>());
      EXPECT_EQ(r->chunks[i].hash.ToXetHex(), g["chunks"][i]["hash"].get<std::string>());
    }
    EXPECT_EQ(XorbHash(Leaves(*r)).ToXetHex(), g["xorb_hash_all_chunks"].get<std::string>());
  }
}

TEST(FileScanner, HfJsCaptureFileId) {
  auto r = ScanFile(std::string(CASTOR_TESTDATA_DIR) + "/xet/hfjs-upload/input.bin", {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->file_id.ToXetHex(),
            "df0a04bf088a2bff695b7c87405ea8ed3fa69f1bae205aa447435535794dc832");
  std::vector<uint32_t> lengths;
  for (const auto& c : r->chunks) lengths.push_back(c.length);
  EXPECT_EQ(lengths, (std::vector<uint32_t>{22353, 16397, 131072, 102707, 25081, 2390}));
}

// Every combination of thread count and block size (down to blocks far smaller than a chunk,
// where whole chunks are carried across several reads) gives the serial, whole-buffer result.
TEST(FileScanner, ParallelEqualsSerialForAnyBlockSize) {
  for (size_t n : {size_t{0}, size_t{1}, size_t{8191}, size_t{131073}, size_t{3000000}}) {
    Bytes data = SplitMix64::Generate(n, n + 11);
    FileScan want = Expected(data);
    for (int threads : {1, 2, 3}) {
      for (size_t block :
           {size_t{1000}, size_t{8192}, size_t{65536 + 17}, size_t{1} << 20, size_t{4} << 20}) {
        ScanOptions o;
        o.threads = threads;
        o.block = block;
        auto r = ScanBuffer(data, o);
        ASSERT_TRUE(r.ok());
        ExpectSame(*r, want,
                   "n=" + std::to_string(n) + " threads=" + std::to_string(threads) +
                       " block=" + std::to_string(block));
      }
    }
  }
}

TEST(FileScanner, FileEqualsBuffer) {
  Bytes data = SplitMix64::Generate(10 << 20, 77);
  TempFile f(data);
  FileScan want = Expected(data);
  for (int threads : {1, 2}) {
    ScanOptions o;
    o.threads = threads;
    auto r = ScanFile(f.path(), o);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectSame(*r, want, "threads=" + std::to_string(threads));
  }
}

// Files are read through a mapping (the blocks are windows of it, the carry already in place):
// every size against every block size and thread count gives the plain result.
TEST(FileScanner, MappedFileEqualsExpectedForAnyBlockSize) {
  for (size_t n : {size_t{1}, size_t{8191}, size_t{131073}, size_t{3000000}}) {
    Bytes data = SplitMix64::Generate(n, n + 5);
    TempFile f(data);
    FileScan want = Expected(data);
    for (int threads : {1, 2, 3}) {
      for (size_t block : {size_t{1000}, size_t{65536 + 17}, size_t{512} << 10, size_t{4} << 20}) {
        ScanOptions o;
        o.threads = threads;
        o.block = block;
        auto r = ScanFile(f.path(), o);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ExpectSame(*r, want,
                   "n=" + std::to_string(n) + " threads=" + std::to_string(threads) +
                       " block=" + std::to_string(block));
      }
    }
  }
}

// Resident file pages of this process, from /proc/self/status (RssFile, KiB).
uint64_t RssFileKiB() {
  std::ifstream in("/proc/self/status");
  std::string key;
  uint64_t v = 0;
  while (in >> key) {
    if (key == "RssFile:") {
      in >> v;
      return v;
    }
    in.ignore(1 << 12, '\n');
  }
  return 0;
}

// The pages of a mapped file are released behind the scan: a 192 MiB file never has more than a
// few blocks of itself resident in the process (peak resident file pages of the process, sampled
// every 64 chunks).
TEST(FileScanner, MappedScanKeepsTheResidentSetSmall) {
  Bytes data = SplitMix64::Generate(192 << 20, 21);
  TempFile f(data);
  data = Bytes();
  for (int threads : {1, 2}) {
    ScanOptions o;
    o.threads = threads;
    o.keep_chunks = false;
    const uint64_t before = RssFileKiB();
    uint64_t peak = before;
    size_t calls = 0;
    auto r = ScanFile(f.path(), o, [&](ByteSpan, const ScannedChunk&) {
      if (++calls % 64 == 0) peak = std::max(peak, RssFileKiB());
      return Status::OK();
    });
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->size, 192u << 20);
    // A few blocks in flight (512 KiB each; 6 MiB measured); 24 MiB when each release started
    // at the page after the previous release's end.
    EXPECT_LT(peak - std::min(peak, before), 12u << 10) << "threads=" << threads;
  }
}

// Another process truncating the file mid-scan: the scan fails with an error naming the file
// (the pages that vanished read as zeros, and nothing read after that is delivered); the
// process does not die of SIGBUS.
TEST(FileScanner, AFileTruncatedDuringTheScanIsAnErrorNotACrash) {
  for (int threads : {1, 2}) {
    Bytes data = SplitMix64::Generate(24 << 20, 30 + threads);
    TempFile f(data);
    ScanOptions o;
    o.threads = threads;
    size_t calls = 0;
    uint64_t delivered = 0;
    auto r = ScanFile(f.path(), o, [&](ByteSpan bytes, const ScannedChunk& c) {
      if (++calls == 1) fs::resize_file(f.path(), 1 << 20);
      EXPECT_TRUE(std::equal(bytes.begin(), bytes.end(), data.begin() + c.offset)) << c.offset;
      delivered += bytes.size();
      return Status::OK();
    });
    ASSERT_FALSE(r.ok()) << "threads=" << threads;
    EXPECT_NE(r.status().message().find("shrank"), std::string::npos) << r.status().ToString();
    EXPECT_NE(r.status().message().find(f.path()), std::string::npos) << r.status().ToString();
    EXPECT_LT(delivered, data.size());
  }
}

// Without keep_chunks the file id is aggregated on the fly; it must equal the aggregation over
// all chunks for every chunk count, including counts around the early-flush thresholds.
TEST(FileScanner, StreamingFileIdEqualsFullAggregation) {
  Bytes data = SplitMix64::Generate(48 << 20, 3);
  ScanOptions keep;
  keep.sha256 = false;
  auto full = ScanBuffer(data, keep);
  ASSERT_TRUE(full.ok());
  const auto& chunks = full->chunks;
  ASSERT_GT(chunks.size(), 600u);
  for (size_t k : {size_t{0}, size_t{1}, size_t{2}, size_t{3}, size_t{9}, size_t{10}, size_t{63},
                   size_t{64}, size_t{65}, size_t{200}, size_t{577}, chunks.size()}) {
    std::vector<HashAndSize> leaves;
    for (size_t i = 0; i < k; ++i) leaves.push_back({chunks[i].hash, chunks[i].length});
    // A prefix ending on a chunk boundary chunks identically.
    size_t bytes = k ? chunks[k - 1].offset + chunks[k - 1].length : 0;
    ScanOptions o;
    o.sha256 = false;
    o.keep_chunks = false;
    o.threads = 2;
    auto r = ScanBuffer(ByteSpan(data).first(bytes), o);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE(r->chunks.empty());
    EXPECT_EQ(r->file_id, FileHash(leaves)) << k << " chunks";
  }
}

TEST(FileScanner, CallbackSeesEveryChunkInOrder) {
  Bytes data = SplitMix64::Generate(5 << 20, 8);
  for (int threads : {1, 2}) {
    ScanOptions o;
    o.threads = threads;
    o.block = 300000;
    Bytes rebuilt;
    uint64_t next = 0;
    auto r = ScanBuffer(data, o, [&](ByteSpan bytes, const ScannedChunk& c) {
      EXPECT_EQ(c.offset, next);
      EXPECT_EQ(bytes.size(), c.length);
      EXPECT_EQ(ChunkHash(bytes), c.hash);
      next += c.length;
      AppendBytes(rebuilt, bytes);
      return Status::OK();
    });
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(rebuilt, data);
  }
}

TEST(FileScanner, CallbackErrorAbortsTheScan) {
  Bytes data = SplitMix64::Generate(20 << 20, 9);
  for (int threads : {1, 2}) {
    ScanOptions o;
    o.threads = threads;
    o.block = 1 << 20;
    int calls = 0;
    auto r = ScanBuffer(data, o, [&](ByteSpan, const ScannedChunk&) {
      return ++calls == 5 ? IOError("disk full") : Status::OK();
    });
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().message(), "disk full");
    EXPECT_EQ(calls, 5);
  }
}

TEST(FileScanner, OptionsSha256Off) {
  Bytes data = SplitMix64::Generate(1 << 20, 1);
  ScanOptions o;
  o.sha256 = false;
  auto r = ScanBuffer(data, o);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->sha256.IsZero());
  EXPECT_EQ(r->file_id, Expected(data).file_id);
}

TEST(FileScanner, ErrorsNameThePath) {
  auto missing = ScanFile("/nonexistent/castor/file", {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("/nonexistent/castor/file"), std::string::npos);

  auto dir = ScanFile(fs::temp_directory_path().string(), {});
  ASSERT_FALSE(dir.ok());
  EXPECT_EQ(dir.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(dir.status().message().find("is a directory"), std::string::npos);
}

}  // namespace
}  // namespace castor

namespace castor {
namespace {

TEST(ListFilesToScan, WalksSortedAndHandlesLinks) {
  namespace fs = std::filesystem;
  fs::path root = fs::temp_directory_path() / ("castor_walk_" + std::to_string(::getpid()));
  fs::remove_all(root);
  fs::create_directories(root / "b" / "sub");
  fs::create_directories(root / "a");
  std::ofstream(root / "z.bin") << "z";
  std::ofstream(root / "a" / "2") << "2";
  std::ofstream(root / "a" / "10") << "10";
  std::ofstream(root / "b" / "sub" / "deep") << "d";
  fs::create_symlink(root / "z.bin", root / "b" / "link_to_file");
  fs::create_symlink(root / "a", root / "b" / "link_to_dir");
  fs::create_symlink(root / "missing", root / "b" / "broken");
  fs::create_symlink(root, root / "b" / "sub" / "loop");

  auto got = ListFilesToScan(root.string());
  std::vector<std::string> paths;
  for (const auto& f : got) paths.push_back(f.path.substr(root.string().size()));
  EXPECT_EQ(paths, (std::vector<std::string>{"/a/10", "/a/2", "/b/broken", "/b/link_to_file",
                                             "/b/sub/deep", "/z.bin"}));
  ASSERT_EQ(got.size(), 6u);
  EXPECT_EQ(got[2].status.code(), StatusCode::kNotFound);
  for (size_t i : {0, 1, 3, 4, 5}) EXPECT_TRUE(got[i].status.ok()) << got[i].path;

  auto single = ListFilesToScan((root / "z.bin").string());
  ASSERT_EQ(single.size(), 1u);
  EXPECT_TRUE(single[0].status.ok());
  EXPECT_EQ(ListFilesToScan("-")[0].path, "-");
  fs::remove_all(root);
}

}  // namespace
}  // namespace castor
