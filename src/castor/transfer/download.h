// DownloadFile: reconstructs a file from a CAS into a local path. It asks for the reconstruction
// (v2, falling back to v1), fetches every xorb byte range in parallel, decodes the chunk records
// as they stream in (memory: one chunk per worker, whatever the file size), writes each chunk to
// every place the file uses it, checks each term's length and, at the end, the file id over all
// decoded chunk hashes. Bytes go to `<path>.castor-partial` and are renamed into place only once
// verified. An interrupted download resumes: ranges recorded in `<path>.castor-partial.journal`
// are re-hashed on disk and fetched again only if they no longer match.
#pragma once

#include <cstdint>
#include <functional>
#include <string>

#include "castor/base/status.h"
#include "castor/client/cas_client.h"
#include "castor/hash/hash.h"

namespace castor {

struct DownloadOptions {
  int parallelism = 8;  // byte ranges in flight
  bool resume = true;   // reuse a journaled partial download
  // Write the aligned bulk of the file with O_DIRECT where the filesystem allows (no page-cache
  // copy; the file is not left in the cache). False: ordinary buffered writes.
  bool direct_io = true;
  // Called (from any thread, serialized) as bytes land: (bytes done, total).
  std::function<void(uint64_t, uint64_t)> progress;
};

struct DownloadReport {
  uint64_t size = 0;
  uint64_t bytes_fetched = 0;   // stored (compressed) bytes received
  uint64_t bytes_resumed = 0;   // file bytes found verified on disk from an earlier attempt
  uint64_t ranges = 0;
  double seconds = 0;
};

Result<DownloadReport> DownloadFile(client::CasClient& cas, const Hash& file_id,
                                    const std::string& path, const DownloadOptions& options);

}  // namespace castor
