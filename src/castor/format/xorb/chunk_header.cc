#include "castor/format/xorb/chunk_header.h"

#include <string>

namespace castor {

std::string_view CompressionSchemeName(CompressionScheme s) {
  switch (s) {
    case CompressionScheme::kNone:
      return "none";
    case CompressionScheme::kLz4:
      return "lz4";
    case CompressionScheme::kBg4Lz4:
      return "bg4-lz4";
  }
  return "unknown";
}

void EncodeChunkHeader(const ChunkHeader& h, uint8_t out[kChunkHeaderSize]) {
  out[0] = h.version;
  StoreLE24(out + 1, h.compressed_size);
  out[4] = static_cast<uint8_t>(h.scheme);
  StoreLE24(out + 5, h.uncompressed_size);
}

Result<ChunkHeader> DecodeChunkHeader(ByteSpan bytes) {
  if (bytes.size() < kChunkHeaderSize) {
    return Corruption("truncated chunk header: " + std::to_string(bytes.size()) + " of 8 bytes");
  }
  const uint8_t* p = bytes.data();
  ChunkHeader h;
  h.version = p[0];
  h.compressed_size = LoadLE24(p + 1);
  uint8_t scheme = p[4];
  h.uncompressed_size = LoadLE24(p + 5);
  if (h.version != 0) {
    return Corruption("unsupported chunk header version " + std::to_string(h.version));
  }
  if (scheme > static_cast<uint8_t>(CompressionScheme::kBg4Lz4)) {
    return Corruption("unknown compression scheme " + std::to_string(scheme));
  }
  h.scheme = static_cast<CompressionScheme>(scheme);
  if (h.uncompressed_size == 0 || h.uncompressed_size > kXorbMaxChunkBytes) {
    return Corruption("uncompressed size " + std::to_string(h.uncompressed_size) +
                      " outside 1..131072");
  }
  if (h.compressed_size == 0 || h.compressed_size > kXorbMaxCompressedChunkBytes) {
    return Corruption("compressed size " + std::to_string(h.compressed_size) +
                      " outside 1..262144");
  }
  if (h.scheme == CompressionScheme::kNone && h.compressed_size != h.uncompressed_size) {
    return Corruption("uncompressed chunk with compressed size " +
                      std::to_string(h.compressed_size) + " != uncompressed size " +
                      std::to_string(h.uncompressed_size));
  }
  return h;
}

}  // namespace castor
