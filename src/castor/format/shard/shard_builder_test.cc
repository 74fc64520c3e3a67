#include "castor/format/shard/shard_builder.h"

#include <gtest/gtest.h>

#include "castor/format/shard/shard_reader.h"
#include "castor/format/shard/shard_test_util.h"

namespace castor {
namespace {

using shard_test::H;
using shard_test::SampleBuilder;

TEST(ShardBuilder, UploadLayout) {
  ShardBuilder b = SampleBuilder();
  auto bytes = b.BuildUpload();
  ASSERT_TRUE(bytes.ok());
  const Bytes& s = *bytes;
  // header + file a (1 + 2 terms + 2 verification + ext) + file b (1 + 1 + 1) + bookend
  // + xorb 1 (1 + 3) + xorb 2 (1 + 2) + bookend
  EXPECT_EQ(s.size(), 48u + 48 * (6 + 3 + 1 + 4 + 3 + 1));
  EXPECT_TRUE(std::equal(kShardTag.begin(), kShardTag.end(), s.begin()));
  EXPECT_EQ(LoadLE64(s.data() + 32), 2u);
  EXPECT_EQ(LoadLE64(s.data() + 40), 0u);  // no footer
  EXPECT_EQ(Hash::FromBytes(s.data() + 48), H(100));
  EXPECT_EQ(LoadLE32(s.data() + 48 + 32), kFileFlagWithVerification | kFileFlagWithMetadataExt);
  EXPECT_EQ(LoadLE32(s.data() + 48 + 36), 2u);
  // The metadata extension stores the sha256 lane-reversed: its Xet hex is the usual hex.
  Hash ext = Hash::FromBytes(s.data() + 48 + 5 * 48);
  Hash sha = Sha256::Of(AsBytes("file a"));
  EXPECT_EQ(ext, LaneReversed(sha));
  EXPECT_EQ(ext.ToXetHex(), sha.ToRawHex());
  // Bookend after file b.
  size_t bookend = 48 + 9 * 48;
  for (int i = 0; i < 32; ++i) EXPECT_EQ(s[bookend + i], 0xff);
  for (int i = 32; i < 48; ++i) EXPECT_EQ(s[bookend + i], 0);
  // First chunk entry of xorb 2: cumulative uncompressed offsets.
  size_t x2 = bookend + 48 + 4 * 48;
  EXPECT_EQ(Hash::FromBytes(s.data() + x2), H(2));
  EXPECT_EQ(LoadLE32(s.data() + x2 + 40), 4500u);  // num_bytes_in_cas
  EXPECT_EQ(LoadLE32(s.data() + x2 + 44), 4400u);  // num_bytes_on_disk
  EXPECT_EQ(LoadLE32(s.data() + x2 + 48 + 48 + 32), 4000u);
}

TEST(ShardBuilder, StoredFooterAndTables) {
  ShardBuilder b = SampleBuilder();
  auto bytes = b.BuildStored(1700000000);
  ASSERT_TRUE(bytes.ok());
  auto r = ShardReader::Parse(*bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE(r->footer().has_value());
  const ShardFooter& f = *r->footer();
  EXPECT_EQ(f.file_info_offset, 48u);
  EXPECT_EQ(f.cas_info_offset, 48u + 48 * 10);
  EXPECT_EQ(f.file_lookup_offset, f.cas_info_offset + 48 * 8);
  EXPECT_EQ(f.file_lookup_num_entry, 2u);
  EXPECT_EQ(f.xorb_lookup_offset, f.file_lookup_offset + 24);
  EXPECT_EQ(f.xorb_lookup_num_entry, 2u);
  EXPECT_EQ(f.chunk_lookup_offset, f.xorb_lookup_offset + 24);
  EXPECT_EQ(f.chunk_lookup_num_entry, 5u);
  EXPECT_EQ(f.footer_offset, f.chunk_lookup_offset + 80);
  EXPECT_EQ(f.footer_offset + 200, bytes->size());
  EXPECT_TRUE(f.chunk_hash_key.IsZero());
  EXPECT_EQ(f.creation_timestamp, 1700000000u);
  EXPECT_EQ(f.key_expiry, UINT64_MAX);
  EXPECT_EQ(f.stored_bytes_on_disk, 9400u);
  EXPECT_EQ(f.stored_bytes, 10500u);
  EXPECT_EQ(f.materialized_bytes, 7500u + 3000u);
  EXPECT_TRUE(r->has_lookup_tables());
  // The tables are sorted by truncated hash and point at the right records.
  for (uint64_t i = 1; i < f.chunk_lookup_num_entry; ++i) {
    EXPECT_LE(LoadLE64(bytes->data() + f.chunk_lookup_offset + 16 * (i - 1)),
              LoadLE64(bytes->data() + f.chunk_lookup_offset + 16 * i));
  }
  EXPECT_EQ(r->FindFile(H(200)), 1u);
  EXPECT_EQ(r->FindXorb(H(2)), 1u);
  EXPECT_EQ(r->FindChunk(H(22)), (ShardChunkLocation{1, 1}));
  EXPECT_EQ(r->FindChunk(H(13)), (ShardChunkLocation{0, 2}));
  EXPECT_FALSE(r->FindChunk(H(99)).has_value());
  EXPECT_FALSE(r->FindFile(H(1)).has_value());
}

TEST(ShardBuilder, GlobalDedupKeysChunkHashes) {
  ShardBuilder b = SampleBuilder();
  HashKey key = H(77);
  auto bytes = b.BuildGlobalDedup(key, 1700000000, 1700086400);
  ASSERT_TRUE(bytes.ok());
  auto r = ShardReader::Parse(*bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->files().empty());
  ASSERT_EQ(r->xorbs().size(), 2u);
  EXPECT_TRUE(r->keyed());
  EXPECT_EQ(r->footer()->chunk_hash_key, key);
  EXPECT_EQ(r->footer()->key_expiry, 1700086400u);
  EXPECT_EQ(r->xorbs()[0].chunks[1].hash, KeyedChunkHash(key, H(12)));
  EXPECT_EQ(r->FindChunk(H(12)), (ShardChunkLocation{0, 1}));
  EXPECT_EQ(r->FindStoredChunkHash(KeyedChunkHash(key, H(21))), (ShardChunkLocation{1, 0}));
  EXPECT_FALSE(r->FindStoredChunkHash(H(12)).has_value());
  EXPECT_EQ(r->FindXorb(H(1)), 0u);
}

TEST(ShardBuilder, RejectsInconsistentFiles) {
  {
    ShardBuilder b = SampleBuilder();
    ShardFile f;
    f.file_hash = H(9);
    f.terms = {{H(1), 0, 1000, 0, 1}};
    b.AddFile(f);  // no verification while the others have it
    EXPECT_EQ(b.BuildUpload().status().code(), StatusCode::kInvalidArgument);
  }
  {
    ShardBuilder b;
    ShardFile f;
    f.file_hash = H(9);
    f.terms = {{H(1), 0, 1000, 0, 1}, {H(1), 0, 1000, 1, 2}};
    f.verification = {H(3)};
    b.AddFile(f);
    EXPECT_EQ(b.BuildUpload().status().code(), StatusCode::kInvalidArgument);
  }
  {
    ShardBuilder b;
    ShardFile f;
    f.file_hash = H(9);
    f.terms = {{H(1), 0, 0, 3, 3}};
    b.AddFile(f);
    EXPECT_EQ(b.BuildUpload().status().code(), StatusCode::kInvalidArgument);
  }
}

TEST(ShardBuilder, RejectsShardsOver64MiB) {
  ShardBuilder b;
  std::vector<HashAndSize> chunks(1400000, {H(1), 10});  // 1400001 records > 64 MiB
  b.AddXorb(ShardXorb::FromChunks(H(2), chunks, 0));
  auto s = b.BuildUpload();
  EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(s.status().message().find("exceeds 64 MiB"), std::string::npos);
}

TEST(ShardBuilder, EmptyShards) {
  ShardBuilder b;
  auto up = b.BuildUpload();
  ASSERT_TRUE(up.ok());
  EXPECT_EQ(up->size(), 48u + 96);
  auto stored = b.BuildStored(1);
  ASSERT_TRUE(stored.ok());
  auto r = ShardReader::Parse(*stored);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->files().empty());
  EXPECT_TRUE(r->xorbs().empty());
}

}  // namespace
}  // namespace castor
