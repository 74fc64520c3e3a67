// UpstreamChunks over an in-memory castor store holding one stored file: recorded upstream chunks
// read back byte for byte (across the store's own xorb and chunk boundaries), the record survives
// a new instance (it lives in the store), and anything unknown, inconsistent or corrupt yields
// nullopt (a download) rather than wrong bytes.
#include "castor/mirror/upstream_chunks.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/hash/sha256.h"
#include "castor/mirror/castor_destination.h"
#include "castor/storage/memory_store.h"

namespace castor::mirror {
namespace {

Bytes Random(size_t n, uint64_t seed) {
  Bytes b(n);
  SplitMix64(seed).Fill(b);
  return b;
}

class UpstreamChunksTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = Random(3'000'000, 7);
    // Small xorbs, so a read crosses the store's xorb boundaries.
    XorbBuilderOptions small;
    small.max_bytes = 700'000;
    KnownXorbs known;
    CasFileWriter w(cas_, known, 1'800'000'000, small);
    ASSERT_TRUE(w.Write(data_).ok());
    auto r = w.Commit(Sha256::Of(data_));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    file_ = r->file_id;
    // An "upstream xorb" whose chunks are arbitrary slices of the file (upstream boundaries need
    // not match castor's): chunk i is bytes [offsets_[i], offsets_[i + 1]).
    for (uint64_t off = 100'000; off + 90'000 <= 2'900'000; off += 90'000 + (off % 7) * 1000) {
      offsets_.push_back(off);
    }
    for (size_t i = 0; i + 1 < offsets_.size(); ++i) {
      ByteSpan c = Slice(offsets_[i], offsets_[i + 1]);
      chunks_.push_back({ChunkHash(c), c.size()});
    }
  }

  ByteSpan Slice(uint64_t begin, uint64_t end) const {
    return ByteSpan(data_).subspan(begin, end - begin);
  }
  uint32_t Length(uint32_t a, uint32_t b) const { return uint32_t(offsets_[b] - offsets_[a]); }

