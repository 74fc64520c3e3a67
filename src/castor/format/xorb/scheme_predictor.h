// Predicts which codec to run on a chunk, LZ4 or BG4 + LZ4, without compressing it twice.
//
// Step 1 (always, a few percent of a compression): compare the byte entropy of an 8 KiB sample
// (a 2 KiB piece centred in each quarter of the chunk) taken as a whole with the mean entropy of
// its four byte lanes (position mod 4), for the whole sample and for each piece. Typed numeric data
// (bf16/fp32 weights, integer arrays) has lanes with very different distributions (exponent vs
// mantissa bytes), so grouping can pay; text, code and random bytes have alike lanes, and LZ4 on
// the plain bytes is at least as good: done. If every quarter shows numeric lanes, BG4 it is. Step
// 2 (only when some parts of the sample look numeric and others not): LZ4-compress eight 1 KiB
// pieces, one centred in each eighth of the chunk, both plainly and byte-grouped (1/16 of the chunk
// each way), and pick the smaller total. This keeps chunks that mix text with numbers (a
// safetensors header, a file boundary) on plain LZ4 when the text gains more. A SchemePredictor is
// not safe for concurrent use (scratch buffers); PredictScheme is.
#pragma once

#include <cstdint>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/format/xorb/chunk_header.h"

namespace castor {

struct SchemePrediction {
  CompressionScheme scheme = CompressionScheme::kLz4;  // kLz4 or kBg4Lz4: the codec to run
  double pooled_entropy = 0;                           // bits per byte of the sample as a whole
  double lane_entropy = 0;                             // mean bits per byte of the four lanes
  double best_segment_gain = -1;  // largest gain in one piece of the sample (-1: not measured)
  bool trial = false;             // whether step 2 ran
  uint32_t trial_plain = 0;       // step 2's compressed bytes, plain
  uint32_t trial_grouped = 0;     // step 2's compressed bytes, byte-grouped
};

// Entropy gain (pooled - lanes, bits/byte) above which step 2 runs, for the whole sample and for
// one quarter of it (noisier, hence a higher bar). Calibrated on bf16, fp32, text, random and
// mixed data against trying both codecs on every chunk (scheme_predictor_test.cc).
inline constexpr double kBg4EntropyGainThreshold = 0.15;
inline constexpr double kBg4SegmentGainThreshold = 0.3;

class SchemePredictor {
 public:
  SchemePredictor();
  SchemePrediction Predict(ByteSpan chunk);

 private:
  std::vector<uint64_t> lz4_state_;  // LZ4 block-compression state (8-byte aligned)
  Bytes grouped_;
  Bytes out_;
};

// One-off prediction (allocates a predictor).
SchemePrediction PredictScheme(ByteSpan chunk);

}  // namespace castor
