#include "castor/format/xorb/xorb_reader.h"

#include <cstring>
#include <string>

namespace castor {
namespace {

// The reference builder cuts xorbs on uncompressed bytes, so a valid xorb may pass 64 MiB
// serialized by at most its headers. The official JS client (@huggingface/hub) cuts on serialized
// bytes only, so its xorbs of compressible data hold more than 64 MiB uncompressed: that size is
// bounded only by the chunk limits (8192 chunks of at most 128 KiB, decoded one at a time).
constexpr uint64_t kMaxRecordsBytes = kXorbMaxBytes + kChunkHeaderSize * kXorbMaxChunks;

std::string Where(size_t i, uint64_t offset) {
  return "chunk " + std::to_string(i) + " at byte " + std::to_string(offset);
}

}  // namespace

Result<XorbReader> XorbReader::Parse(ByteSpan xorb) {
  XorbReader r;
  uint64_t pos = 0;
  while (pos < xorb.size()) {
    ByteSpan rest = xorb.subspan(pos);
    if (rest.size() >= 7 && std::memcmp(rest.data(), kXorbFooterIdent, 7) == 0) {
      CASTOR_ASSIGN_OR_RETURN(XorbFooter f, ParseXorbFooter(rest));
      r.footer_ = std::move(f);
      break;
    }
    const size_t i = r.chunks_.size();
    if (i == kXorbMaxChunks) {
      return Corruption("xorb has more than " + std::to_string(kXorbMaxChunks) + " chunks");
    }
    Result<ChunkHeader> h = DecodeChunkHeader(rest);
    if (!h.ok()) return h.status().WithContext(Where(i, pos));
    if (rest.size() - kChunkHeaderSize < h->compressed_size) {
      return Corruption(Where(i, pos) + ": payload of " + std::to_string(h->compressed_size) +
                        " bytes runs past the end (" +
                        std::to_string(rest.size() - kChunkHeaderSize) + " left)");
    }
    XorbChunkRecord c;
    c.header = *h;
    c.offset = pos;
    c.uncompressed_offset = r.uncompressed_size_;
    c.payload = rest.subspan(kChunkHeaderSize, h->compressed_size);
    r.chunks_.push_back(c);
    pos += kChunkHeaderSize + h->compressed_size;
    r.uncompressed_size_ += h->uncompressed_size;
    if (pos > kMaxRecordsBytes) {
      return Corruption(Where(i, c.offset) + ": xorb exceeds 64 MiB");
    }
  }
  r.records_size_ = pos;
  if (r.chunks_.empty()) return Corruption("xorb has no chunk");
  if (r.footer_) {
    const XorbFooter& f = *r.footer_;
    if (f.num_chunks() != r.chunks_.size()) {
      return Corruption("xorb footer lists " + std::to_string(f.num_chunks()) +
                        " chunks, the records hold " + std::to_string(r.chunks_.size()));
    }
    for (size_t i = 0; i < r.chunks_.size(); ++i) {
      const XorbChunkRecord& c = r.chunks_[i];
      if (f.physical_ends[i] != c.offset + kChunkHeaderSize + c.header.compressed_size ||
          f.uncompressed_ends[i] != c.uncompressed_offset + c.header.uncompressed_size) {
        return Corruption("xorb footer: boundaries of chunk " + std::to_string(i) +
                          " disagree with its header");
      }
    }
  }
  return r;
}

Result<XorbByteRange> XorbReader::PhysicalRange(size_t first, size_t last) const {
  if (first >= last || last > chunks_.size()) {
    return OutOfRange("chunk range [" + std::to_string(first) + ", " + std::to_string(last) +
                      ") outside a xorb of " + std::to_string(chunks_.size()) + " chunks");
  }
  const XorbChunkRecord& end = chunks_[last - 1];
  return XorbByteRange{chunks_[first].offset,
                       end.offset + kChunkHeaderSize + end.header.compressed_size};
}

Status XorbReader::DecodeChunk(size_t i, ChunkDecoder& decoder, Bytes* out) const {
  if (i >= chunks_.size()) {
    return OutOfRange("chunk " + std::to_string(i) + " of a xorb of " +
                      std::to_string(chunks_.size()) + " chunks");
  }
  const XorbChunkRecord& c = chunks_[i];
  out->resize(c.header.uncompressed_size);
  Status s = decoder.Decode(c.header, c.payload, *out);
  if (!s.ok()) return s.WithContext(Where(i, c.offset));
  return s;
}

Status XorbReader::ExtractRange(size_t first, size_t last, Bytes* out) const {
  if (first >= last || last > chunks_.size()) {
    return OutOfRange("chunk range [" + std::to_string(first) + ", " + std::to_string(last) +
                      ") outside a xorb of " + std::to_string(chunks_.size()) + " chunks");
  }
  ChunkDecoder decoder;
  uint64_t total = 0;
  for (size_t i = first; i < last; ++i) total += chunks_[i].header.uncompressed_size;
  size_t base = out->size();
  out->resize(base + total);
  size_t pos = base;
  for (size_t i = first; i < last; ++i) {
    const XorbChunkRecord& c = chunks_[i];
    MutableByteSpan dst(out->data() + pos, c.header.uncompressed_size);
    Status s = decoder.Decode(c.header, c.payload, dst);
    if (!s.ok()) {
      out->resize(base);
      return s.WithContext(Where(i, c.offset));
    }
    pos += c.header.uncompressed_size;
  }
  return Status::OK();
}

Result<std::vector<HashAndSize>> XorbReader::ComputeChunkHashes() const {
  ChunkDecoder decoder;
  std::vector<HashAndSize> out;
  out.reserve(chunks_.size());
  for (size_t i = 0; i < chunks_.size(); ++i) {
    const XorbChunkRecord& c = chunks_[i];
    Result<ByteSpan> data = decoder.View(c.header, c.payload);
    if (!data.ok()) {
      return data.status().WithContext(Where(i, c.offset));
    }
    out.push_back({ChunkHash(*data), c.header.uncompressed_size});
  }
  return out;
}

Status XorbReader::Verify(const Hash& expected) const {
  CASTOR_ASSIGN_OR_RETURN(auto hashes, ComputeChunkHashes());
  Hash actual = XorbHash(hashes);
  if (actual != expected) {
    return Corruption("xorb hash " + actual.ToXetHex() + " != expected " + expected.ToXetHex());
  }
  if (footer_) {
    if (footer_->xorb_hash != actual) {
      return Corruption("xorb footer: xorb hash " + footer_->xorb_hash.ToXetHex() +
                        " != computed " + actual.ToXetHex());
    }
    for (size_t i = 0; i < hashes.size(); ++i) {
      if (footer_->chunk_hashes[i] != hashes[i].hash) {
        return Corruption("xorb footer: hash of chunk " + std::to_string(i) + " != computed " +
                          hashes[i].hash.ToXetHex());
      }
    }
  }
  return Status::OK();
}

XorbFooter MakeXorbFooter(const Hash& xorb_hash, const std::vector<HashAndSize>& chunks,
                          const std::vector<uint32_t>& physical_ends) {
  XorbFooter f;
  f.xorb_hash = xorb_hash;
  f.physical_ends = physical_ends;
  uint64_t unc = 0;
  for (const auto& c : chunks) {
    f.chunk_hashes.push_back(c.hash);
    unc += c.size;
    f.uncompressed_ends.push_back(uint32_t(unc));
  }
  return f;
}

Result<XorbFooter> XorbReader::BuildFooter() const {
  CASTOR_ASSIGN_OR_RETURN(auto hashes, ComputeChunkHashes());
  std::vector<uint32_t> ends;
  ends.reserve(chunks_.size());
  for (const auto& c : chunks_) {
    ends.push_back(uint32_t(c.offset + kChunkHeaderSize + c.header.compressed_size));
  }
  return MakeXorbFooter(XorbHash(hashes), hashes, ends);
}

}  // namespace castor
