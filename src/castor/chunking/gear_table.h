// The 256-entry gear table and the boundary mask of the Xet content-defined chunker (spec §1.2).
#pragma once

#include <cstdint>

namespace castor {

// TABLE[b] of the gear hash update h = (h << 1) + TABLE[b].
extern const uint64_t kGearTable[256];

// A position is a boundary candidate when (h & kGearMask) == 0, i.e. when h < 2^48.
inline constexpr uint64_t kGearMask = 0xFFFF000000000000ull;

}  // namespace castor
