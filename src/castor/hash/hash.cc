#include "castor/hash/hash.h"

#include <algorithm>

namespace castor {

std::string Hash::ToXetHex() const {
  return LaneReversed(*this).ToRawHex();
}

std::optional<Hash> Hash::FromXetHex(std::string_view hex) {
  auto raw = FromRawHex(hex);
  if (!raw) return std::nullopt;
  return LaneReversed(*raw);
}

std::optional<Hash> Hash::FromRawHex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  auto b = HexDecode(hex);
  if (!b) return std::nullopt;
  return Hash::FromBytes(b->data());
}

Hash LaneReversed(const Hash& h) {
  Hash out = h;
  for (int lane = 0; lane < 4; ++lane) {
    std::reverse(out.bytes.begin() + 8 * lane, out.bytes.begin() + 8 * lane + 8);
  }
  return out;
}

}  // namespace castor
