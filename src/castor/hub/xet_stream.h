// StreamXetFile: a Xet file's bytes, in order, to a sink, straight from a CAS: the reconstruction
// (v2, v1 fallback), then for each term the xorb byte range that holds it, decoded as it streams
// in. Unlike DownloadFile (which writes a local file in parallel, out of order), this feeds a
// sequential consumer such as an S3 multipart upload, so nothing touches local disk.
//
// Memory: terms are fetched `prefetch` at a time ahead of the one being delivered, each held
// decoded (a term is at most one xorb's worth, 64 MiB), so at most (prefetch + 1) * 64 MiB.
// The byte count is checked against `size`; the caller checks content hashes.
#pragma once

#include <cstdint>

#include "castor/base/status.h"
#include "castor/client/cas_client.h"
#include "castor/hash/hash.h"
#include "castor/http/http_client.h"

namespace castor::hub {

Status StreamXetFile(client::CasClient& cas, const Hash& file_id, uint64_t size,
                     const http::BodySink& sink, int prefetch = 2);

}  // namespace castor::hub
