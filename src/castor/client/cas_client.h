// CasClient: the Xet CAS API over HTTP (docs/xet-protocol.md §5), as a client. Retries what can
// succeed (connection errors, 429, 5xx) with exponential backoff and jitter, honouring
// Retry-After; refreshes the token and retries once on 401; reports everything else as a Status
// naming the call. Reconstruction uses v2 and falls back to v1 (converted to the v2 shape) when
// the server answers 404 or 501 to v2. Safe for concurrent use.
#pragma once

#include <chrono>
#include <optional>
#include <string>

#include "castor/base/status.h"
#include "castor/client/token_source.h"
#include "castor/hash/hash.h"
#include "castor/http/http_client.h"
#include "castor/protocol/http_range.h"
#include "castor/protocol/reconstruction.h"

namespace castor::client {

struct CasClientOptions {
  std::string endpoint;  // CAS base URL, e.g. http://127.0.0.1:8080 (no trailing slash needed)
  int max_retries = 6;
  std::chrono::milliseconds base_backoff{200};
  std::chrono::milliseconds max_backoff{10'000};
  std::chrono::milliseconds stall_timeout{60'000};
};

class CasClient {
 public:
  CasClient(http::HttpClient* http, TokenSource* tokens, CasClientOptions options);

  // POST /v1/xorbs/default/{hash}: true if the server stored it now.
  Result<bool> UploadXorb(const Hash& xorb, ByteSpan bytes);
  // HEAD /v1/xorbs/default/{hash}: whether the server has it.
  Result<bool> HasXorb(const Hash& xorb);
  // POST /v1/shards: true if it registered something new.
  Result<bool> UploadShard(ByteSpan shard);
  // GET /v1/chunks/default/{hash}: the keyed shard, or nullopt when the chunk is not tracked.
  Result<std::optional<Bytes>> QueryChunk(const Hash& chunk);
  // GET /v2/reconstructions/{id} (v1 fallback). `range` is half-open; nullopt = whole file.
  Result<protocol::QueryReconstructionResponseV2> Reconstruct(
      const Hash& file_id, std::optional<protocol::ByteRange> range);
  // HEAD /v1/files/{id}: the size, or NotFound.
  Result<uint64_t> FileSize(const Hash& file_id);

  // GETs bytes [range) of a signed data URL (no Authorization header), streaming them to `sink`.
  // A dropped connection resumes where it stopped. PermissionDenied on 403 (an expired URL: the
  // caller re-queries the reconstruction).
  Status FetchRange(const std::string& url, protocol::ByteRange range, const http::BodySink& sink);

  const std::string& endpoint() const { return options_.endpoint; }

 private:
  // Sends with auth, retries and token refresh; returns the final response (any status).
  Result<http::Response> Call(http::Request req, std::string_view what);
  std::chrono::milliseconds Backoff(int attempt, const http::Response* resp) const;
  static Status ErrorFor(const http::Response& r, std::string_view what);

  http::HttpClient* http_;
  TokenSource* tokens_;
  CasClientOptions options_;
};

}  // namespace castor::client
