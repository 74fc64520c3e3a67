#include "castor/format/xorb/xorb_reader.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/format/testing/synthetic_data.h"
#include "castor/format/xorb/xorb_builder.h"

namespace castor {
namespace {

// A small xorb with one chunk of each scheme: none, LZ4, BG4.
struct Sample {
  Bytes data;
  std::vector<size_t> sizes;
  SerializedXorb xorb;
};

Sample MakeSample() {
  Sample s;
  Bytes random = SplitMix64::Generate(300, 1);
  Bytes text = SyntheticText(4000, 2);
  Bytes weights = SyntheticBf16Weights(8192, 3);
  XorbBuilder b;
  for (const Bytes* c : {&random, &text, &weights}) {
    s.data.insert(s.data.end(), c->begin(), c->end());
    s.sizes.push_back(c->size());
    EXPECT_TRUE(b.Add(*c).ok());
  }
  s.xorb = *b.Finish();
  EXPECT_EQ(s.xorb.chunks[0].scheme, CompressionScheme::kNone);
  EXPECT_EQ(s.xorb.chunks[1].scheme, CompressionScheme::kLz4);
  EXPECT_EQ(s.xorb.chunks[2].scheme, CompressionScheme::kBg4Lz4);
  return s;
}

void ExpectCorruption(const Status& s, std::string_view what) {
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find(what), std::string::npos) << s.ToString();
}

TEST(XorbReader, ParsesExtractsAndLocates) {
  Sample s = MakeSample();
  auto r = XorbReader::Parse(s.xorb.bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->num_chunks(), 3u);
  EXPECT_FALSE(r->footer().has_value());
  EXPECT_EQ(r->records_size(), s.xorb.bytes.size());
  EXPECT_EQ(r->uncompressed_size(), s.data.size());
  EXPECT_TRUE(r->Verify(s.xorb.hash).ok());
  for (size_t a = 0; a < 3; ++a) {
    for (size_t b = a + 1; b <= 3; ++b) {
      Bytes out;
      ASSERT_TRUE(r->ExtractRange(a, b, &out).ok());
      size_t off = 0, len = 0;
      for (size_t i = 0; i < a; ++i) off += s.sizes[i];
      for (size_t i = a; i < b; ++i) len += s.sizes[i];
      EXPECT_EQ(out, Bytes(s.data.begin() + off, s.data.begin() + off + len));
      auto range = r->PhysicalRange(a, b);
      ASSERT_TRUE(range.ok());
      EXPECT_EQ(range->begin, r->chunk(a).offset);
      // A ranged read of those bytes parses on its own and decodes to the same chunks.
      auto part = XorbReader::Parse(
          ByteSpan(s.xorb.bytes).subspan(range->begin, range->end - range->begin));
      ASSERT_TRUE(part.ok());
      Bytes again;
      ASSERT_TRUE(part->ExtractRange(0, b - a, &again).ok());
      EXPECT_EQ(again, out);
    }
  }
  EXPECT_EQ(r->PhysicalRange(0, 3)->end, s.xorb.bytes.size());
  EXPECT_EQ(r->PhysicalRange(2, 2).status().code(), StatusCode::kOutOfRange);
  EXPECT_EQ(r->PhysicalRange(0, 4).status().code(), StatusCode::kOutOfRange);
  Bytes out;
  EXPECT_EQ(r->ExtractRange(1, 5, &out).code(), StatusCode::kOutOfRange);
}

TEST(XorbReader, VerifyDetectsWrongHash) {
  Sample s = MakeSample();
  auto r = XorbReader::Parse(s.xorb.bytes);
  ASSERT_TRUE(r.ok());
  Hash wrong = s.xorb.hash;
  wrong.bytes[0] ^= 1;
  ExpectCorruption(r->Verify(wrong), "xorb hash");
}

TEST(XorbReader, AcceptsAndChecksTheFooter) {
  Sample s = MakeSample();
  auto r = XorbReader::Parse(s.xorb.bytes);
  ASSERT_TRUE(r.ok());
  auto f = r->BuildFooter();
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->xorb_hash, s.xorb.hash);
  Bytes stored = s.xorb.bytes;
  f->AppendTo(&stored);
  EXPECT_EQ(stored.size(), s.xorb.bytes.size() + XorbFooter::SerializedSize(3));
  auto with = XorbReader::Parse(stored);
  ASSERT_TRUE(with.ok()) << with.status().ToString();
  ASSERT_TRUE(with->footer().has_value());
  EXPECT_EQ(with->num_chunks(), 3u);
  EXPECT_EQ(with->records_size(), s.xorb.bytes.size());
  EXPECT_TRUE(with->Verify(s.xorb.hash).ok());
  // A footer whose chunk hash is wrong parses (hashes are not recomputed) but fails Verify.
  XorbFooter bad = *f;
  bad.chunk_hashes[1].bytes[5] ^= 1;
  Bytes stored_bad = s.xorb.bytes;
  bad.AppendTo(&stored_bad);
  auto rb = XorbReader::Parse(stored_bad);
  ASSERT_TRUE(rb.ok());
  ExpectCorruption(rb->Verify(s.xorb.hash), "hash of chunk 1");
  // Boundaries that disagree with the headers fail the parse.
  bad = *f;
  bad.physical_ends[0] += 1;
  stored_bad = s.xorb.bytes;
  bad.AppendTo(&stored_bad);
  ExpectCorruption(XorbReader::Parse(stored_bad).status(), "boundaries of chunk 0");
}

