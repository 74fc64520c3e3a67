#include "castor/transfer/chunk_stream_decoder.h"

#include "castor/format/xorb/chunk_header.h"

namespace castor {

Status ChunkStreamDecoder::Feed(ByteSpan data) {
  // Records wholly inside `data` are decoded in place; only a record split across pieces is
  // copied into buf_.
  while (!data.empty()) {
    if (!buf_.empty()) {
      size_t need = kChunkHeaderSize;
      if (buf_.size() >= kChunkHeaderSize) {
        auto h = DecodeChunkHeader(ByteSpan(buf_).first(kChunkHeaderSize));
        if (!h.ok()) return h.status().WithContext("chunk " + std::to_string(chunks_));
        need = kChunkHeaderSize + h->compressed_size;
      }
      size_t take = std::min(need - buf_.size(), data.size());
      buf_.insert(buf_.end(), data.begin(), data.begin() + take);
      data = data.subspan(take);
      if (buf_.size() == need && need > kChunkHeaderSize) {
        CASTOR_RETURN_IF_ERROR(DrainBuffer());
      }
      continue;
    }
    if (data.size() < kChunkHeaderSize) {
      buf_.assign(data.begin(), data.end());
      return Status::OK();
    }
    auto h = DecodeChunkHeader(data.first(kChunkHeaderSize));
    if (!h.ok()) return h.status().WithContext("chunk " + std::to_string(chunks_));
    size_t record = kChunkHeaderSize + h->compressed_size;
    if (data.size() < record) {
      buf_.assign(data.begin(), data.end());
      return Status::OK();
    }
    CASTOR_RETURN_IF_ERROR(Deliver(*h, data.subspan(kChunkHeaderSize, h->compressed_size)));
    ++chunks_;
    data = data.subspan(record);
  }
  return Status::OK();
}

Status ChunkStreamDecoder::Deliver(const ChunkHeader& h, ByteSpan payload) {
  if (on_record_) return on_record_(h, payload);
  auto chunk = decoder_.View(h, payload);
  if (!chunk.ok()) return chunk.status().WithContext("chunk " + std::to_string(chunks_));
  return on_chunk_(*chunk);
}

Status ChunkStreamDecoder::DrainBuffer() {
  auto h = DecodeChunkHeader(ByteSpan(buf_).first(kChunkHeaderSize));
  if (!h.ok()) return h.status();
  Status s = Deliver(*h, ByteSpan(buf_).subspan(kChunkHeaderSize));
  buf_.clear();
  ++chunks_;
  return s;
}

Status ChunkStreamDecoder::Finish() const {
  if (!buf_.empty()) {
    return Corruption("stream ended inside chunk record " + std::to_string(chunks_) + " (" +
                      std::to_string(buf_.size()) + " bytes of it)");
  }
  return Status::OK();
}

}  // namespace castor
