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

constexpr size_t kBlock = 64;        // sampled bytes per step (a multiple of 4 keeps lanes aligned)
constexpr size_t kMaxBlocks = 128;   // 8 KiB sample
constexpr size_t kMaxLaneCount = kBlock * kMaxBlocks;  // bound on any histogram count
constexpr size_t kSegments = 4;
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
  double s = 0.0;
  int nonzero = 0;
  for (size_t i = 0; i < 256; ++i) {
    s += clogc[hist[i]];
    nonzero += hist[i] != 0;
  }
  return std::log2(double(total)) - s / double(total) +
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
    : lz4_state_((LZ4_sizeofState() + 7) / 8),
      grouped_(kTrialPiece),
      out_(LZ4_compressBound(kTrialPiece)) {}

SchemePrediction PredictScheme(ByteSpan chunk) { return SchemePredictor().Predict(chunk); }

SchemePrediction SchemePredictor::Predict(ByteSpan chunk) {
  size_t n = chunk.size();
  size_t blocks = n / kBlock;
  size_t stride = kBlock;
  if (blocks > kMaxBlocks) {
    stride = (n / kMaxBlocks) & ~size_t{kBlock - 1};
    blocks = kMaxBlocks;
  }
  if (blocks == 0) return {};  // under 64 bytes: nothing worth grouping
  const auto& clogc = CLogC();
  // Lane histograms per segment of the sample, so that numeric data filling only part of a chunk
  // (a file boundary inside the chunk, a header before a tensor) is still seen.
  const size_t segments = blocks >= kSegments * 8 ? kSegments : 1;
  const size_t per_segment = blocks / segments;
  std::array<std::array<uint32_t, 256>, 4> total{};
  double best_segment_gain = -1.0;
  for (size_t s = 0; s < segments; ++s) {
    std::array<std::array<uint32_t, 256>, 4> lanes{};
    for (size_t b = s * per_segment; b < (s + 1) * per_segment; ++b) {
      const uint8_t* q = chunk.data() + b * stride;
      for (size_t i = 0; i < kBlock; i += 4) {
        ++lanes[0][q[i]];
        ++lanes[1][q[i + 1]];
        ++lanes[2][q[i + 2]];
        ++lanes[3][q[i + 3]];
      }
    }
    for (size_t k = 0; k < 4; ++k) {
      for (size_t v = 0; v < 256; ++v) total[k][v] += lanes[k][v];
    }
    if (segments > 1) {
      Gain g = LaneGain(lanes, uint32_t(per_segment * kBlock / 4), clogc);
      best_segment_gain = std::max(best_segment_gain, g.pooled - g.lanes);
    }
  }
  Gain g = LaneGain(total, uint32_t(segments * per_segment * kBlock / 4), clogc);
  SchemePrediction out;
  out.pooled_entropy = g.pooled;
  out.lane_entropy = g.lanes;
  out.best_segment_gain = best_segment_gain;
  out.scheme = CompressionScheme::kLz4;
  if (g.pooled - g.lanes <= kBg4EntropyGainThreshold &&
      best_segment_gain <= kBg4SegmentGainThreshold) {
    return out;
  }
  // Step 2: small trial compressions of pieces centred in each eighth of the chunk.
  out.trial = true;
  const size_t pieces = n >= 2 * kTrialPieces * kTrialPiece ? kTrialPieces : 1;
  const size_t piece = pieces == 1 ? std::min(n, kTrialPiece) : kTrialPiece;
  const int cap = int(out_.size());
  for (size_t k = 0; k < pieces; ++k) {
    const size_t offset =
        pieces == 1 ? 0 : ((2 * k + 1) * n / (2 * pieces) - piece / 2) & ~size_t{3};
    ByteSpan src = chunk.subspan(offset, piece);
    Bg4Split(src, grouped_.data());
    int plain = LZ4_compress_fast_extState(lz4_state_.data(), reinterpret_cast<const char*>(src.data()),
                                           reinterpret_cast<char*>(out_.data()), int(piece), cap, 1);
    int grouped = LZ4_compress_fast_extState(lz4_state_.data(), reinterpret_cast<const char*>(grouped_.data()),
                                             reinterpret_cast<char*>(out_.data()), int(piece), cap, 1);
    out.trial_plain += uint32_t(plain > 0 ? plain : piece);
    out.trial_grouped += uint32_t(grouped > 0 ? grouped : piece);
  }
  if (out.trial_grouped < out.trial_plain) out.scheme = CompressionScheme::kBg4Lz4;
  return out;
}

}  // namespace castor
