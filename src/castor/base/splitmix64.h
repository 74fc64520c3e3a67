// SplitMix64: the deterministic generator the Xet test vectors are built from (each 64-bit output
// written little-endian). Used by tests and benchmarks to make inputs; not for anything secret.
#pragma once

#include <cstdint>
#include <cstring>

#include "castor/base/bytes.h"

namespace castor {

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
  }
  // Fills `out` with successive outputs, little-endian, the last one truncated.
  void Fill(MutableByteSpan out) {
    size_t i = 0;
    for (; i + 8 <= out.size(); i += 8) StoreLE64(out.data() + i, Next());
    if (i < out.size()) {
      uint8_t b[8];
      StoreLE64(b, Next());
      std::memcpy(out.data() + i, b, out.size() - i);
    }
  }
  static Bytes Generate(size_t n, uint64_t seed) {
    Bytes out(n);
    SplitMix64(seed).Fill(out);
    return out;
  }

 private:
  uint64_t state_;
};

}  // namespace castor
