#include "castor/hash/xet_hash.h"

#include <algorithm>
#include <charconv>
#include <string>

namespace castor {

namespace {

// Length of the next group at the start of `rest` (size >= 1): a cut after the first entry at
// position >= 2 whose hash's last lane is 0 mod 4, at most 9 entries; <= 2 entries form the last.
size_t NextGroupLength(std::span<const HashAndSize> rest) {
  if (rest.size() <= 2) return rest.size();
  size_t limit = std::min<size_t>(9, rest.size());
  for (size_t i = 2; i < limit; ++i) {
    if (rest[i].hash.Lane(3) % 4 == 0) return i + 1;
  }
  return limit;
}

HashAndSize NodeOf(std::span<const HashAndSize> group) {
  // Each line is 64 hex digits + " : " + up to 20 digits + "\n".
  std::string text;
  text.reserve(group.size() * 90);
  uint64_t total = 0;
  char digits[24];
  for (const HashAndSize& e : group) {
    text += e.hash.ToXetHex();
    text += " : ";
    auto [end, ec] = std::to_chars(digits, digits + sizeof(digits), e.size);
    text.append(digits, end);
    text += '\n';
    total += e.size;
  }
  return {Blake3Keyed(kInternalNodeKey, AsBytes(text)), total};
}

}  // namespace

std::vector<HashAndSize> MerkleLevelUp(std::span<const HashAndSize> level) {
  std::vector<HashAndSize> up;
  up.reserve(level.size() / 4 + 1);
  while (!level.empty()) {
    size_t n = NextGroupLength(level);
    up.push_back(NodeOf(level.first(n)));
    level = level.subspan(n);
  }
  return up;
}

Hash AggregateHash(std::span<const HashAndSize> entries) {
  if (entries.empty()) return Hash::Zero();
  if (entries.size() == 1) return entries[0].hash;
  std::vector<HashAndSize> level = MerkleLevelUp(entries);
  while (level.size() > 1) level = MerkleLevelUp(level);
  return level[0].hash;
}

Hash FileHash(std::span<const HashAndSize> chunks, const HashKey& salt) {
  if (chunks.empty()) return Hash::Zero();
  Hash root = AggregateHash(chunks);
  return Blake3Keyed(salt, root.span());
}

Hash VerificationHash(std::span<const Hash> chunk_hashes) {
  Blake3Hasher h(kVerificationKey);
  for (const Hash& c : chunk_hashes) h.Update(c.span());
  return h.Finalize();
}

}  // namespace castor
