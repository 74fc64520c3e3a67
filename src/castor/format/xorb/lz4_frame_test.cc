#include "castor/format/xorb/lz4_frame.h"

#include <gtest/gtest.h>
#include <lz4frame.h>

#include "castor/base/splitmix64.h"
#include "castor/format/testing/synthetic_data.h"

namespace castor {
namespace {

Bytes Compress(ByteSpan in) {
  Lz4FrameEncoder enc;
  Bytes out(Lz4FrameEncoder::Bound(in.size()));
  auto n = enc.Compress(in, out.data(), out.size());
  EXPECT_TRUE(n.ok());
  out.resize(*n);
  return out;
}

TEST(Lz4Frame, RoundTripsTextAndRandom) {
  Lz4FrameDecoder dec;
  for (const Bytes& in :
       {SyntheticText(131072, 1), SplitMix64::Generate(100000, 2), Bytes(77, 'a'), Bytes{42}}) {
    Bytes frame = Compress(in);
    ASSERT_GE(frame.size(), 7u);
    EXPECT_EQ(LoadLE32(frame.data()), 0x184D2204u);
    Bytes out(in.size());
    ASSERT_TRUE(dec.Decompress(frame, out).ok());
    EXPECT_EQ(out, in);
  }
  Bytes text = SyntheticText(131072, 3);
  EXPECT_LT(Compress(text).size(), text.size() / 2);
}

TEST(Lz4Frame, RejectsWrongLengthTruncationAndTrailingBytes) {
  Lz4FrameDecoder dec;
  Bytes in = SyntheticText(50000, 4);
  Bytes frame = Compress(in);
  Bytes small(in.size() - 1), big(in.size() + 1);
  Status s = dec.Decompress(frame, small);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("more than 49999"), std::string::npos) << s.ToString();
  s = dec.Decompress(frame, big);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("decodes to 50000 bytes, expected 50001"), std::string::npos)
      << s.ToString();
  Bytes out(in.size());
  for (size_t cut = 0; cut < frame.size(); ++cut) {
    Status t = dec.Decompress(ByteSpan(frame).first(cut), out);
    ASSERT_EQ(t.code(), StatusCode::kCorruption) << cut;
  }
  Bytes trailing = frame;
  trailing.push_back(0);
  s = dec.Decompress(trailing, out);
  EXPECT_EQ(s.code(), StatusCode::kCorruption);
  EXPECT_NE(s.message().find("trailing"), std::string::npos) << s.ToString();
  // The decoder is reusable after errors.
  ASSERT_TRUE(dec.Decompress(frame, out).ok());
  EXPECT_EQ(out, in);
}

// liblz4 keeps a frame's declared content size across LZ4F_resetDecompressionContext: after a
// corrupt frame that declared one, every later frame without one failed ("frameSize_wrong").
// Found by chunk_decoder_fuzz.
TEST(Lz4Frame, ReusableAfterACorruptFrameThatDeclaredItsSize) {
  Bytes in = SyntheticText(100000, 6);
  LZ4F_preferences_t p{};
  p.frameInfo.blockSizeID = LZ4F_max64KB;
  p.frameInfo.contentSize = in.size();
  Bytes sized(LZ4F_compressFrameBound(in.size(), &p));
  size_t n = LZ4F_compressFrame(sized.data(), sized.size(), in.data(), in.size(), &p);
  ASSERT_FALSE(LZ4F_isError(n));
  sized.resize(n);
  Lz4FrameDecoder dec;
  Bytes out(in.size());
  ASSERT_TRUE(dec.Decompress(sized, out).ok());  // a declared content size is accepted
  ASSERT_EQ(out, in);
  Bytes bad = sized;
  StoreLE32(bad.data() + 15, 1u << 17);  // first block: 128 KiB, over the declared 64 KiB
  EXPECT_EQ(dec.Decompress(bad, out).code(), StatusCode::kCorruption);
  Bytes frame = Compress(in);  // castor's frames declare no content size
  Status s = dec.Decompress(frame, out);
  ASSERT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(out, in);
}

TEST(Lz4Frame, RejectsGarbage) {
  Lz4FrameDecoder dec;
  Bytes out(100);
  Bytes garbage = SplitMix64::Generate(64, 5);
  EXPECT_EQ(dec.Decompress(garbage, out).code(), StatusCode::kCorruption);
  EXPECT_EQ(dec.Decompress({}, out).code(), StatusCode::kCorruption);
}

}  // namespace
}  // namespace castor
