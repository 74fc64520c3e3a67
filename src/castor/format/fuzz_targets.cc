#include "castor/format/fuzz_targets.h"

#include <algorithm>
#include <string>

#include "castor/format/shard/shard_builder.h"
#include "castor/format/shard/shard_reader.h"
#include "castor/format/xorb/bg4.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/xorb_reader.h"

namespace castor {

Status FuzzXorbReader(ByteSpan data) {
  CASTOR_ASSIGN_OR_RETURN(XorbReader r, XorbReader::Parse(data));
  Bytes all;
  Status s = r.ExtractRange(0, r.num_chunks(), &all);
  if (s.ok() && all.size() != r.uncompressed_size()) {
    return Internal("extracted " + std::to_string(all.size()) + " bytes, headers say " +
                    std::to_string(r.uncompressed_size()));
  }
  if (!s.ok() && s.code() != StatusCode::kCorruption) return Internal(s.ToString());
  if (!s.ok()) return s;
  CASTOR_ASSIGN_OR_RETURN(XorbFooter f, r.BuildFooter());
  Bytes stored(data.begin(), data.begin() + r.records_size());
  f.AppendTo(&stored);
  Result<XorbReader> again = XorbReader::Parse(stored);
  if (!again.ok()) return Internal("rebuilt footer rejected: " + again.status().ToString());
  if (!again->Verify(f.xorb_hash).ok()) return Internal("rebuilt footer fails verification");
  Result<XorbFooter> tail = ParseXorbFooterAtEnd(stored);
  if (!tail.ok()) return Internal("footer not found from the end: " + tail.status().ToString());
  return Status::OK();
}

Status FuzzShardReader(ByteSpan data) {
  CASTOR_ASSIGN_OR_RETURN(ShardReader r, ShardReader::Parse(data));
  for (const ShardFile& f : r.files()) (void)r.FindFile(f.file_hash);
  for (const ShardXorb& x : r.xorbs()) {
    (void)r.FindXorb(x.xorb_hash);
    for (const ShardChunk& c : x.chunks) (void)r.FindStoredChunkHash(c.hash);
  }
  ShardBuilder b;
  for (const ShardFile& f : r.files()) b.AddFile(f);
  for (const ShardXorb& x : r.xorbs()) b.AddXorb(x);
  Result<Bytes> rebuilt = b.BuildUpload();
  if (!rebuilt.ok()) return Internal("rebuild failed: " + rebuilt.status().ToString());
  Result<ShardReader> again = ShardReader::Parse(*rebuilt);
  if (!again.ok()) return Internal("rebuilt shard rejected: " + again.status().ToString());
  if (again->files() != r.files() || again->xorbs() != r.xorbs()) {
    return Internal("rebuilt shard differs");
  }
  return Status::OK();
}

Status FuzzChunkDecoders(ByteSpan data) {
  if (data.size() < 4) return InvalidArgument("need 4 bytes");
  ChunkHeader h;
  h.scheme = (data[0] & 1) ? CompressionScheme::kBg4Lz4 : CompressionScheme::kLz4;
  h.uncompressed_size = std::min<uint32_t>(LoadLE24(data.data() + 1), kXorbMaxChunkBytes);
  ByteSpan payload = data.subspan(4);
  h.compressed_size = uint32_t(payload.size());
  ChunkDecoder dec;
  Bytes out(h.uncompressed_size);
  Status decoded = dec.Decode(h, payload, out);
  if (!decoded.ok() && decoded.code() != StatusCode::kCorruption) {
    return Internal(decoded.ToString());
  }
  // Round trips of the payload bytes as a chunk.
  ByteSpan chunk = payload.first(std::min<size_t>(payload.size(), kXorbMaxChunkBytes));
  if (!chunk.empty()) {
    Bytes grouped(chunk.size()), back(chunk.size());
    Bg4Split(chunk, grouped.data());
    Bg4Join(grouped, back.data());
    if (!std::equal(back.begin(), back.end(), chunk.begin())) return Internal("BG4 round trip");
    for (auto policy :
         {CompressionPolicy::kLz4, CompressionPolicy::kBg4Lz4, CompressionPolicy::kPredict}) {
      ChunkEncoder enc(policy);
      Bytes rec;
      Result<ChunkHeader> eh = enc.Append(chunk, &rec);
      if (!eh.ok()) return Internal("encode: " + eh.status().ToString());
      Bytes round(chunk.size());
      Status s = dec.Decode(*eh, ByteSpan(rec).subspan(kChunkHeaderSize), round);
      if (!s.ok() || !std::equal(round.begin(), round.end(), chunk.begin())) {
        return Internal("codec round trip failed");
      }
    }
  }
  return decoded;
}

}  // namespace castor
