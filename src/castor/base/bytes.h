// Byte spans, little-endian coding and plain hex: the vocabulary every format in castor uses.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace castor {

using ByteSpan = std::span<const uint8_t>;
using MutableByteSpan = std::span<uint8_t>;
using Bytes = std::vector<uint8_t>;

inline ByteSpan AsBytes(std::string_view s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}
inline std::string_view AsString(ByteSpan b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// Little-endian loads and stores from unaligned memory (x86-64 and other LE hosts; castor
// targets little-endian machines only, checked by a static_assert in bytes.cc).
inline uint16_t LoadLE16(const uint8_t* p) { uint16_t v; std::memcpy(&v, p, 2); return v; }
inline uint32_t LoadLE32(const uint8_t* p) { uint32_t v; std::memcpy(&v, p, 4); return v; }
inline uint64_t LoadLE64(const uint8_t* p) { uint64_t v; std::memcpy(&v, p, 8); return v; }
inline uint32_t LoadLE24(const uint8_t* p) {
  return uint32_t{p[0]} | (uint32_t{p[1]} << 8) | (uint32_t{p[2]} << 16);
}
inline void StoreLE16(uint8_t* p, uint16_t v) { std::memcpy(p, &v, 2); }
inline void StoreLE32(uint8_t* p, uint32_t v) { std::memcpy(p, &v, 4); }
inline void StoreLE64(uint8_t* p, uint64_t v) { std::memcpy(p, &v, 8); }
inline void StoreLE24(uint8_t* p, uint32_t v) {
  p[0] = uint8_t(v); p[1] = uint8_t(v >> 8); p[2] = uint8_t(v >> 16);
}

// Appends little-endian integers to a byte vector.
inline void AppendLE32(Bytes& out, uint32_t v) {
  uint8_t b[4]; StoreLE32(b, v); out.insert(out.end(), b, b + 4);
}
inline void AppendLE64(Bytes& out, uint64_t v) {
  uint8_t b[8]; StoreLE64(b, v); out.insert(out.end(), b, b + 8);
}
inline void AppendBytes(Bytes& out, ByteSpan b) { out.insert(out.end(), b.begin(), b.end()); }

// Heap memory at an alignment (a power of two: 4096 for page-aligned buffers, which O_DIRECT
// needs and into which the kernel's copies out of page-cache pages run at full speed on every
// CPU; bench/results-storage.md). null if the allocation fails; the size is rounded up to a
// multiple of the alignment.
struct FreeDeleter {
  void operator()(uint8_t* p) const { std::free(p); }
};
using AlignedBuffer = std::unique_ptr<uint8_t, FreeDeleter>;
inline AlignedBuffer AllocateAligned(size_t alignment, size_t size) {
  return AlignedBuffer(static_cast<uint8_t*>(
      std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment)));
}

// ASCII case-insensitive equality (HTTP header names, range units, tokens).
inline bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = char(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = char(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// Plain lowercase hex of the bytes, in order.
std::string HexEncode(ByteSpan bytes);
// Parses plain hex (either case). nullopt on odd length or a non-hex digit.
std::optional<Bytes> HexDecode(std::string_view hex);

}  // namespace castor
