// The xorb and shard the official Hugging Face JS client (@huggingface/hub 2.17.5) uploaded for a
// 300000-byte file (tests/testdata/xet/hfjs-upload/, see report.txt there), decoded and checked
// against castor's own computation, and castor's own upload shard compared with it byte by byte.
#include <gtest/gtest.h>

#include <fstream>
#include <iterator>

#include "castor/chunking/chunker.h"
#include "castor/format/shard/shard_builder.h"
#include "castor/format/shard/shard_reader.h"
#include "castor/format/xorb/xorb_builder.h"
#include "castor/format/xorb/xorb_reader.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"

namespace castor {
namespace {

Bytes Read(const std::string& name) {
  std::ifstream in(std::string(CASTOR_TESTDATA_DIR) + "/xet/hfjs-upload/" + name, std::ios::binary);
  EXPECT_TRUE(in.good()) << name;
  return Bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The hash in the upload URL: POST /v1/xorbs/default/<hash>.
const Hash kXorbHash =
    *Hash::FromXetHex("06af1601a4c6dfee551ed4a36fad2c2e7747d61627c214af67dadee9459f96ee");
const std::vector<uint32_t> kLengths = {22353, 16397, 131072, 102707, 25081, 2390};

class HfJsUpload : public ::testing::Test {
 protected:
  void SetUp() override {
    input_ = Read("input.bin");
    xorb_ = Read("xorb.bin");
    shard_ = Read("shard.bin");
    ASSERT_EQ(input_.size(), 300000u);
    ASSERT_EQ(xorb_.size(), 162059u);
    ASSERT_EQ(shard_.size(), 872u);
    // castor's own view of the file: spec chunking, chunk hashes, file hash, sha256.
    size_t pos = 0;
    for (uint32_t len : ChunkLengths(input_)) {
      ByteSpan c = ByteSpan(input_).subspan(pos, len);
      chunks_.push_back({ChunkHash(c), len});
      hashes_.push_back(chunks_.back().hash);
      pos += len;
    }
  }
  Bytes input_, xorb_, shard_;
  std::vector<HashAndSize> chunks_;
  std::vector<Hash> hashes_;
};

TEST_F(HfJsUpload, XorbDecodesToTheFileAndItsHashMatches) {
  auto r = XorbReader::Parse(xorb_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->num_chunks(), 6u);
  EXPECT_FALSE(r->footer().has_value());
  const CompressionScheme schemes[] = {CompressionScheme::kNone,   CompressionScheme::kNone,
                                       CompressionScheme::kBg4Lz4, CompressionScheme::kBg4Lz4,
                                       CompressionScheme::kBg4Lz4, CompressionScheme::kBg4Lz4};
  ChunkDecoder dec;
  size_t pos = 0;
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(r->chunk(i).header.scheme, schemes[i]) << i;
    EXPECT_EQ(r->chunk(i).header.uncompressed_size, kLengths[i]) << i;
    Bytes out;
    ASSERT_TRUE(r->DecodeChunk(i, dec, &out).ok()) << i;
    EXPECT_TRUE(std::equal(out.begin(), out.end(), input_.begin() + pos)) << "chunk " << i;
    pos += out.size();
  }
  EXPECT_EQ(pos, input_.size());
  Status v = r->Verify(kXorbHash);
  EXPECT_TRUE(v.ok()) << v.ToString();
  auto computed = r->ComputeChunkHashes();
  ASSERT_TRUE(computed.ok());
  EXPECT_EQ(*computed, chunks_);  // spec chunking of input.bin gives the same six chunks
  EXPECT_EQ(XorbHash(chunks_), kXorbHash);
}

TEST_F(HfJsUpload, CastorBuildsTheSameXorbContent) {
  // Trying both codecs on every chunk, as hf.js does, picks the same schemes; the compressed
  // sizes differ (another LZ4 encoder), the hash cannot.
  for (auto policy : {CompressionPolicy::kBestOf, CompressionPolicy::kPredict}) {
    XorbBuilder b(XorbBuilderOptions{.compression = policy});
    size_t pos = 0;
    for (size_t i = 0; i < 6; ++i) {
      ASSERT_TRUE(b.Add(ByteSpan(input_).subspan(pos, kLengths[i])).ok());
      pos += kLengths[i];
    }
    auto x = b.Finish();
    ASSERT_TRUE(x.has_value());
    EXPECT_EQ(x->hash, kXorbHash);
    auto r = XorbReader::Parse(xorb_);
    for (size_t i = 0; i < 6; ++i) {
      EXPECT_EQ(x->chunks[i].scheme, r->chunk(i).header.scheme)
          << "policy " << int(policy) << " chunk " << i;
    }
    std::printf("policy %d: castor %zu bytes, hf.js %zu bytes\n", int(policy), x->bytes.size(),
                xorb_.size());
  }
}

TEST_F(HfJsUpload, ShardMatchesCastorsComputation) {
  auto r = ShardReader::Parse(shard_);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->footer_size(), 200u);  // hf.js sends a footer, without lookup tables
  ASSERT_EQ(r->files().size(), 1u);
  const ShardFile& f = r->files()[0];
  EXPECT_EQ(f.file_hash, FileHash(chunks_));
  EXPECT_EQ(f.file_hash.ToXetHex(),
            "df0a04bf088a2bff695b7c87405ea8ed3fa69f1bae205aa447435535794dc832");
  ASSERT_EQ(f.terms.size(), 1u);
  EXPECT_EQ(f.terms[0], (ShardTerm{kXorbHash, 0, 300000, 0, 6}));
  ASSERT_EQ(f.verification.size(), 1u);
  EXPECT_EQ(f.verification[0], VerificationHash(hashes_));
  ASSERT_TRUE(f.sha256.has_value());
  EXPECT_EQ(*f.sha256, Sha256::Of(input_));
  EXPECT_EQ(f.sha256->ToRawHex(),
            "9f40096ffd2a55430d7ed2038dad22acdba9be7c7acc96b4ec785206121f9b07");
  ASSERT_EQ(r->xorbs().size(), 1u);
  EXPECT_EQ(r->xorbs()[0], ShardXorb::FromChunks(kXorbHash, chunks_, 162059));
  EXPECT_EQ(r->FindChunk(hashes_[3]), (ShardChunkLocation{0, 3}));
  const ShardFooter& ft = *r->footer();
  EXPECT_EQ(ft.cas_info_offset, 288u);
  EXPECT_EQ(ft.creation_timestamp, 1795919135u);
  EXPECT_EQ(ft.stored_bytes_on_disk, 162059u);
  EXPECT_EQ(ft.stored_bytes, 300000u);
  EXPECT_EQ(ft.footer_offset, 672u);
}

TEST_F(HfJsUpload, CastorsUploadShardIsByteIdenticalExceptByDesign) {
  ShardFile f;
  f.file_hash = FileHash(chunks_);
  f.terms = {{kXorbHash, 0, 300000, 0, 6}};
  f.verification = {VerificationHash(hashes_)};
  f.sha256 = Sha256::Of(input_);
  ShardBuilder b;
  b.AddFile(f);
  b.AddXorb(ShardXorb::FromChunks(kXorbHash, chunks_, uint32_t(xorb_.size())));
  auto ours = b.BuildUpload();
  ASSERT_TRUE(ours.ok());
  // By design: castor's upload form has no footer (as the spec asks), so it is hf.js's shard
  // without its 200-byte footer, and the header's footer_size (bytes 40..47) says 0, not 200.
  ASSERT_EQ(ours->size(), 672u);
  EXPECT_TRUE(std::equal(ours->begin(), ours->begin() + 40, shard_.begin()));
  EXPECT_EQ(LoadLE64(ours->data() + 40), 0u);
  EXPECT_EQ(LoadLE64(shard_.data() + 40), 200u);
  EXPECT_TRUE(std::equal(ours->begin() + 48, ours->end(), shard_.begin() + 48));
  // castor's stored form carries the same sections, then lookup tables and a full footer; with
  // hf.js's timestamp its footer agrees on every field hf.js fills in.
  auto stored = b.BuildStored(1795919135, 0);
  ASSERT_TRUE(stored.ok());
  EXPECT_TRUE(std::equal(stored->begin() + 48, stored->begin() + 672, shard_.begin() + 48));
  auto sr = ShardReader::Parse(*stored);
  ASSERT_TRUE(sr.ok());
  auto hfjs = ShardReader::Parse(shard_);
  ASSERT_TRUE(hfjs.ok());
  const ShardFooter& theirs = *hfjs->footer();
  const ShardFooter& mine = *sr->footer();
  EXPECT_EQ(mine.file_info_offset, theirs.file_info_offset);
  EXPECT_EQ(mine.cas_info_offset, theirs.cas_info_offset);
  EXPECT_EQ(mine.chunk_hash_key, theirs.chunk_hash_key);
  EXPECT_EQ(mine.creation_timestamp, theirs.creation_timestamp);
  EXPECT_EQ(mine.stored_bytes_on_disk, theirs.stored_bytes_on_disk);
  EXPECT_EQ(mine.stored_bytes, theirs.stored_bytes);
  // hf.js leaves materialized_bytes at 0; castor fills it in.
  EXPECT_EQ(theirs.materialized_bytes, 0u);
  EXPECT_EQ(mine.materialized_bytes, 300000u);
}

}  // namespace
}  // namespace castor