  std::unique_ptr<ObjectStore> store_ = NewMemoryStore();
  cas::CasService cas_{store_.get()};
  Bytes data_;
  Hash file_;
  Hash xorb_ = ChunkHash(AsBytes("an upstream xorb"));
  std::vector<uint64_t> offsets_;
  std::vector<HashAndSize> chunks_;
};

TEST_F(UpstreamChunksTest, ReadFileRangeMatchesTheFileAnywhere) {
  for (auto [off, len] : std::vector<std::pair<uint64_t, uint64_t>>{
           {0, 1}, {0, 3'000'000}, {699'999, 2}, {123'456, 1'500'000}, {2'999'999, 1}}) {
    auto got = UpstreamChunks::ReadFileRange(cas_, file_, off, len);
    ASSERT_TRUE(got.ok()) << got.status().ToString();
    EXPECT_TRUE(std::equal(got->begin(), got->end(), data_.begin() + ptrdiff_t(off),
                           data_.begin() + ptrdiff_t(off + len)))
        << off << "+" << len;
    EXPECT_EQ(got->size(), len);
  }
  EXPECT_FALSE(UpstreamChunks::ReadFileRange(cas_, file_, 3'000'000, 1).ok());
  EXPECT_FALSE(UpstreamChunks::ReadFileRange(cas_, xorb_, 0, 1).ok());  // no such file
}

TEST_F(UpstreamChunksTest, RecordedChunksReadBackFromTheStore) {
  UpstreamChunks up(cas_);
  EXPECT_FALSE(up.Read(xorb_, {0, 3}, Length(0, 3)));  // nothing recorded yet
  // Two terms recorded (as two fetched terms of one file would be): chunks [0, 10) and [10, n).
  std::vector<HashAndSize> first(chunks_.begin(), chunks_.begin() + 10);
  std::vector<HashAndSize> rest(chunks_.begin() + 10, chunks_.end());
  ASSERT_TRUE(up.Record(file_, {{xorb_, 0, first, offsets_[0]}}).ok());
  ASSERT_TRUE(up.Record(file_, {{xorb_, 10, rest, offsets_[10]}}).ok());
  const uint32_t n = uint32_t(chunks_.size());
  for (auto [a, b] :
       std::vector<std::pair<uint32_t, uint32_t>>{{0, 1}, {0, n}, {5, 15}, {n - 1, n}}) {
    auto got = up.Read(xorb_, {a, b}, Length(a, b));
    ASSERT_TRUE(got) << a << ".." << b;
    ByteSpan want = Slice(offsets_[a], offsets_[b]);
    EXPECT_TRUE(std::equal(got->begin(), got->end(), want.begin(), want.end()));
  }
  EXPECT_FALSE(up.Read(xorb_, {0, n + 1}, Length(0, n)));  // a chunk never seen
  EXPECT_FALSE(up.Read(xorb_, {0, 2}, Length(0, 2) + 1));  // length disagrees
  EXPECT_FALSE(up.Read(ChunkHash(AsBytes("other")), {0, 1}, Length(0, 1)));

  // The record is in the store: a new instance (a later run) knows it.
  UpstreamChunks later(cas_);
  auto again = later.Read(xorb_, {3, 20}, Length(3, 20));
  ASSERT_TRUE(again);
  ByteSpan want = Slice(offsets_[3], offsets_[20]);
  EXPECT_TRUE(std::equal(again->begin(), again->end(), want.begin(), want.end()));
}

TEST_F(UpstreamChunksTest, AFilesTermsAreRecordedTogether) {
  // Two terms of one xorb and one of another, as one file's fetched terms: one record per xorb.
  UpstreamChunks up(cas_);
  Hash other = ChunkHash(AsBytes("another upstream xorb"));
  std::vector<UpstreamChunks::Term> terms{
      {xorb_, 0, {chunks_.begin(), chunks_.begin() + 4}, offsets_[0]},
      {other, 7, {chunks_.begin() + 4, chunks_.begin() + 6}, offsets_[4]},
      {xorb_, 4, {chunks_.begin() + 6, chunks_.begin() + 9}, offsets_[6]}};
  ASSERT_TRUE(up.Record(file_, terms).ok());
  auto page = store_->List("mirrors/.xorbs/", "", 10);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(page->objects.size(), 2u);
  UpstreamChunks later(cas_);
  // xorb_'s chunks 4.. are the file's chunks 6..: [0, 7) of xorb_ is not one run of the file.
  auto a = later.Read(xorb_, {2, 7}, uint32_t(Length(2, 4) + Length(6, 9)));
  ASSERT_TRUE(a);
  Bytes want(Slice(offsets_[2], offsets_[4]).begin(), Slice(offsets_[2], offsets_[4]).end());
  ByteSpan tail = Slice(offsets_[6], offsets_[9]);
  want.insert(want.end(), tail.begin(), tail.end());
  EXPECT_EQ(*a, want);
  auto b = later.Read(other, {7, 9}, Length(4, 6));
  ASSERT_TRUE(b);
  EXPECT_TRUE(std::equal(b->begin(), b->end(), Slice(offsets_[4], offsets_[6]).begin()));
}

TEST_F(UpstreamChunksTest, WrongHashesOrOffsetsGiveNothingRatherThanWrongBytes) {
  UpstreamChunks up(cas_);
  std::vector<HashAndSize> shifted(chunks_.begin(), chunks_.begin() + 5);
  // Recorded one byte off: every chunk's bytes fail their hash.
  ASSERT_TRUE(up.Record(file_, {{xorb_, 0, shifted, offsets_[0] + 1}}).ok());
  EXPECT_FALSE(up.Read(xorb_, {0, 5}, Length(0, 5)));
  EXPECT_FALSE(up.Read(xorb_, {2, 3}, Length(2, 3)));
  // A file the store does not have.
  Hash missing = ChunkHash(AsBytes("no such file"));
  ASSERT_TRUE(up.Record(missing, {{xorb_, 0, shifted, offsets_[0]}}).ok());
  EXPECT_FALSE(up.Read(xorb_, {0, 5}, Length(0, 5)));
  // Corrected, it reads.
  ASSERT_TRUE(up.Record(file_, {{xorb_, 0, shifted, offsets_[0]}}).ok());
  EXPECT_TRUE(up.Read(xorb_, {0, 5}, Length(0, 5)));
}

TEST_F(UpstreamChunksTest, CorruptRecordsAreIgnored) {
  for (std::string body : {"", "{", "[]", R"({"version": 2, "chunks": []})",
                           R"({"version": 1, "chunks": [[0, 5, "zz", "zz", 0], 7, "x"]})",
                           R"({"version": 1, "chunks": [[0, 0, "", "", -1]]})"}) {
    ASSERT_TRUE(store_->Put(UpstreamXorbKey(xorb_), AsBytes(body)).ok());
    UpstreamChunks up(cas_);
    EXPECT_FALSE(up.Lookup(xorb_, {0, 1})) << body;
    // Recording over a corrupt record replaces it.
    ASSERT_TRUE(up.Record(file_, {{xorb_, 0, {chunks_[0]}, offsets_[0]}}).ok());
    EXPECT_TRUE(up.Read(xorb_, {0, 1}, Length(0, 1))) << body;
  }
}

}  // namespace
}  // namespace castor::mirror
