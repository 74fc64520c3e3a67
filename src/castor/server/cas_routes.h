// The Xet CAS API over HTTP (docs/xet-protocol.md §5.2), on a CasService: reconstructions (v1,
// v2, batch), file and xorb HEADs, global dedup, xorb and shard uploads (v1 and the streaming v2
// shard answer), and the signed byte-range URLs a local-directory store serves itself. Reads are
// dumb: reconstruction answers carry URLs (presigned S3 URLs where the store has them, else
// URLs to this server signed with the server secret) for byte ranges of immutable xorbs.
#pragma once

#include <chrono>
#include <string>

#include "castor/base/status.h"
#include "castor/cas/cas_service.h"
#include "castor/server/metrics.h"
#include "castor/server/router.h"
#include "castor/server/signed_url.h"

namespace castor::server {

struct CasRoutesOptions {
  // This server's base URL as clients reach it (for URLs it signs): http://host:port.
  std::string public_url;
  // Lifetime of the data URLs in reconstruction answers.
  std::chrono::seconds url_ttl{3600};
  // Use presigned store URLs when the store offers them (S3); otherwise serve ranges here.
  bool presigned_store_urls = true;
  // Unix seconds; default: the system clock.
  std::function<int64_t()> now;
};

// Registers every CAS route on `router`. `cas`, `signer` and `metrics` (may be null) must
// outlive the router.
Status AddCasRoutes(Router& router, cas::CasService* cas, const UrlSigner* signer,
                    ServerMetrics* metrics, CasRoutesOptions options);

}  // namespace castor::server
