#include "castor/dedup/upload_builder.h"

#include <gtest/gtest.h>

#include <map>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/format/shard/shard_reader.h"
#include "castor/format/xorb/xorb_reader.h"
#include "castor/hash/sha256.h"

namespace castor {
namespace {

// Everything "stored" so far: xorb hash -> serialized xorb.
using XorbStore = std::map<Hash, Bytes>;

struct Pushed {
  Bytes shard;
  std::vector<Hash> ids;
  UploadStats stats;
};

Pushed Push(UploadBuilder& b, const std::vector<Bytes>& files, XorbStore& store) {
  Pushed p;
  for (const Bytes& f : files) {
    b.BeginFile();
    size_t off = 0;
    std::vector<HashAndSize> chunks;
    for (uint32_t len : ChunkLengths(f)) {
      ByteSpan c = ByteSpan(f).subspan(off, len);
      off += len;
      Hash h = ChunkHash(c);
      chunks.push_back({h, len});
      // WouldCut announces exactly the new chunks whose addition completes a xorb.
      const bool announced = b.WouldCut(len) && !b.IsKnown(h);
      auto cut = b.AddChunk(c, h);
      EXPECT_TRUE(cut.ok()) << cut.status().ToString();
      EXPECT_EQ(announced, cut.ok() && cut->has_value());
      if (cut.ok() && *cut) store[(*cut)->hash] = (*cut)->bytes;
    }
    p.ids.push_back(FileHash(chunks));
    EXPECT_TRUE(b.EndFile(p.ids.back(), Sha256::Of(f)).ok());
  }
  if (auto last = b.Finish()) store[last->hash] = last->bytes;
  p.shard = *b.BuildShard();
  p.stats = b.stats();
  return p;
}

// Rebuilds a file from a shard's terms and the stored xorbs; checks verification hashes.
Bytes Rebuild(const ShardFile& f, const XorbStore& store) {
  Bytes out;
  for (size_t t = 0; t < f.terms.size(); ++t) {
    const ShardTerm& term = f.terms[t];
    auto it = store.find(term.xorb_hash);
    EXPECT_NE(it, store.end()) << "term names a xorb never produced";
    if (it == store.end()) return {};
    auto r = XorbReader::Parse(it->second);
    EXPECT_TRUE(r.ok());
    Bytes part;
    EXPECT_TRUE(r->ExtractRange(term.chunk_begin, term.chunk_end, &part).ok());
    EXPECT_EQ(part.size(), term.unpacked_bytes);
    auto hashes = *r->ComputeChunkHashes();
    std::vector<Hash> hs;
    for (uint32_t c = term.chunk_begin; c < term.chunk_end; ++c) hs.push_back(hashes[c].hash);
    EXPECT_EQ(f.verification[t], VerificationHash(hs));
    out.insert(out.end(), part.begin(), part.end());
  }
  return out;
}

void ExpectRebuilds(const Pushed& p, const std::vector<Bytes>& files, const XorbStore& store) {
  auto shard = ShardReader::Parse(p.shard);
  ASSERT_TRUE(shard.ok()) << shard.status().ToString();
  for (size_t i = 0; i < files.size(); ++i) {
    if (files[i].empty()) continue;
    auto at = shard->FindFile(p.ids[i]);
    ASSERT_TRUE(at.has_value());
    const ShardFile& f = shard->files()[*at];
    EXPECT_EQ(f.sha256, Sha256::Of(files[i]));
    EXPECT_EQ(Rebuild(f, store), files[i]) << "file " << i;
  }
}

TEST(UploadBuilder, PacksSeveralFilesAndDedupsWithinTheSession) {
  Bytes a = SplitMix64::Generate(3'000'000, 1);
  Bytes b = a;  // an identical copy: no new chunk
  Bytes c = SplitMix64::Generate(200'000, 2);
  std::vector<Bytes> files = {a, b, c, Bytes()};
  XorbBuilderOptions small;
  small.max_chunks = 10;  // several xorbs, terms across xorb cuts
  UploadBuilder builder(small);
  XorbStore store;
  Pushed p = Push(builder, files, store);
  ExpectRebuilds(p, files, store);
  EXPECT_EQ(p.stats.files, 4u);
  EXPECT_EQ(p.stats.bytes_read, a.size() * 2 + c.size());
  EXPECT_EQ(p.stats.bytes_new, a.size() + c.size());
  EXPECT_GT(p.stats.chunks_deduped_session, 0u);
  EXPECT_EQ(p.stats.chunks_deduped_known, 0u);
  EXPECT_EQ(p.stats.xorbs_new, store.size());
  auto shard = ShardReader::Parse(p.shard);
  EXPECT_EQ(shard->files().size(), 2u);  // a and b share an id; the empty file needs no entry
  EXPECT_EQ(shard->xorbs().size(), store.size());
}

TEST(UploadBuilder, KnownXorbsFromAnEarlierUploadMeanNothingNew) {
  std::vector<Bytes> files = {SplitMix64::Generate(2'000'000, 3)};
  XorbStore store;
  UploadBuilder first;
  Pushed p1 = Push(first, files, store);
  auto shard = ShardReader::Parse(p1.shard);
  ASSERT_TRUE(shard.ok());

  UploadBuilder second;
  second.AddKnownShard(shard->xorbs(), HashKey::Zero());
  size_t before = store.size();
  Pushed p2 = Push(second, files, store);
  EXPECT_EQ(p2.stats.bytes_new, 0u);
  EXPECT_EQ(p2.stats.xorbs_new, 0u);
  EXPECT_EQ(store.size(), before);
  EXPECT_EQ(p2.ids, p1.ids);
  ExpectRebuilds(p2, files, store);
  // One term: the file is one run of one stored xorb.
  EXPECT_EQ(ShardReader::Parse(p2.shard)->files()[0].terms.size(), 1u);
}

TEST(UploadBuilder, FineTuneUploadsOnlyChangedChunks) {
  Bytes base = SplitMix64::Generate(4'000'000, 4);
  Bytes tuned = base;
  for (size_t i = 1'000'000; i < 1'000'100; ++i) tuned[i] ^= 0x5a;  // a small edit
  XorbStore store;
  UploadBuilder first;
  Pushed p1 = Push(first, {base}, store);
  UploadBuilder second;
  second.AddKnownShard(ShardReader::Parse(p1.shard)->xorbs(), HashKey::Zero());
  Pushed p2 = Push(second, {tuned}, store);
  EXPECT_GT(p2.stats.bytes_new, 0u);
  EXPECT_LT(p2.stats.bytes_new, 300'000u);  // about two chunks around the edit
  EXPECT_GT(p2.stats.chunks_deduped_known, 40u);
  ExpectRebuilds(p2, {tuned}, store);
}

TEST(UploadBuilder, MatchesKeyedGlobalDedupAnswers) {
  Bytes data = SplitMix64::Generate(1'500'000, 5);
  XorbStore store;
  UploadBuilder first;
  Pushed p1 = Push(first, {data}, store);
  auto shard = ShardReader::Parse(p1.shard);
  // What a server answers: the xorb with keyed chunk hashes.
  ShardBuilder answer;
  for (auto& x : shard->xorbs()) answer.AddXorb(x);
  HashKey key = Hash::FromBytes(SplitMix64::Generate(32, 9).data());
  auto keyed = ShardReader::Parse(*answer.BuildGlobalDedup(key, 10, 1000));
  ASSERT_TRUE(keyed.ok());
  ASSERT_TRUE(keyed->keyed());
  UploadBuilder second;
  second.AddKnownShard(keyed->xorbs(), keyed->footer()->chunk_hash_key);
  Pushed p2 = Push(second, {data}, store);
  EXPECT_EQ(p2.stats.bytes_new, 0u);
  ExpectRebuilds(p2, {data}, store);
}

TEST(UploadBuilder, RejectsAFileIdThatDisagreesWithItsChunks) {
  UploadBuilder b;
  b.BeginFile();
  Bytes c = SplitMix64::Generate(5000, 6);
  ASSERT_TRUE(b.AddChunk(c, ChunkHash(c)).ok());
  EXPECT_EQ(b.EndFile(Hash{}, std::nullopt).code(), StatusCode::kInternal);
  EXPECT_FALSE(UploadBuilder().AddChunk(c, ChunkHash(c)).ok());  // outside a file
}

}  // namespace
}  // namespace castor
