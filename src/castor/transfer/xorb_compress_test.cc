#include "castor/transfer/xorb_compress.h"

#include <gtest/gtest.h>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"

namespace castor {
namespace {

// Compressible text-like bytes, bf16-like numbers and random bytes: all three schemes appear.
// Random bytes first: the leading raw records stay where they are (nothing saved yet); last: the
// encoder writes straight into the room that earlier chunks saved.
Bytes MixedData(bool random_first = false) {
  Bytes data = SplitMix64::Generate(3'000'000, 7);
  const size_t text = random_first ? 1'000'000 : 0, numbers = random_first ? 2'000'000 : 1'000'000;
  for (size_t i = text; i < text + 1'000'000; ++i) data[i] = uint8_t("castor xorb "[i % 12]);
  for (size_t i = numbers; i < numbers + 1'000'000; i += 2) {
    data[i + 1] = uint8_t(0x3f + (data[i] & 1));
  }
  return data;
}

SerializedXorb Build(ByteSpan data, CompressionPolicy policy) {
  XorbBuilderOptions o;
  o.compression = policy;
  XorbBuilder b(o);
  size_t off = 0;
  for (uint32_t len : ChunkLengths(data)) {
    auto cut = b.Add(data.subspan(off, len));
    EXPECT_TRUE(cut.ok());
    EXPECT_FALSE(cut.ok() && cut->has_value());
    off += len;
  }
  return *b.Finish();
}

TEST(CompressXorbInPlace, EqualsTheBuilderWithTheSamePolicy) {
  for (bool random_first : {false, true}) {
    const Bytes data = MixedData(random_first);
    for (CompressionPolicy p : {CompressionPolicy::kPredict, CompressionPolicy::kLz4,
                                CompressionPolicy::kBg4Lz4, CompressionPolicy::kNone}) {
      SerializedXorb want = Build(data, p);
      SerializedXorb x = Build(data, CompressionPolicy::kNone);
      ChunkEncoder enc(p);
      Bytes scratch;
      ASSERT_TRUE(CompressXorbInPlace(x, enc, scratch).ok());
      EXPECT_EQ(x.hash, want.hash);
      EXPECT_EQ(x.bytes, want.bytes);
      ASSERT_EQ(x.chunks.size(), want.chunks.size());
      for (size_t i = 0; i < x.chunks.size(); ++i) {
        EXPECT_EQ(x.chunks[i].physical_offset, want.chunks[i].physical_offset);
        EXPECT_EQ(x.chunks[i].scheme, want.chunks[i].scheme);
        EXPECT_EQ(x.chunks[i].uncompressed_size, want.chunks[i].uncompressed_size);
      }
    }
  }
}

TEST(CompressXorbInPlace, RejectsWhatIsNotARawXorb) {
  const Bytes data = MixedData();
  SerializedXorb compressed = Build(data, CompressionPolicy::kPredict);
  ChunkEncoder enc;
  Bytes scratch;
  EXPECT_EQ(CompressXorbInPlace(compressed, enc, scratch).code(), StatusCode::kInvalidArgument);
  SerializedXorb truncated = Build(data, CompressionPolicy::kNone);
  truncated.bytes.resize(truncated.bytes.size() - 1);
  EXPECT_EQ(CompressXorbInPlace(truncated, enc, scratch).code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace castor
