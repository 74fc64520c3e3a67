#include "castor/format/testing/synthetic_data.h"

#include <cmath>
#include <cstring>
#include <string_view>

#include "castor/base/splitmix64.h"

namespace castor {
namespace {

double Uniform(SplitMix64& rng) { return double(rng.Next() >> 11) * 0x1.0p-53; }

// Standard normal values, two at a time (Box-Muller).
class Normal {
 public:
  explicit Normal(uint64_t seed) : rng_(seed) {}
  double Next() {
    if (have_) {
      have_ = false;
      return spare_;
    }
    double u = Uniform(rng_), v = Uniform(rng_);
    double r = std::sqrt(-2.0 * std::log(u + 0x1.0p-60));
    spare_ = r * std::sin(2 * M_PI * v);
    have_ = true;
    return r * std::cos(2 * M_PI * v);
  }
  SplitMix64& rng() { return rng_; }

 private:
  SplitMix64 rng_;
  double spare_ = 0;
  bool have_ = false;
};

uint16_t ToBf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  u += 0x7fff + ((u >> 16) & 1);  // round to nearest even
  return uint16_t(u >> 16);
}

template <typename Emit>
void Weights(size_t count, uint64_t seed, Emit emit) {
  Normal normal(seed);
  size_t i = 0;
  while (i < count) {
    size_t tensor = (size_t(1) << 18) + normal.rng().Next() % (size_t(7) << 18);  // values
    double scale = std::exp(std::log(0.004) + Uniform(normal.rng()) * std::log(0.25 / 0.004));
    for (size_t t = 0; t < tensor && i < count;) {
      double row_scale = scale * (0.5 + 1.5 * Uniform(normal.rng()));
      for (size_t r = 0; r < 4096 && t < tensor && i < count; ++r, ++t, ++i) {
        emit(i, float(normal.Next() * row_scale));
      }
    }
  }
}

}  // namespace

Bytes SyntheticBf16Weights(size_t bytes, uint64_t seed) {
  Bytes out(bytes);
  Weights(bytes / 2, seed, [&](size_t i, float f) { StoreLE16(out.data() + 2 * i, ToBf16(f)); });
  return out;
}

Bytes SyntheticFp32Weights(size_t bytes, uint64_t seed) {
  Bytes out(bytes);
  Weights(bytes / 4, seed, [&](size_t i, float f) { std::memcpy(out.data() + 4 * i, &f, 4); });
  return out;
}

Bytes SyntheticText(size_t bytes, uint64_t seed) {
  static constexpr std::string_view kWords[] = {
      "the",   "model", "weights", "of",      "a",      "layer",  "are",   "stored", "in",
      "xorbs", "and",   "shards",  "which",   "hold",   "chunks", "that",  "dedup",  "across",
      "files", "when",  "content", "repeats", "server", "client", "range", "hash",   "tensor"};
  SplitMix64 rng(seed);
  Bytes out;
  out.reserve(bytes + 16);
  while (out.size() < bytes) {
    std::string_view w = kWords[rng.Next() % std::size(kWords)];
    out.insert(out.end(), w.begin(), w.end());
    out.push_back(rng.Next() % 11 == 0 ? '\n' : ' ');
  }
  out.resize(bytes);
  return out;
}

}  // namespace castor