TEST(XorbReader, TruncationAtEveryOffsetIsAnError) {
  Sample s = MakeSample();
  Bytes stored = s.xorb.bytes;
  XorbReader::Parse(s.xorb.bytes)->BuildFooter()->AppendTo(&stored);
  std::vector<size_t> boundaries;  // cuts at record boundaries leave a valid, shorter xorb
  for (const auto& c : s.xorb.chunks) boundaries.push_back(c.physical_offset);
  for (const Bytes* whole : {&s.xorb.bytes, &stored}) {
    for (size_t cut = 0; cut < whole->size(); ++cut) {
      auto r = XorbReader::Parse(ByteSpan(*whole).first(cut));
      bool at_boundary =
          cut != 0 && (std::find(boundaries.begin(), boundaries.end(), cut) != boundaries.end() ||
                       cut == s.xorb.bytes.size());
      if (at_boundary) {
        ASSERT_TRUE(r.ok()) << cut;
        // Whole records without the footer verify only when all of them are there.
        EXPECT_EQ(r->Verify(s.xorb.hash).ok(), cut == s.xorb.bytes.size()) << cut;
        continue;
      }
      ASSERT_FALSE(r.ok()) << cut;
      EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
    }
  }
  ExpectCorruption(XorbReader::Parse({}).status(), "no chunk");
  ExpectCorruption(XorbReader::Parse(ByteSpan(s.xorb.bytes).first(100)).status(),
                   "runs past the end");
}

TEST(XorbReader, FlippedBytesNeverYieldWrongBytesSilently) {
  Sample s = MakeSample();
  for (size_t i = 0; i < s.xorb.bytes.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80}) {
      Bytes b = s.xorb.bytes;
      b[i] ^= flip;
      auto r = XorbReader::Parse(b);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kCorruption);
        continue;
      }
      // Parsing may succeed (a flipped payload byte). Then either verification fails, or the
      // flip did not change the decoded bytes (LZ4 encodings are not unique: a match offset may
      // move to an identical earlier string).
      if (r->Verify(s.xorb.hash).ok()) {
        Bytes out;
        ASSERT_TRUE(r->ExtractRange(0, r->num_chunks(), &out).ok());
        EXPECT_EQ(out, s.data) << "byte " << i << " flip " << int(flip);
      }
    }
  }
}

TEST(XorbReader, RejectsBadHeaders) {
  Sample s = MakeSample();
  size_t second = s.xorb.chunks[1].physical_offset;
  Bytes b = s.xorb.bytes;
  b[second + 4] = 7;
  ExpectCorruption(XorbReader::Parse(b).status(),
                   "chunk 1 at byte 308: unknown compression scheme 7");
  b = s.xorb.bytes;
  b[second] = 1;
  ExpectCorruption(XorbReader::Parse(b).status(), "version 1");
  b = s.xorb.bytes;
  StoreLE24(b.data() + second + 5, 131073);
  ExpectCorruption(XorbReader::Parse(b).status(), "uncompressed size 131073");
  b = s.xorb.bytes;
  StoreLE24(b.data() + second + 1, 262145);
  ExpectCorruption(XorbReader::Parse(b).status(), "compressed size 262145");
  // A header that lies about the decoded length: parse succeeds, decoding names the chunk.
  b = s.xorb.bytes;
  StoreLE24(b.data() + second + 5, s.sizes[1] + 1);
  auto r = XorbReader::Parse(b);
  ASSERT_TRUE(r.ok());
  Bytes out;
  ExpectCorruption(r->ExtractRange(1, 2, &out), "chunk 1");
  ExpectCorruption(r->ComputeChunkHashes().status(), "chunk 1");
}

TEST(XorbReader, RejectsTooManyChunksAndTooManyBytes) {
  // 8193 one-byte raw chunks.
  Bytes many;
  for (int i = 0; i < 8193; ++i) {
    uint8_t h[kChunkHeaderSize];
    EncodeChunkHeader({0, 1, CompressionScheme::kNone, 1}, h);
    many.insert(many.end(), h, h + kChunkHeaderSize);
    many.push_back(uint8_t(i));
  }
  ExpectCorruption(XorbReader::Parse(many).status(), "more than 8192 chunks");
  EXPECT_TRUE(XorbReader::Parse(ByteSpan(many).first(8192 * 9)).ok());
  // 513 LZ4 chunks of 128 KiB each (a tiny frame of zeros): 64 MiB + 128 KiB uncompressed in a
  // small body, as the JS client (which cuts on serialized bytes) makes them: valid.
  Bytes zeros(131072, 0);
  Bytes record;
  ChunkEncoder enc(CompressionPolicy::kLz4);
  ASSERT_TRUE(enc.Append(zeros, &record).ok());
  Bytes big;
  for (int i = 0; i < 513; ++i) big.insert(big.end(), record.begin(), record.end());
  auto parsed = XorbReader::Parse(big);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  EXPECT_EQ(parsed->uncompressed_size(), 513u * 131072);
  // Raw records past 64 MiB + 8 bytes per chunk of headers are too large.
  Bytes raw;
  ChunkEncoder none(CompressionPolicy::kNone);
  ASSERT_TRUE(none.Append(zeros, &raw).ok());
  Bytes serialized;
  for (int i = 0; i < 513; ++i) serialized.insert(serialized.end(), raw.begin(), raw.end());
  ExpectCorruption(XorbReader::Parse(serialized).status(), "exceeds 64 MiB");
  EXPECT_TRUE(XorbReader::Parse(ByteSpan(serialized).first(512 * raw.size())).ok());
}

}  // namespace
}  // namespace castor
