// Byte grouping by 4 (the "BG4" of compression scheme 2, docs/xet-protocol.md §3.3): byte i of a
// chunk goes to group i mod 4 and the groups are concatenated; group k holds n/4 bytes plus one
// when k < n mod 4. Floating-point weights compress far better grouped, since exponent bytes then
// sit together. Pure functions (SSE2; AVX2 both ways when the CPU has it, chosen at run time);
// safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>

#include "castor/base/bytes.h"

namespace castor {

// Writes the grouped form of `in` to `out` (in.size() bytes, not overlapping `in`).
void Bg4Split(ByteSpan in, uint8_t* out);

// Inverse of Bg4Split: regroups `grouped` into the original byte order at `out`.
void Bg4Join(ByteSpan grouped, uint8_t* out);

namespace bg4_internal {
// The same, with the AVX2 code allowed or not: lets tests cover the SSE2 code on AVX2 machines.
void Split(ByteSpan in, uint8_t* out, bool allow_avx2);
void Join(ByteSpan grouped, uint8_t* out, bool allow_avx2);
}  // namespace bg4_internal

}  // namespace castor
