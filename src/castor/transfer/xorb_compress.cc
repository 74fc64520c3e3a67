#include "castor/transfer/xorb_compress.h"

#include <cstring>
#include <string>

#include "castor/format/xorb/chunk_header.h"

namespace castor {

// Record i is compressed from its raw bytes to the write cursor. The compressed record is never
// longer than the raw one (the encoder stores a chunk raw when the codec does not shrink it), so
// the cursor never passes the start of the raw record being read. The encoder may use up to
// MaxRecordSize(n) bytes at its destination, though: it writes straight to the cursor only when
// that room ends before the raw chunk starts (once earlier chunks have saved enough), and into
// `scratch` otherwise, copied to the cursor unless it is the unchanged raw record already there
// (then the encoder does not copy the raw payload into `scratch` either: random data, which
// stays raw record after record, is not copied at all).
Status CompressXorbInPlace(SerializedXorb& x, ChunkEncoder& encoder, Bytes& scratch) {
  const size_t need = ChunkEncoder::MaxRecordSize(kXorbMaxChunkBytes);
  if (scratch.size() < need) scratch.resize(need);
  uint8_t* const base = x.bytes.data();
  size_t out = 0;
  for (size_t i = 0; i < x.chunks.size(); ++i) {
    BuiltChunk& c = x.chunks[i];
    const size_t in = c.physical_offset;
    const size_t n = c.uncompressed_size;
    if (c.scheme != CompressionScheme::kNone || in < out ||
        in + kChunkHeaderSize + n > x.bytes.size()) {
      return InvalidArgument("xorb " + x.hash.ToXetHex() + ": chunk " + std::to_string(i) +
                             " is not a raw record where the xorb says");
    }
    const ByteSpan chunk(base + in + kChunkHeaderSize, n);
    const bool direct = out + ChunkEncoder::MaxRecordSize(n) <= in + kChunkHeaderSize;
    const bool in_place = out == in;  // a raw result is the record already there
    CASTOR_ASSIGN_OR_RETURN(ChunkHeader h,
                            encoder.Encode(chunk, direct ? base + out : scratch.data(),
                                           /*copy_raw_payload=*/!in_place));
    const size_t len = kChunkHeaderSize + h.compressed_size;
    if (len > kChunkHeaderSize + n) return Internal("a compressed record grew past its raw form");
    if (!direct && !(in_place && h.scheme == CompressionScheme::kNone)) {
      std::memcpy(base + out, scratch.data(), len);
    }
    c.physical_offset = uint32_t(out);
    c.scheme = h.scheme;
    out += len;
  }
  x.bytes.resize(out);
  return Status::OK();
}

}  // namespace castor
