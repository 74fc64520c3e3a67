#include "castor/format/xorb/chunk_header.h"

#include <gtest/gtest.h>

namespace castor {
namespace {

Bytes Encode(const ChunkHeader& h) {
  Bytes b(kChunkHeaderSize);
  EncodeChunkHeader(h, b.data());
  return b;
}

TEST(ChunkHeader, MatchesTheHfJsExample) {
  // From docs/xet-protocol.md §3.2: version 0, compressed 118844, scheme 2, uncompressed 131072.
  Bytes b = {0x00, 0x3c, 0xd0, 0x01, 0x02, 0x00, 0x00, 0x02};
  auto h = DecodeChunkHeader(b);
  ASSERT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(h->version, 0);
  EXPECT_EQ(h->compressed_size, 118844u);
  EXPECT_EQ(h->scheme, CompressionScheme::kBg4Lz4);
  EXPECT_EQ(h->uncompressed_size, 131072u);
  EXPECT_EQ(Encode(*h), b);
}

TEST(ChunkHeader, AcceptsLimits) {
  for (auto [c, s, u] : {std::tuple{1u, CompressionScheme::kLz4, 1u},
                         std::tuple{262144u, CompressionScheme::kLz4, 131072u},
                         std::tuple{131072u, CompressionScheme::kNone, 131072u}}) {
    ChunkHeader h{0, c, s, u};
    auto d = DecodeChunkHeader(Encode(h));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    EXPECT_EQ(*d, h);
  }
}

void ExpectCorruption(Bytes b, std::string_view what) {
  auto h = DecodeChunkHeader(b);
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.status().code(), StatusCode::kCorruption);
  EXPECT_NE(h.status().message().find(what), std::string::npos) << h.status().ToString();
}

TEST(ChunkHeader, RejectsBadFields) {
  ExpectCorruption(Encode({1, 10, CompressionScheme::kLz4, 10}), "version 1");
  Bytes unknown = Encode({0, 10, CompressionScheme::kLz4, 10});
  unknown[4] = 3;
  ExpectCorruption(unknown, "unknown compression scheme 3");
  unknown[4] = 99;  // "auto" in the reference implementation: never valid on the wire
  ExpectCorruption(unknown, "scheme 99");
  ExpectCorruption(Encode({0, 10, CompressionScheme::kLz4, 131073}), "uncompressed size 131073");
  ExpectCorruption(Encode({0, 10, CompressionScheme::kLz4, 0}), "uncompressed size 0");
  ExpectCorruption(Encode({0, 262145, CompressionScheme::kLz4, 10}), "compressed size 262145");
  ExpectCorruption(Encode({0, 0, CompressionScheme::kLz4, 10}), "compressed size 0");
  ExpectCorruption(Encode({0, 9, CompressionScheme::kNone, 10}), "!= uncompressed size");
  ExpectCorruption(Bytes{0, 1, 0}, "truncated chunk header");
}

}  // namespace
}  // namespace castor
