#include "castor/format/xorb/scheme_predictor.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "castor/base/splitmix64.h"
#include "castor/format/testing/synthetic_data.h"
#include "castor/format/xorb/chunk_codec.h"

namespace castor {
namespace {

// Total serialized size of `data` cut into chunks of 8-128 KiB (a deterministic spread, like the
// chunker's) under a policy.
uint64_t PackedSize(ByteSpan data, CompressionPolicy policy) {
  ChunkEncoder enc(policy);
  SplitMix64 rng(99);
  Bytes out;
  uint64_t total = 0;
  for (size_t pos = 0; pos < data.size();) {
    size_t n = std::min<size_t>(data.size() - pos, 8192 + rng.Next() % (131072 - 8192 + 1));
    out.clear();
    EXPECT_TRUE(enc.Append(data.subspan(pos, n), &out).ok());
    total += out.size();
    pos += n;
  }
  return total;
}

TEST(SchemePredictor, PredictsBg4ForWeightsOnly) {
  EXPECT_EQ(PredictScheme(SyntheticBf16Weights(131072, 1)).scheme, CompressionScheme::kBg4Lz4);
  EXPECT_EQ(PredictScheme(SyntheticFp32Weights(131072, 2)).scheme, CompressionScheme::kBg4Lz4);
  EXPECT_EQ(PredictScheme(SyntheticText(131072, 3)).scheme, CompressionScheme::kLz4);
  EXPECT_EQ(PredictScheme(SplitMix64::Generate(131072, 4)).scheme, CompressionScheme::kLz4);
  EXPECT_EQ(PredictScheme(Bytes(131072, 0)).scheme, CompressionScheme::kLz4);
  EXPECT_EQ(PredictScheme(Bytes(10, 1)).scheme, CompressionScheme::kLz4);
}

// The bar: on bf16 weights the predicted schemes reach within 1% of trying both codecs
// on every chunk. Also checked (and printed) for the other data kinds.
TEST(SchemePredictor, WithinOnePercentOfBruteForce) {
  struct Case {
    const char* name;
    Bytes data;
    double tolerance;
  };
  const size_t n = 8 << 20;
  // Text and weights alternating in 48 KiB runs: chunks that hold both.
  Bytes mixed(n);
  Bytes text = SyntheticText(n, 15), weights = SyntheticBf16Weights(n, 16);
  for (size_t i = 0; i < n; ++i) mixed[i] = ((i / 49152) % 2 ? weights : text)[i];
  Case cases[] = {{"mixed", mixed, 0.05},
                  {"bf16", SyntheticBf16Weights(n, 11), 0.01},
                  {"fp32", SyntheticFp32Weights(n, 12), 0.01},
                  {"text", SyntheticText(n, 13), 0.01},
                  {"random", SplitMix64::Generate(n, 14), 0.001}};
  for (const Case& c : cases) {
    uint64_t predicted = PackedSize(c.data, CompressionPolicy::kPredict);
    uint64_t best = PackedSize(c.data, CompressionPolicy::kBestOf);
    uint64_t lz4 = PackedSize(c.data, CompressionPolicy::kLz4);
    uint64_t bg4 = PackedSize(c.data, CompressionPolicy::kBg4Lz4);
    std::printf("%-6s ratio: lz4 %.4f  bg4 %.4f  predicted %.4f  best-of %.4f\n", c.name,
                double(n) / lz4, double(n) / bg4, double(n) / predicted, double(n) / best);
    EXPECT_LE(best, predicted);
    EXPECT_LE(double(predicted), double(best) * (1 + c.tolerance)) << c.name;
  }
}

}  // namespace
}  // namespace castor
