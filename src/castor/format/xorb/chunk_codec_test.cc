#include "castor/format/xorb/chunk_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

#include "castor/base/splitmix64.h"
#include "castor/format/testing/synthetic_data.h"

namespace castor {
namespace {

struct Record {
  ChunkHeader header;
  Bytes payload;
};

Record Encode(ChunkEncoder& enc, ByteSpan chunk) {
  Bytes out = {0xaa};  // Append must leave existing bytes alone
  auto h = enc.Append(chunk, &out);
  EXPECT_TRUE(h.ok()) << h.status().ToString();
  EXPECT_EQ(out[0], 0xaa);
  auto parsed = DecodeChunkHeader(ByteSpan(out).subspan(1));
  EXPECT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, *h);
  EXPECT_EQ(out.size(), 1 + kChunkHeaderSize + h->compressed_size);
  return {*h, Bytes(out.begin() + 1 + kChunkHeaderSize, out.end())};
}

Bytes Decode(const Record& r) {
  ChunkDecoder dec;
  Bytes out(r.header.uncompressed_size);
  Status s = dec.Decode(r.header, r.payload, out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  auto view = dec.View(r.header, r.payload);
  EXPECT_TRUE(view.ok());
  EXPECT_TRUE(std::equal(view->begin(), view->end(), out.begin(), out.end()));
  return out;
}

TEST(ChunkCodec, EveryPolicyRoundTripsEveryKindOfData) {
  const Bytes inputs[] = {SyntheticBf16Weights(131072, 1),
                          SyntheticFp32Weights(100003, 2),
                          SyntheticText(65537, 3),
                          SplitMix64::Generate(131072, 4),
                          Bytes(8192, 0),
                          Bytes{7},
                          Bytes(3, 1)};
  for (auto policy : {CompressionPolicy::kNone, CompressionPolicy::kLz4, CompressionPolicy::kBg4Lz4,
                      CompressionPolicy::kPredict, CompressionPolicy::kBestOf}) {
    ChunkEncoder enc(policy);
    for (const Bytes& in : inputs) {
      Record r = Encode(enc, in);
      EXPECT_EQ(Decode(r), in) << int(policy) << " " << in.size();
      EXPECT_LE(r.header.compressed_size, in.size());
      if (r.header.scheme != CompressionScheme::kNone) {
        EXPECT_LT(r.header.compressed_size, in.size());
      }
    }
  }
}

TEST(ChunkCodec, StoresRawWhenCompressionDoesNotHelp) {
  Bytes random = SplitMix64::Generate(131072, 9);
  for (auto policy : {CompressionPolicy::kLz4, CompressionPolicy::kBg4Lz4,
                      CompressionPolicy::kPredict, CompressionPolicy::kBestOf}) {
    ChunkEncoder enc(policy);
    Record r = Encode(enc, random);
    EXPECT_EQ(r.header.scheme, CompressionScheme::kNone);
    EXPECT_EQ(r.payload, random);
  }
}

TEST(ChunkCodec, ChoosesSchemes) {
  ChunkEncoder enc(CompressionPolicy::kPredict);
  EXPECT_EQ(Encode(enc, SyntheticBf16Weights(131072, 5)).header.scheme, CompressionScheme::kBg4Lz4);
  EXPECT_EQ(Encode(enc, SyntheticText(131072, 6)).header.scheme, CompressionScheme::kLz4);
  ChunkEncoder best(CompressionPolicy::kBestOf);
  EXPECT_EQ(Encode(best, SyntheticBf16Weights(131072, 5)).header.scheme,
            CompressionScheme::kBg4Lz4);
}

// Within a run of weights chunks most are taken as BG4 unpredicted; text after the run gets
// LZ4 again within kNumericRecheck chunks, and everything round-trips meanwhile.
TEST(ChunkCodec, NumericRunsSkipThePredictionAndRecheck) {
  ChunkEncoder enc(CompressionPolicy::kPredict);
  for (int i = 0; i < 10; ++i) {
    Bytes w = SyntheticBf16Weights(65536 + 4096 * i, 100 + i);
    Record r = Encode(enc, w);
    EXPECT_EQ(r.header.scheme, CompressionScheme::kBg4Lz4) << i;
    EXPECT_EQ(Decode(r), w);
  }
  int bg4 = 0;
  std::vector<CompressionScheme> schemes;
  for (int i = 0; i < 2 * kNumericRecheck; ++i) {
    Bytes t = SyntheticText(65536, 200 + i);
    Record r = Encode(enc, t);
    EXPECT_EQ(Decode(r), t);
    EXPECT_LT(r.header.compressed_size, t.size());
    schemes.push_back(r.header.scheme);
    bg4 += r.header.scheme == CompressionScheme::kBg4Lz4;
  }
  EXPECT_LE(bg4, kNumericRecheck - 1);
  for (int i = kNumericRecheck - 1; i < 2 * kNumericRecheck; ++i) {
    EXPECT_EQ(schemes[i], CompressionScheme::kLz4) << i;
  }
}

// Inside a run of incompressible chunks, those whose sample looks random are stored raw
// untried; compressible data after the run is compressed from its first chunk (text and
// weights alike), and everything round-trips. The forced policies always try.
TEST(ChunkCodec, IncompressibleRunsSkipTheAttemptButNotCompressibleData) {
  for (int kind = 0; kind < 2; ++kind) {
    ChunkEncoder enc(CompressionPolicy::kPredict);
    for (int i = 0; i < 5; ++i) {
      Bytes r = SplitMix64::Generate(65536, 400 + i);
      Record rec = Encode(enc, r);
      EXPECT_EQ(rec.header.scheme, CompressionScheme::kNone) << i;
      EXPECT_EQ(Decode(rec), r);
    }
    EXPECT_EQ(enc.compressions(), uint64_t(kRawRunToTrust));  // the rest went untried
    for (int i = 0; i < 3; ++i) {
      Bytes t = kind == 0 ? SyntheticText(65536, 500 + i) : SyntheticBf16Weights(65536, 500 + i);
      Record rec = Encode(enc, t);
      EXPECT_EQ(Decode(rec), t);
      EXPECT_EQ(rec.header.scheme, kind == 0 ? CompressionScheme::kLz4 : CompressionScheme::kBg4Lz4)
          << "kind " << kind << " chunk " << i;
    }
  }
  ChunkEncoder forced(CompressionPolicy::kLz4);
  for (int i = 0; i < 4; ++i) (void)Encode(forced, SplitMix64::Generate(65536, 600 + i));
  EXPECT_EQ(Encode(forced, SyntheticText(65536, 700)).header.scheme, CompressionScheme::kLz4);
}

// Random bytes inside a numeric run: stored raw (the BG4 frame it got is replaced), and the run
// ends, so the next chunk is predicted again.
TEST(ChunkCodec, IncompressibleChunkEndsANumericRun) {
  ChunkEncoder enc(CompressionPolicy::kPredict);
  for (int i = 0; i < 2 * kNumericRunToTrust; ++i) {
    EXPECT_EQ(Encode(enc, SyntheticBf16Weights(131072, 300 + i)).header.scheme,
              CompressionScheme::kBg4Lz4);
  }
  Bytes random = SplitMix64::Generate(131072, 301);
  Record r = Encode(enc, random);
  EXPECT_EQ(r.header.scheme, CompressionScheme::kNone);
  EXPECT_EQ(r.payload, random);
  EXPECT_EQ(Encode(enc, SyntheticText(65536, 302)).header.scheme, CompressionScheme::kLz4);
}

// Without copy_raw_payload a chunk stored raw gets only its header (its payload area is left as
// it was: an in-place recompression's raw record); a compressed one is written in full.
TEST(ChunkCodec, RawPayloadIsNotCopiedWhenTheCallerHasItInPlace) {
  ChunkEncoder enc(CompressionPolicy::kPredict);
  Bytes dst(ChunkEncoder::MaxRecordSize(65536), 0xEE);
  Bytes random = SplitMix64::Generate(65536, 800);
  auto h = enc.Encode(random, dst.data(), /*copy_raw_payload=*/false);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(h->scheme, CompressionScheme::kNone);
  EXPECT_EQ(h->compressed_size, 65536u);
  auto parsed = DecodeChunkHeader(ByteSpan(dst.data(), kChunkHeaderSize));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(parsed->compressed_size, 65536u);
  EXPECT_TRUE(std::all_of(dst.begin() + kChunkHeaderSize, dst.begin() + kChunkHeaderSize + 65536,
                          [](uint8_t b) { return b == 0xEE; }));
  Bytes text = SyntheticText(65536, 801);
  auto t = enc.Encode(text, dst.data(), /*copy_raw_payload=*/false);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->scheme, CompressionScheme::kLz4);
  ChunkDecoder dec;
  Bytes back(text.size());
  ASSERT_TRUE(
      dec.Decode(*t, ByteSpan(dst.data() + kChunkHeaderSize, t->compressed_size), back).ok());
  EXPECT_EQ(back, text);
}

TEST(ChunkCodec, RejectsBadChunkSizes) {
  ChunkEncoder enc;
  Bytes out;
  EXPECT_EQ(enc.Append({}, &out).status().code(), StatusCode::kInvalidArgument);
  Bytes big(131073);
  EXPECT_EQ(enc.Append(big, &out).status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(out.empty());
}

TEST(ChunkCodec, DecodeRejectsMismatchedPayloads) {
  ChunkEncoder enc(CompressionPolicy::kLz4);
  Record r = Encode(enc, SyntheticText(20000, 7));
  ChunkDecoder dec;
  Bytes out(20000);
  // A header that claims a different uncompressed size.
  ChunkHeader h = r.header;
  h.uncompressed_size = 19999;
  Bytes small(19999);
  EXPECT_EQ(dec.Decode(h, r.payload, small).code(), StatusCode::kCorruption);
  // Payload shorter than the header says.
  EXPECT_EQ(dec.Decode(r.header, ByteSpan(r.payload).first(10), out).code(),
            StatusCode::kCorruption);
  // A BG4 chunk whose frame decodes to the wrong length.
  ChunkHeader bg = r.header;
  bg.scheme = CompressionScheme::kBg4Lz4;
  bg.uncompressed_size = 20001;
  Bytes big(20001);
  EXPECT_EQ(dec.Decode(bg, r.payload, big).code(), StatusCode::kCorruption);
  // Flipped bytes never give wrong output silently: either an error, or (when the flip hits a
  // literal) bytes that differ, which the chunk hash catches upstream. Must never crash.
  for (size_t i = 0; i < r.payload.size(); ++i) {
    Bytes p = r.payload;
    p[i] ^= 0x5a;
    (void)dec.Decode(r.header, p, out);
  }
}

TEST(ChunkCodec, PolicyNamesRoundTrip) {
  for (CompressionPolicy p :
       {CompressionPolicy::kNone, CompressionPolicy::kLz4, CompressionPolicy::kBg4Lz4,
        CompressionPolicy::kPredict, CompressionPolicy::kBestOf}) {
    auto parsed = ParseCompressionPolicy(CompressionPolicyName(p));
    ASSERT_TRUE(parsed.ok()) << CompressionPolicyName(p);
    EXPECT_EQ(*parsed, p);
  }
  for (const char* bad : {"", "zstd", "LZ4", "bg4 "}) {
    auto parsed = ParseCompressionPolicy(bad);
    ASSERT_FALSE(parsed.ok()) << bad;
    EXPECT_EQ(parsed.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(parsed.status().message().find("predict, best, lz4, bg4, none"), std::string::npos);
  }
}

}  // namespace
}  // namespace castor
