#include "castor/format/xorb/scheme_predictor.h"

#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

namespace castor {
namespace {

constexpr size_t kBlock = 64;        // sampled bytes per step (a multiple of 4 keeps lanes aligned)
constexpr size_t kMaxBlocks = 128;   // 8 KiB sample
constexpr size_t kMaxLaneCount = kBlock * kMaxBlocks;  // bound on any histogram count

// c * log2(c) for every count a histogram can reach; built once, read-only afterwards.
const std::vector<float>& CLogC() {
  static const std::vector<float> table = [] {
    std::vector<float> t(kMaxLaneCount + 1, 0.0f);
    for (size_t c = 1; c <= kMaxLaneCount; ++c) t[c] = float(double(c) * std::log2(double(c)));
    return t;
  }();
  return table;
}

// Shannon entropy in bits per symbol of a histogram with `total` samples.
double Entropy(const uint32_t* hist, size_t bins, uint32_t total, const std::vector<float>& clogc) {
  if (total == 0) return 0.0;
  double s = 0.0;
  for (size_t i = 0; i < bins; ++i) s += clogc[hist[i]];
  return std::log2(double(total)) - s / double(total);
}

}  // namespace

SchemePrediction PredictScheme(ByteSpan chunk) {
  // Four lane histograms; the pooled histogram is their sum.
  std::array<std::array<uint32_t, 256>, 4> lanes{};
  size_t n = chunk.size();
  size_t blocks = n / kBlock;
  size_t stride = kBlock;
  if (blocks > kMaxBlocks) {
    stride = (n / kMaxBlocks) & ~size_t{kBlock - 1};
    blocks = kMaxBlocks;
  }
  const uint8_t* p = chunk.data();
  for (size_t b = 0; b < blocks; ++b) {
    const uint8_t* q = p + b * stride;
    for (size_t i = 0; i < kBlock; i += 4) {
      ++lanes[0][q[i]];
      ++lanes[1][q[i + 1]];
      ++lanes[2][q[i + 2]];
      ++lanes[3][q[i + 3]];
    }
  }
  size_t sampled = blocks * kBlock;
  if (sampled == 0) {  // under 64 bytes: nothing worth grouping
    return {CompressionScheme::kLz4, 0.0, 0.0};
  }
  const auto& clogc = CLogC();
  std::array<uint32_t, 256> pooled{};
  double lane_sum = 0.0;
  for (size_t k = 0; k < 4; ++k) {
    lane_sum += Entropy(lanes[k].data(), 256, uint32_t(sampled / 4), clogc);
    for (size_t v = 0; v < 256; ++v) pooled[v] += lanes[k][v];
  }
  SchemePrediction out;
  out.pooled_entropy = Entropy(pooled.data(), 256, uint32_t(sampled), clogc);
  out.lane_entropy = lane_sum / 4;
  out.scheme = out.pooled_entropy - out.lane_entropy > kBg4EntropyGainThreshold
                   ? CompressionScheme::kBg4Lz4
                   : CompressionScheme::kLz4;
  return out;
}

}  // namespace castor
