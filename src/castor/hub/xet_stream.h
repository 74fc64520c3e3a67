// StreamXetFile: a Xet file's bytes, in order, to a sink, straight from a CAS: the reconstruction
// (v2, v1 fallback), then for each term the xorb byte range that holds it, decoded as it streams
// in. Unlike DownloadFile (which writes a local file in parallel, out of order), this feeds a
// sequential consumer such as an S3 multipart upload, so nothing touches local disk.
//
// Memory: terms are fetched `prefetch` at a time ahead of the one being delivered, each held
// decoded (a term is at most one xorb's worth, 64 MiB), so at most (prefetch + 1) * 64 MiB.
// The byte count is checked against `size`; the caller checks content hashes.
//
// A XetTermSource lets the caller supply terms it already holds (a castor:// mirror whose store
// has those chunks of the upstream xorb) instead of fetching them, and tells it the chunks of
// every term that was fetched, so it can recognise them next time.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "castor/base/status.h"
#include "castor/client/cas_client.h"
#include "castor/hash/hash.h"
#include "castor/hash/xet_hash.h"
#include "castor/http/http_client.h"
#include "castor/protocol/reconstruction.h"

namespace castor::hub {

// Called from several fetch threads at once: implementations must be thread-safe.
class XetTermSource {
 public:
  virtual ~XetTermSource() = default;
  // The decoded bytes of chunks `chunks` of upstream xorb `xorb` (exactly `length` bytes), or
  // nullopt to fetch them. Whatever it returns still goes through the caller's content checks.
  virtual std::optional<Bytes> Find(const Hash& xorb, protocol::ChunkRange chunks,
                                    uint32_t length) = 0;
  // A term that was fetched: the size of each of its chunks, from `first_chunk` on, and the file
  // offset where its bytes begin. (No hashes: the source's own consumer chunks and hashes the
  // same bytes anyway, so the fetch path does not hash them a second time.)
  virtual void Fetched(const Hash& xorb, uint32_t first_chunk, std::vector<uint32_t> chunk_sizes,
                       uint64_t file_offset) = 0;
};

struct XetStreamStats {
  uint64_t terms = 0, terms_local = 0;
  uint64_t bytes_local = 0;  // file bytes the source supplied (not fetched)
};

Status StreamXetFile(client::CasClient& cas, const Hash& file_id, uint64_t size,
                     const http::BodySink& sink, int prefetch = 2, XetTermSource* source = nullptr,
                     XetStreamStats* stats = nullptr);

}  // namespace castor::hub
