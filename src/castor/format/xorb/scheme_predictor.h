// Predicts, without compressing, whether byte grouping (BG4) will help LZ4 on a chunk: it
// compares the byte entropy of a sample taken as a whole with the mean entropy of its four byte
// lanes (position mod 4). Typed numeric data (bf16/fp32 weights, integer arrays) has lanes with
// very different distributions (exponent bytes vs mantissa bytes), so grouping them pays; text,
// code and random bytes have alike lanes, and LZ4 on the plain bytes does at least as well.
// Pure; safe for concurrent use.
#pragma once

#include "castor/base/bytes.h"
#include "castor/format/xorb/chunk_header.h"

namespace castor {

struct SchemePrediction {
  CompressionScheme scheme;  // kLz4 or kBg4Lz4: the codec worth trying
  double pooled_entropy;     // bits per byte of the sample as a whole
  double lane_entropy;       // mean bits per byte of the four lanes
};

// Entropy gain (pooled - lane, bits/byte) above which BG4 is predicted. Calibrated against
// trying both codecs on bf16, fp32, text and random data (scheme_predictor_test.cc).
inline constexpr double kBg4EntropyGainThreshold = 0.15;

// Looks at a sample of at most ~8 KiB spread over the chunk.
SchemePrediction PredictScheme(ByteSpan chunk);

}  // namespace castor
