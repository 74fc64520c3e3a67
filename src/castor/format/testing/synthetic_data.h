// Deterministic synthetic inputs for the format's tests, fuzz seeds and benchmarks: bf16 model
// weights, fp32 weights, English-like text and random bytes. Pure; safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "castor/base/bytes.h"

namespace castor {

// bf16 weights as a checkpoint holds them: tensors of 0.5-4 MiB, each with its own scale
// (log-uniform in [0.004, 0.25]) and per-row (4096 values) scale factors in [0.5, 2], values
// drawn from a normal distribution and rounded to bf16 (round to nearest even).
Bytes SyntheticBf16Weights(size_t bytes, uint64_t seed);

// The same, kept as fp32.
Bytes SyntheticFp32Weights(size_t bytes, uint64_t seed);

// Text from a small vocabulary (compresses about 2-3x with LZ4).
Bytes SyntheticText(size_t bytes, uint64_t seed);

}  // namespace castor
