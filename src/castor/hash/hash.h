// Hash: the 32-byte value every Xet hash is (chunk, xorb, file, verification), with the Xet hex
// string form, in which each 8-byte lane is printed as a little-endian u64.
#pragma once

#include <array>
#include <compare>
#include <cstdint>
#include <cstring>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "castor/base/bytes.h"

namespace castor {

struct Hash {
  std::array<uint8_t, 32> bytes{};

  static Hash FromBytes(const uint8_t* p) {
    Hash h;
    std::memcpy(h.bytes.data(), p, 32);
    return h;
  }
  static Hash Zero() { return Hash{}; }

  bool IsZero() const {
    for (uint8_t b : bytes) if (b) return false;
    return true;
  }
  ByteSpan span() const { return {bytes.data(), bytes.size()}; }

  // u64 little-endian of bytes [8*lane, 8*lane+8).
  uint64_t Lane(int lane) const { return LoadLE64(bytes.data() + 8 * lane); }

  // The Xet string form: 64 lowercase hex digits, bytes reversed within each 8-byte lane.
  std::string ToXetHex() const;
  // Parses the Xet string form (either case). nullopt unless exactly 64 hex digits.
  static std::optional<Hash> FromXetHex(std::string_view hex);

  // Plain hex of the raw bytes (debugging, b3sum comparisons).
  std::string ToRawHex() const { return HexEncode(span()); }
  static std::optional<Hash> FromRawHex(std::string_view hex);

  auto operator<=>(const Hash&) const = default;
};

// Lane-reverses a digest (an ordinary SHA-256, say) so that its Xet hex equals its plain hex: the
// form FileMetadataExt stores sha256 in. The operation is its own inverse.
Hash LaneReversed(const Hash& h);

struct HashHasher {
  size_t operator()(const Hash& h) const { return size_t(h.Lane(0)); }
};

}  // namespace castor
