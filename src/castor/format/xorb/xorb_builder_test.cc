#include "castor/format/xorb/xorb_builder.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/format/testing/synthetic_data.h"
#include "castor/format/xorb/xorb_reader.h"

namespace castor {
namespace {

TEST(XorbBuilder, BuildsAXorbTheReaderVerifies) {
  XorbBuilder b;
  Bytes data = SyntheticBf16Weights(600000, 1);
  std::vector<HashAndSize> expected;
  for (size_t pos = 0; pos < data.size(); pos += 100000) {
    ByteSpan c = ByteSpan(data).subspan(pos, 100000);
    expected.push_back({ChunkHash(c), c.size()});
    auto r = b.Add(c);
    ASSERT_TRUE(r.ok());
    EXPECT_FALSE(r->has_value());
  }
  auto x = b.Finish();
  ASSERT_TRUE(x.has_value());
  EXPECT_FALSE(b.Finish().has_value());
  EXPECT_EQ(x->hash, XorbHash(expected));
  EXPECT_EQ(x->HashesAndSizes(), expected);
  EXPECT_EQ(x->uncompressed_bytes, data.size());
  EXPECT_LT(x->bytes.size(), data.size());  // BG4 pays on weights
  auto reader = XorbReader::Parse(x->bytes);
  ASSERT_TRUE(reader.ok()) << reader.status().ToString();
  ASSERT_EQ(reader->num_chunks(), 6u);
  for (size_t i = 0; i < 6; ++i) {
    EXPECT_EQ(reader->chunk(i).offset, x->chunks[i].physical_offset);
    EXPECT_EQ(reader->chunk(i).header.scheme, x->chunks[i].scheme);
  }
  EXPECT_TRUE(reader->Verify(x->hash).ok());
  Bytes all;
  ASSERT_TRUE(reader->ExtractRange(0, 6, &all).ok());
  EXPECT_EQ(all, data);
}

TEST(XorbBuilder, CutsAtTheChunkLimit) {
  XorbBuilder b(XorbBuilderOptions{.max_chunks = 5});
  std::vector<SerializedXorb> xorbs;
  for (int i = 0; i < 12; ++i) {
    Bytes c = SplitMix64::Generate(100, i);
    auto r = b.Add(c);
    ASSERT_TRUE(r.ok());
    if (*r) xorbs.push_back(std::move(**r));
  }
  xorbs.push_back(*b.Finish());
  ASSERT_EQ(xorbs.size(), 3u);
  EXPECT_EQ(xorbs[0].chunks.size(), 5u);
  EXPECT_EQ(xorbs[1].chunks.size(), 5u);
  EXPECT_EQ(xorbs[2].chunks.size(), 2u);
}

TEST(XorbBuilder, DefaultChunkLimitIs8192) {
  XorbBuilder b;
  Bytes c(16, 'x');
  size_t cut_at = 0;
  for (size_t i = 0; i < 8193; ++i) {
    auto r = b.Add(c);
    ASSERT_TRUE(r.ok());
    if (*r) {
      cut_at = i;
      EXPECT_EQ((*r)->chunks.size(), 8192u);
      auto reader = XorbReader::Parse((*r)->bytes);
      ASSERT_TRUE(reader.ok());
      EXPECT_EQ(reader->num_chunks(), 8192u);
    }
  }
  EXPECT_EQ(cut_at, 8192u);
  EXPECT_EQ(b.num_chunks(), 1u);
}

TEST(XorbBuilder, CutsBeforeTheByteLimitSerializedAndUncompressed) {
  // Incompressible chunks: serialized = uncompressed + 8 per chunk, so the serialized bound bites.
  {
    XorbBuilder b(XorbBuilderOptions{.max_bytes = 1000});
    std::vector<size_t> sizes;
    for (int i = 0; i < 10; ++i) {
      auto r = b.Add(SplitMix64::Generate(300, i));
      ASSERT_TRUE(r.ok());
      if (*r) sizes.push_back((*r)->bytes.size());
    }
    ASSERT_FALSE(sizes.empty());
    for (size_t s : sizes) EXPECT_EQ(s, 3 * 308u);  // a 4th raw chunk would make 1232 > 1000
  }
  // Compressible chunks: the uncompressed bound bites although the bytes stay small.
  {
    XorbBuilder b(XorbBuilderOptions{.max_bytes = 1000});
    for (int i = 0; i < 4; ++i) {
      auto r = b.Add(Bytes(300, 'a'));
      ASSERT_TRUE(r.ok());
      if (i < 3) {
        EXPECT_FALSE(r->has_value());
      }
      if (i == 3) {
        ASSERT_TRUE(r->has_value());
        EXPECT_EQ((*r)->uncompressed_bytes, 900u);
        EXPECT_LT((*r)->bytes.size(), 200u);
      }
    }
  }
}

TEST(XorbBuilder, FullSizeXorbStaysWithin64MiB) {
  // 513 incompressible max-size chunks: the 512th fits by uncompressed bytes (exactly 64 MiB)
  // but not serialized (64 MiB + headers), so the cut comes after 511 chunks.
  XorbBuilder b(XorbBuilderOptions{.compression = CompressionPolicy::kNone});
  Bytes c = SplitMix64::Generate(131072, 3);
  std::optional<SerializedXorb> first;
  for (int i = 0; i < 513 && !first; ++i) {
    auto r = b.Add(c, Hash{});
    ASSERT_TRUE(r.ok());
    if (*r) first = std::move(**r);
  }
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(first->chunks.size(), 511u);
  EXPECT_LE(first->bytes.size(), kXorbMaxBytes);
  EXPECT_LE(first->uncompressed_bytes, kXorbMaxBytes);
}

TEST(XorbBuilder, RejectsBadChunks) {
  XorbBuilder b;
  EXPECT_EQ(b.Add(ByteSpan{}).status().code(), StatusCode::kInvalidArgument);
  Bytes big(131073);
  EXPECT_EQ(b.Add(big).status().code(), StatusCode::kInvalidArgument);
  EXPECT_FALSE(b.Finish().has_value());
}

}  // namespace
}  // namespace castor
