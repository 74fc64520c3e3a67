#include "castor/format/xorb/xorb_builder.h"

#include <string>
#include <utility>

namespace castor {

std::vector<HashAndSize> SerializedXorb::HashesAndSizes() const {
  std::vector<HashAndSize> out;
  out.reserve(chunks.size());
  for (const auto& c : chunks) out.push_back({c.hash, c.uncompressed_size});
  return out;
}

XorbBuilder::XorbBuilder(XorbBuilderOptions options)
    : options_(options), encoder_(options.compression) {}

bool XorbBuilder::Fits(size_t size) const {
  return current_.chunks.size() + 1 <= options_.max_chunks &&
         current_.uncompressed_bytes + size <= options_.max_bytes &&
         used_ + kChunkHeaderSize + size <= options_.max_bytes;
}

Result<std::optional<SerializedXorb>> XorbBuilder::Add(ByteSpan chunk, const Hash& chunk_hash) {
  if (chunk.empty() || chunk.size() > kXorbMaxChunkBytes) {
    return InvalidArgument("chunk of " + std::to_string(chunk.size()) +
                           " bytes: must be 1..131072");
  }
  std::optional<SerializedXorb> done;
  if (!Fits(chunk.size())) {
    done = Finish();
    if (!Fits(chunk.size())) {
      return InvalidArgument("chunk of " + std::to_string(chunk.size()) +
                             " bytes exceeds the xorb limits on its own");
    }
  }
  if (current_.chunks.empty() && current_.bytes.empty()) {
    current_.bytes = std::move(spare_);
    spare_ = Bytes();
    // Reserve the whole xorb once: only pages actually written get touched.
    current_.bytes.reserve(options_.max_bytes + ChunkEncoder::MaxRecordSize(kXorbMaxChunkBytes));
  }
  const size_t need = used_ + ChunkEncoder::MaxRecordSize(chunk.size());
  if (current_.bytes.size() < need) current_.bytes.resize(need);
  BuiltChunk c;
  c.hash = chunk_hash;
  c.uncompressed_size = uint32_t(chunk.size());
  c.physical_offset = uint32_t(used_);
  CASTOR_ASSIGN_OR_RETURN(ChunkHeader h, encoder_.Encode(chunk, current_.bytes.data() + used_));
  used_ += kChunkHeaderSize + h.compressed_size;
  c.scheme = h.scheme;
  current_.chunks.push_back(c);
  current_.uncompressed_bytes += chunk.size();
  return done;
}

std::optional<SerializedXorb> XorbBuilder::Finish() {
  if (current_.chunks.empty()) return std::nullopt;
  SerializedXorb out = std::move(current_);
  out.bytes.resize(used_);
  current_ = SerializedXorb{};
  used_ = 0;
  out.hash = XorbHash(out.HashesAndSizes());
  return out;
}

}  // namespace castor
