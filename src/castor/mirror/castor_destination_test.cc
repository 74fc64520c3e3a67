// CasFileWriter over an in-memory castor store: streamed bytes in any split give the file id of
// the whole file, a second file sharing most chunks with a stored one stores only its new
// chunks (found through the store's global-dedup answers, with nothing known in advance), and a
// file never committed is never registered.
#include "castor/mirror/castor_destination.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/hash/sha256.h"
#include "castor/mirror/upstream_chunks.h"
#include "castor/storage/memory_store.h"

namespace castor::mirror {
namespace {

Bytes Random(size_t n, uint64_t seed) {
  Bytes b(n);
  SplitMix64(seed).Fill(b);
  return b;
}

Hash ExpectedId(ByteSpan data) {
  std::vector<HashAndSize> chunks;
  size_t off = 0;
  for (uint32_t len : ChunkLengths(data)) {
    chunks.push_back({ChunkHash(data.subspan(off, len)), len});
    off += len;
  }
  return FileHash(chunks);
}

uint64_t StoredBytes(ObjectStore& store, std::string_view prefix) {
  uint64_t total = 0;
  std::string after;
  for (;;) {
    auto page = store.List(prefix, after, 1000);
    EXPECT_TRUE(page.ok());
    if (!page.ok()) return total;
    for (const auto& o : page->objects) total += o.size;
    if (page->next_start_after.empty()) return total;
    after = page->next_start_after;
  }
}

class CasDestinationTest : public ::testing::Test {
 protected:
  std::unique_ptr<ObjectStore> store_ = NewMemoryStore();
  cas::CasService cas_{store_.get()};
  const uint64_t now_ = 1'800'000'000;

  // Writes `data` in pieces of varying size (1 byte up to 200 KiB) and commits it.
  Result<CasFileResult> Put(ByteSpan data, KnownXorbs& known, uint64_t seed) {
    CasFileWriter w(cas_, known, now_);
    SplitMix64 rng(seed);
    size_t off = 0;
    while (off < data.size()) {
      size_t n = std::min<size_t>(data.size() - off, 1 + rng.Next() % 200'000);
      CASTOR_RETURN_IF_ERROR(w.Write(data.subspan(off, n)));
      off += n;
    }
    return w.Commit(Sha256::Of(data));
  }
};

TEST(CastorUri, StripsTheSchemeAndRejectsAnEmptyStore) {
  EXPECT_TRUE(IsCastorDestination("castor:///srv/store"));
  EXPECT_FALSE(IsCastorDestination("s3://b/p"));
  EXPECT_EQ(*CastorStoreUri("castor:///srv/store"), "/srv/store");
  EXPECT_EQ(*CastorStoreUri("castor://s3://b/p?region=x"), "s3://b/p?region=x");
  EXPECT_FALSE(CastorStoreUri("castor://").ok());
  EXPECT_FALSE(CastorStoreUri("/srv/store").ok());
  EXPECT_EQ(CasManifestKey("org/m", "c0"), "mirrors/org/m/c0.json");
  EXPECT_EQ(CasRefKey("datasets/org/d", "main"), "mirrors/datasets/org/d/refs/main");
}

TEST_F(CasDestinationTest, StreamedFileGetsTheWholeFilesIdAndIsRegistered) {
  Bytes data = Random(3'000'000, 1);
  KnownXorbs known;
  auto r = Put(data, known, 7);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->file_id, ExpectedId(data));
  EXPECT_EQ(r->chunks, ChunkLengths(data).size());
  EXPECT_GT(r->xorb_bytes_new, data.size() / 2);
  auto rec = cas_.GetFile(r->file_id);
  ASSERT_TRUE(rec.ok()) << rec.status().ToString();
  EXPECT_EQ(rec->size(), data.size());
  auto plan = cas_.PlanReconstruction(r->file_id, std::nullopt);
  ASSERT_TRUE(plan.ok());
  EXPECT_EQ(plan->file_size, data.size());

