// The 8-byte header in front of every chunk of a xorb (docs/xet-protocol.md §3.2) and the
// limits the xorb format imposes on chunks and xorbs. Pure; safe for concurrent use.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor {

inline constexpr size_t kChunkHeaderSize = 8;
// Largest uncompressed chunk (the chunker's maximum; the u24 size fields rely on it).
inline constexpr uint32_t kXorbMaxChunkBytes = 131072;
// Largest payload a reader accepts (the reference implementation's bound: 2x the chunk limit).
inline constexpr uint32_t kXorbMaxCompressedChunkBytes = 2 * kXorbMaxChunkBytes;
// A xorb holds at most this many chunks...
inline constexpr size_t kXorbMaxChunks = 8192;
// ...and at most this many bytes, both serialized and uncompressed.
inline constexpr size_t kXorbMaxBytes = 64 * 1024 * 1024;

enum class CompressionScheme : uint8_t {
  kNone = 0,    // payload is the chunk
  kLz4 = 1,     // payload is one LZ4 frame of the chunk
  kBg4Lz4 = 2,  // payload is one LZ4 frame of the chunk byte-grouped by 4
};

// "none", "lz4", "bg4-lz4".
std::string_view CompressionSchemeName(CompressionScheme s);

struct ChunkHeader {
  uint8_t version = 0;
  uint32_t compressed_size = 0;  // payload bytes following the header
  CompressionScheme scheme = CompressionScheme::kNone;
  uint32_t uncompressed_size = 0;

  bool operator==(const ChunkHeader&) const = default;
};

// Writes the 8 header bytes. The sizes must fit in 24 bits (callers hold the limits above).
void EncodeChunkHeader(const ChunkHeader& h, uint8_t out[kChunkHeaderSize]);

// Parses and validates a header: version 0, a known scheme, 0 < uncompressed <= 128 KiB,
// 0 < compressed <= 256 KiB, and compressed == uncompressed for scheme none. Needs at least 8
// bytes. Errors are Corruption and name the offending field.
Result<ChunkHeader> DecodeChunkHeader(ByteSpan bytes);

}  // namespace castor
