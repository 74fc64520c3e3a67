#include "castor/transfer/xorb_compress.h"

#include <cstring>
#include <string>

#include "castor/format/xorb/chunk_header.h"

namespace castor {

// Record i is compressed from its raw bytes into `scratch`, then moved to the write cursor. The
// compressed record is never longer than the raw one (the encoder stores a chunk raw when the
// codec does not shrink it), so the write cursor never passes the start of the next unread raw
// record: nothing is overwritten before it has been read.
Status CompressXorbInPlace(SerializedXorb& x, ChunkEncoder& encoder, Bytes& scratch) {
  const size_t need = ChunkEncoder::MaxRecordSize(kXorbMaxChunkBytes);
  if (scratch.size() < need) scratch.resize(need);
  size_t out = 0;
  for (size_t i = 0; i < x.chunks.size(); ++i) {
    BuiltChunk& c = x.chunks[i];
    const size_t in = c.physical_offset;
    const size_t n = c.uncompressed_size;
    if (c.scheme != CompressionScheme::kNone || in < out || in + kChunkHeaderSize + n > x.bytes.size()) {
      return InvalidArgument("xorb " + x.hash.ToXetHex() + ": chunk " + std::to_string(i) +
                             " is not a raw record where the xorb says");
    }
    CASTOR_ASSIGN_OR_RETURN(ChunkHeader h,
                            encoder.Encode(ByteSpan(x.bytes.data() + in + kChunkHeaderSize, n),
                                           scratch.data()));
    const size_t len = kChunkHeaderSize + h.compressed_size;
    if (len > kChunkHeaderSize + n) return Internal("a compressed record grew past its raw form");
    std::memcpy(x.bytes.data() + out, scratch.data(), len);
    c.physical_offset = uint32_t(out);
    c.scheme = h.scheme;
    out += len;
  }
  x.bytes.resize(out);
  return Status::OK();
}

}  // namespace castor
