#include "castor/format/xorb/scheme_predictor.h"

#include <lz4.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "castor/format/xorb/bg4.h"

namespace castor {
namespace {

constexpr size_t kBlock = 64;           // smallest chunk worth predicting for
constexpr size_t kSegments = 4;         // sampled pieces, one per quarter of the chunk
constexpr size_t kSegmentBytes = 2048;  // per piece (a multiple of 4 keeps lanes aligned)
constexpr size_t kMaxLaneCount = kSegments * kSegmentBytes;  // bound on any histogram count
constexpr size_t kTrialPieces = 8;
constexpr size_t kTrialPiece = 1024;  // bytes per piece in step 2 (a multiple of 4)

// c * log2(c) for every count a histogram can reach; built once, read-only afterwards.
const std::vector<float>& CLogC() {
  static const std::vector<float> table = [] {
    std::vector<float> t(kMaxLaneCount + 1, 0.0f);
    for (size_t c = 1; c <= kMaxLaneCount; ++c) t[c] = float(double(c) * std::log2(double(c)));
    return t;
  }();
  return table;
}

// Shannon entropy in bits per symbol of a 256-bin histogram with `total` samples, with the
// Miller-Madow correction ((nonzero bins - 1) / 2N nats): small samples otherwise look less
// random than they are, and lanes (a quarter of the sample) more so than the pool.
double Entropy(const uint32_t* hist, uint32_t total, const std::vector<float>& clogc) {
  if (total == 0) return 0.0;
  // Independent partial sums: one running sum would chain 256 dependent additions (about 1000
  // cycles per call, and a prediction makes 25 calls). Float sums are exact enough here (256
  // terms below 2^17 each; the thresholds are tenths of a bit).
  const float* t = clogc.data();
  float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
  for (size_t i = 0; i < 256; i += 4) {
    s0 += t[hist[i]];
    s1 += t[hist[i + 1]];
    s2 += t[hist[i + 2]];
    s3 += t[hist[i + 3]];
  }
  int nonzero = 0;
  for (size_t i = 0; i < 256; ++i) nonzero += hist[i] != 0;
  const double sum = double(s0 + s1) + double(s2 + s3);
  return std::log2(double(total)) - sum / double(total) +
         double(nonzero - 1) / (2.0 * double(total) * M_LN2);
}

struct Gain {
  double pooled;  // entropy of the four lanes pooled
  double lanes;   // mean entropy of the lanes
};

Gain LaneGain(const std::array<std::array<uint32_t, 256>, 4>& lanes, uint32_t per_lane,
              const std::vector<float>& clogc) {
  std::array<uint32_t, 256> pooled{};
  double sum = 0.0;
  for (size_t k = 0; k < 4; ++k) {
    sum += Entropy(lanes[k].data(), per_lane, clogc);
    for (size_t v = 0; v < 256; ++v) pooled[v] += lanes[k][v];
  }
  return {Entropy(pooled.data(), per_lane * 4, clogc), sum / 4};
}

}  // namespace

SchemePredictor::SchemePredictor()
    : lz4_state_((sizeof(LZ4_stream_t) + 7) / 8),
      grouped_(kTrialPiece),
      out_(LZ4_compressBound(kTrialPiece)) {
  LZ4_initStream(lz4_state_.data(), sizeof(LZ4_stream_t));
}

SchemePrediction PredictScheme(ByteSpan chunk) { return SchemePredictor().Predict(chunk); }

SchemePrediction SchemePredictor::Predict(ByteSpan chunk) {
  const size_t n = chunk.size();
  if (n < kBlock) return {};  // under 64 bytes: nothing worth grouping
  const auto& clogc = CLogC();
  // The sample: a contiguous piece centred in each quarter of the chunk (sequential reads, which
  // the prefetcher follows), or the start of a small chunk. Lane histograms are kept per piece so
  // that numeric data filling only part of a chunk (a file boundary inside the chunk, a header
  // before a tensor) is still seen.
  const size_t segments = n >= 2 * kSegments * kSegmentBytes ? kSegments : 1;
  const size_t piece =
      segments == 1 ? std::min(n, kSegments * kSegmentBytes) & ~size_t{3} : kSegmentBytes;
  std::array<std::array<uint32_t, 256>, 4> total{};
  double best_segment_gain = -1.0;
  double worst_segment_gain = -1.0;
  for (size_t s = 0; s < segments; ++s) {
    const size_t offset =
        segments == 1 ? 0 : ((2 * s + 1) * n / (2 * segments) - piece / 2) & ~size_t{3};
    const uint8_t* q = chunk.data() + offset;
    std::array<std::array<uint32_t, 256>, 4> lanes{};
    for (size_t i = 0; i < piece; i += 4) {
      ++lanes[0][q[i]];
      ++lanes[1][q[i + 1]];
      ++lanes[2][q[i + 2]];
      ++lanes[3][q[i + 3]];
    }
    for (size_t k = 0; k < 4; ++k) {
      for (size_t v = 0; v < 256; ++v) total[k][v] += lanes[k][v];
    }
    if (segments > 1) {
      Gain g = LaneGain(lanes, uint32_t(piece / 4), clogc);
      best_segment_gain = std::max(best_segment_gain, g.pooled - g.lanes);
      worst_segment_gain =
          s == 0 ? g.pooled - g.lanes : std::min(worst_segment_gain, g.pooled - g.lanes);
    }
  }
  Gain g = LaneGain(total, uint32_t(segments * piece / 4), clogc);
  SchemePrediction out;
  out.pooled_entropy = g.pooled;
  out.lane_entropy = g.lanes;
  out.best_segment_gain = best_segment_gain;
  out.scheme = CompressionScheme::kLz4;
  if (g.pooled - g.lanes <= kBg4EntropyGainThreshold &&
      best_segment_gain <= kBg4SegmentGainThreshold) {
    return out;
  }
  // Every quarter looks numeric (or a small chunk does): grouping pays throughout, no need to try.
  if (segments == 1 || worst_segment_gain > kBg4SegmentGainThreshold) {
    out.scheme = CompressionScheme::kBg4Lz4;
    return out;
  }
  // Step 2: small trial compressions of pieces centred in each eighth of the chunk.
  out.trial = true;
  const size_t pieces = n >= 2 * kTrialPieces * kTrialPiece ? kTrialPieces : 1;
  const size_t trial = pieces == 1 ? std::min(n, kTrialPiece) : kTrialPiece;
  const int cap = int(out_.size());
  for (size_t k = 0; k < pieces; ++k) {
    const size_t offset =
        pieces == 1 ? 0 : ((2 * k + 1) * n / (2 * pieces) - trial / 2) & ~size_t{3};
    ByteSpan src = chunk.subspan(offset, trial);
    Bg4Split(src, grouped_.data());
    // A stream reset between pieces is cheap, unlike LZ4_compress_fast_extState's full
    // re-initialisation of the 16 KiB state, which would cost more than the trials themselves.
    auto* stream = reinterpret_cast<LZ4_stream_t*>(lz4_state_.data());
    LZ4_resetStream_fast(stream);
    int plain =
        LZ4_compress_fast_continue(stream, reinterpret_cast<const char*>(src.data()),
                                   reinterpret_cast<char*>(out_.data()), int(trial), cap, 1);
    LZ4_resetStream_fast(stream);
    int grouped =
        LZ4_compress_fast_continue(stream, reinterpret_cast<const char*>(grouped_.data()),
                                   reinterpret_cast<char*>(out_.data()), int(trial), cap, 1);
    out.trial_plain += uint32_t(plain > 0 ? plain : trial);
    out.trial_grouped += uint32_t(grouped > 0 ? grouped : trial);
  }
  if (out.trial_grouped < out.trial_plain) out.scheme = CompressionScheme::kBg4Lz4;
  return out;
}

}  // namespace castor
