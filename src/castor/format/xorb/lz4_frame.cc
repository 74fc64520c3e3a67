#include "castor/format/xorb/lz4_frame.h"

#include <lz4frame.h>

#include <algorithm>
#include <new>
#include <string>

namespace castor {
namespace {

LZ4F_preferences_t EncoderPreferences() {
  LZ4F_preferences_t p{};
  // 256 KiB blocks: a whole chunk (<= 128 KiB) is one block, so the decoder never stitches blocks.
  p.frameInfo.blockSizeID = LZ4F_max256KB;
  p.frameInfo.blockMode = LZ4F_blockIndependent;
  p.frameInfo.contentChecksumFlag = LZ4F_noContentChecksum;
  p.frameInfo.blockChecksumFlag = LZ4F_noBlockChecksum;
  p.frameInfo.contentSize = 0;
  p.compressionLevel = 0;  // LZ4's fast mode, which skips ahead quickly over incompressible data
  p.autoFlush = 1;         // compress straight into dst, without liblz4's staging buffer
  return p;
}

}  // namespace

Lz4FrameEncoder::Lz4FrameEncoder() {
  LZ4F_cctx* c = nullptr;
  if (LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION))) throw std::bad_alloc();
  cctx_ = c;
}

Lz4FrameEncoder::~Lz4FrameEncoder() { LZ4F_freeCompressionContext(static_cast<LZ4F_cctx*>(cctx_)); }

size_t Lz4FrameEncoder::Bound(size_t n) {
  LZ4F_preferences_t p = EncoderPreferences();
  return LZ4F_compressFrameBound(n, &p);
}

Result<size_t> Lz4FrameEncoder::Compress(ByteSpan in, uint8_t* dst, size_t capacity) {
  // Begin/Update/End on the long-lived context: no per-chunk allocation or context setup.
  auto* c = static_cast<LZ4F_cctx*>(cctx_);
  LZ4F_preferences_t p = EncoderPreferences();
  size_t pos = LZ4F_compressBegin(c, dst, capacity, &p);
  if (LZ4F_isError(pos)) return Internal(std::string("lz4 frame begin: ") + LZ4F_getErrorName(pos));
  size_t r = LZ4F_compressUpdate(c, dst + pos, capacity - pos, in.data(), in.size(), nullptr);
  if (LZ4F_isError(r)) return Internal(std::string("lz4 compression: ") + LZ4F_getErrorName(r));
  pos += r;
  r = LZ4F_compressEnd(c, dst + pos, capacity - pos, nullptr);
  if (LZ4F_isError(r)) return Internal(std::string("lz4 frame end: ") + LZ4F_getErrorName(r));
  return pos + r;
}

namespace {

LZ4F_dctx* NewDecompressionContext() {
  LZ4F_dctx* d = nullptr;
  if (LZ4F_isError(LZ4F_createDecompressionContext(&d, LZ4F_VERSION))) throw std::bad_alloc();
  return d;
}

}  // namespace

Lz4FrameDecoder::Lz4FrameDecoder() : dctx_(NewDecompressionContext()) {}

Lz4FrameDecoder::~Lz4FrameDecoder() {
  LZ4F_freeDecompressionContext(static_cast<LZ4F_dctx*>(dctx_));
}

namespace {

// The block size a frame declares (its BD byte), or 0 if the bytes are not a frame header.
size_t DeclaredBlockSize(ByteSpan frame) {
  if (frame.size() < 6 || LoadLE32(frame.data()) != 0x184D2204u) return 0;
  switch ((frame[5] >> 4) & 7) {
    case 4:
      return size_t{64} << 10;
    case 5:
      return size_t{256} << 10;
    case 6:
      return size_t{1} << 20;
    case 7:
      return size_t{4} << 20;
  }
  return 0;
}

}  // namespace

Status Lz4FrameDecoder::Decompress(ByteSpan frame, MutableByteSpan out) {
  return Run(frame, out, out.size());
}

Result<ByteSpan> Lz4FrameDecoder::DecompressToBuffer(ByteSpan frame, size_t expected_size) {
  // liblz4 decodes a block in place only when the destination has room for a whole block of
  // the declared size; give it that room (a frame cannot make it write past it).
  size_t room = std::max(expected_size, DeclaredBlockSize(frame));
  if (buffer_.size() < room) buffer_.resize(room);
  CASTOR_RETURN_IF_ERROR(Run(frame, MutableByteSpan(buffer_.data(), room), expected_size));
  return ByteSpan(buffer_.data(), expected_size);
}

Status Lz4FrameDecoder::Run(ByteSpan frame, MutableByteSpan out, size_t expected_size) {
  Status s = RunFrame(frame, out, expected_size);
  if (!s.ok()) {
    // A fresh context after any error: liblz4 (1.9.4) keeps the content size a bad frame
    // declared across LZ4F_resetDecompressionContext, and every later frame that declares none
    // would then fail as "frameSize_wrong".
    LZ4F_freeDecompressionContext(static_cast<LZ4F_dctx*>(dctx_));
    dctx_ = NewDecompressionContext();
  }
  return s;
}

Status Lz4FrameDecoder::RunFrame(ByteSpan frame, MutableByteSpan out, size_t expected_size) {
  auto* d = static_cast<LZ4F_dctx*>(dctx_);
  LZ4F_resetDecompressionContext(d);
  LZ4F_decompressOptions_t opts{};
  // The whole output buffer stays valid for the call, so liblz4 may decode linked blocks in place.
  opts.stableDst = 1;
  size_t in_pos = 0, out_pos = 0;
  for (;;) {
    size_t in_len = frame.size() - in_pos;
    size_t out_len = out.size() - out_pos;
    size_t r =
        LZ4F_decompress(d, out.data() + out_pos, &out_len, frame.data() + in_pos, &in_len, &opts);
    if (LZ4F_isError(r)) {
      return Corruption(std::string("lz4 frame: ") + LZ4F_getErrorName(r) + " at byte " +
                        std::to_string(in_pos));
    }
    in_pos += in_len;
    out_pos += out_len;
    if (r == 0) break;  // frame complete
    if (in_pos == frame.size()) {
      return Corruption("lz4 frame: truncated after " + std::to_string(frame.size()) + " bytes");
    }
    if (out_pos > expected_size || (in_len == 0 && out_len == 0)) {
      // More output than the chunk holds (or liblz4 has decoded bytes it cannot place).
      return Corruption("lz4 frame decodes to more than " + std::to_string(expected_size) +
                        " bytes");
    }
  }
  if (in_pos != frame.size()) {
    return Corruption("lz4 frame: " + std::to_string(frame.size() - in_pos) +
                      " trailing bytes after the frame");
  }
  if (out_pos != expected_size) {
    return Corruption("lz4 frame decodes to " + std::to_string(out_pos) + " bytes, expected " +
                      std::to_string(expected_size));
  }
  return Status::OK();
}

}  // namespace castor
