#include "castor/transfer/chunk_stream_decoder.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/format/xorb/xorb_builder.h"

namespace castor {
namespace {

TEST(ChunkStreamDecoder, AnySplitDecodesTheSameChunks) {
  // Compressible and incompressible chunks: all three schemes appear.
  Bytes data = SplitMix64::Generate(600'000, 1);
  for (size_t i = 300'000; i < 600'000; ++i) data[i] = uint8_t(i / 1000);
  XorbBuilder b;
  size_t off = 0;
  for (uint32_t len : ChunkLengths(data)) {
    ASSERT_TRUE(b.Add(ByteSpan(data).subspan(off, len)).ok());
    off += len;
  }
  SerializedXorb x = *b.Finish();
  SplitMix64 rng(2);
  for (int round = 0; round < 30; ++round) {
    Bytes out;
    ChunkStreamDecoder d([&](ByteSpan c) {
      out.insert(out.end(), c.begin(), c.end());
      return Status::OK();
    });
    size_t pos = 0;
    while (pos < x.bytes.size()) {
      size_t n =
          std::min<size_t>(x.bytes.size() - pos, 1 + rng.Next() % (round < 10 ? 16 : 200'000));
      ASSERT_TRUE(d.Feed(ByteSpan(x.bytes).subspan(pos, n)).ok());
      pos += n;
    }
    ASSERT_TRUE(d.Finish().ok());
    EXPECT_EQ(d.chunks(), x.chunks.size());
    EXPECT_EQ(out, data);
  }
  // Truncated: Finish reports it; a corrupt header is an error, never a crash.
  ChunkStreamDecoder d([](ByteSpan) { return Status::OK(); });
  ASSERT_TRUE(d.Feed(ByteSpan(x.bytes).first(x.bytes.size() - 3)).ok());
  EXPECT_EQ(d.Finish().code(), StatusCode::kCorruption);
  Bytes bad = x.bytes;
  bad[4] = 77;  // unknown scheme
  ChunkStreamDecoder e([](ByteSpan) { return Status::OK(); });
  EXPECT_FALSE(e.Feed(bad).ok());
}

TEST(ChunkStreamDecoder, RecordModeHandsOverEveryRecordWhole) {
  Bytes data = SplitMix64::Generate(400'000, 3);
  for (size_t i = 0; i < 200'000; ++i) data[i] = uint8_t(i / 500);
  XorbBuilder b;
  size_t off = 0;
  for (uint32_t len : ChunkLengths(data)) {
    ASSERT_TRUE(b.Add(ByteSpan(data).subspan(off, len)).ok());
    off += len;
  }
  SerializedXorb x = *b.Finish();
  SplitMix64 rng(4);
  for (int round = 0; round < 10; ++round) {
    // Re-encoding each (header, payload) must give back the xorb's bytes, and decoding each
    // payload into caller memory must give back the data.
    Bytes records, decoded;
    ChunkDecoder dec;
    ChunkStreamDecoder d([&](const ChunkHeader& h, ByteSpan payload) -> Status {
      EXPECT_EQ(payload.size(), h.compressed_size);
      uint8_t head[kChunkHeaderSize];
      EncodeChunkHeader(h, head);
      records.insert(records.end(), head, head + kChunkHeaderSize);
      records.insert(records.end(), payload.begin(), payload.end());
      size_t at = decoded.size();
      decoded.resize(at + h.uncompressed_size);
      return dec.Decode(h, payload, MutableByteSpan(decoded).subspan(at));
    });
    size_t pos = 0;
    while (pos < x.bytes.size()) {
      size_t n = std::min<size_t>(x.bytes.size() - pos, 1 + rng.Next() % 100'000);
      ASSERT_TRUE(d.Feed(ByteSpan(x.bytes).subspan(pos, n)).ok());
      pos += n;
    }
    ASSERT_TRUE(d.Finish().ok());
    EXPECT_EQ(d.chunks(), x.chunks.size());
    EXPECT_EQ(records, x.bytes);
    EXPECT_EQ(decoded, data);
  }
  // The callback's error stops the stream and is returned.
  ChunkStreamDecoder e([](const ChunkHeader&, ByteSpan) { return Corruption("stop"); });
  EXPECT_EQ(e.Feed(x.bytes).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace castor