  // The same bytes again (a later run knowing nothing) store nothing new.
  KnownXorbs fresh;
  auto again = Put(data, fresh, 8);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->file_id, r->file_id);
  EXPECT_EQ(again->xorb_bytes_new, 0u);
}

TEST_F(CasDestinationTest, FineTuneStoresOnlyItsNewChunks) {
  Bytes base = Random(6'000'000, 2);
  Bytes tuned = base;
  Bytes fresh_part = Random(600'000, 3);  // 10% rewritten in the middle
  std::copy(fresh_part.begin(), fresh_part.end(), tuned.begin() + 3'000'000);
  {
    KnownXorbs known;
    ASSERT_TRUE(Put(base, known, 1).ok());
  }
  const uint64_t before = StoredBytes(*store_, "xorbs/");
  KnownXorbs known;  // a new run: everything it learns comes from the store's dedup answers
  auto r = Put(tuned, known, 2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->file_id, ExpectedId(tuned));
  const uint64_t added = StoredBytes(*store_, "xorbs/") - before;
  // Stored xorb objects carry the store's footer (chunk hashes and boundaries) after the records.
  EXPECT_GE(added, r->xorb_bytes_new);
  EXPECT_LE(added, r->xorb_bytes_new + 64 * r->chunks);
  // The rewritten 600 kB plus the chunks straddling its edges (at most 128 KiB each side),
  // plus xorb framing.
  EXPECT_GE(added, 600'000u);
  EXPECT_LE(added, 600'000u + 2 * kMaxChunkSize + 64 * 1024);
  EXPECT_GT(r->chunks_deduped, r->chunks * 3 / 4);
  EXPECT_TRUE(cas_.GetFile(r->file_id).ok());
}

TEST_F(CasDestinationTest, UncommittedFileIsNeverRegistered) {
  Bytes data = Random(500'000, 4);
  {
    KnownXorbs known;
    CasFileWriter w(cas_, known, now_);
    ASSERT_TRUE(w.Write(data).ok());
    // Dropped without Commit, as after a sha256 mismatch.
  }
  auto rec = cas_.GetFile(ExpectedId(data));
  EXPECT_EQ(rec.status().code(), StatusCode::kNotFound);
  EXPECT_EQ(StoredBytes(*store_, "files/"), 0u);
  EXPECT_EQ(StoredBytes(*store_, "shards/"), 0u);
}

TEST_F(CasDestinationTest, EmptyFileHasTheZeroIdAndRegistersNothing) {
  KnownXorbs known;
  CasFileWriter w(cas_, known, now_);
  auto r = w.Commit(Sha256::Of({}));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->file_id.IsZero());
  EXPECT_EQ(r->xorb_bytes_new, 0u);
  EXPECT_FALSE(w.Commit(Hash::Zero()).ok());  // once only
}

// Fetched upstream terms take their chunk hashes from the stored file's own chunks (the fetch
// path no longer hashes them): aligned terms are recorded with castor's hashes and read back from
// the store; a term that stops lining up is recorded up to the mismatch, one that starts inside a
// castor chunk not at all.
TEST_F(CasDestinationTest, FetchedTermsAreRecordedWithTheStoredFilesChunkHashes) {
  const Bytes data = Random(1 << 20, 21);
  KnownXorbs known;
  CasFileWriter w(cas_, known, now_);
  ASSERT_TRUE(w.Write(data).ok());
  auto r = w.Commit(Sha256::Of(data));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const std::vector<HashAndSize> chunks = w.chunks();
  ASSERT_GE(chunks.size(), 8u);
  std::vector<uint64_t> at{0};
  for (const auto& c : chunks) at.push_back(at.back() + c.size);

  UpstreamChunks upstream(cas_);
  StoreTermSource source(upstream);
  const Hash x = ChunkHash(AsBytes("upstream xorb x")), y = ChunkHash(AsBytes("upstream xorb y"));
  auto size = [&](size_t i) { return uint32_t(chunks[i].size); };
  // Chunks 0-2 of x at offset 0: aligned.
  source.Fetched(x, 0, {size(0), size(1), size(2)}, 0);
  // Chunks 10-12 of x at chunk 3's offset, the second one a byte longer than castor's chunk 4.
  source.Fetched(x, 10, {size(3), size(4) + 1, size(5)}, at[3]);
  // Chunk 0 of y one byte into castor's chunk 6.
  source.Fetched(y, 0, {size(6) - 1}, at[6] + 1);
  ASSERT_TRUE(source.Commit(r->file_id, chunks).ok());

  auto first = upstream.Lookup(x, {0, 3});
  ASSERT_TRUE(first.has_value());
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ((*first)[i].hash, chunks[i].hash) << i;
    EXPECT_EQ((*first)[i].offset, at[i]) << i;
    EXPECT_EQ((*first)[i].file, r->file_id) << i;
  }
  auto bytes = upstream.Read(x, {0, 3}, uint32_t(at[3]));
  ASSERT_TRUE(bytes.has_value());
  EXPECT_TRUE(std::equal(bytes->begin(), bytes->end(), data.begin()));

  auto aligned = upstream.Lookup(x, {10, 11});
  ASSERT_TRUE(aligned.has_value());
  EXPECT_EQ((*aligned)[0].hash, chunks[3].hash);
  EXPECT_FALSE(upstream.Lookup(x, {11, 12}).has_value());
  EXPECT_FALSE(upstream.Lookup(x, {12, 13}).has_value());
  EXPECT_FALSE(upstream.Lookup(y, {0, 1}).has_value());
}

}  // namespace
}  // namespace castor::mirror
