// UploadPaths: pushes files to a CAS. Files are scanned (chunked and hashed) once; new chunks are
// packed into xorbs, which upload in parallel while scanning goes on; then one shard describes
// every file. Chunks are deduplicated within the session, against the shards of earlier pushes
// kept in a local cache, and globally by asking the server about each file's first chunk and
// every chunk the protocol marks eligible. A xorb the server already has is not sent again.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "castor/base/progress.h"
#include "castor/base/status.h"
#include "castor/client/cas_client.h"
#include "castor/dedup/upload_builder.h"

namespace castor {

struct UploadOptions {
  // Xorbs compressing and uploading at once. Memory: about parallelism + 1 xorb buffers of up to
  // 64 MiB (one per worker and the one being packed) plus the scan's blocks (~10 MiB).
  int parallelism = 2;
  bool global_dedup = true;      // ask the server about first and eligible chunks
  std::string shard_cache_dir;   // shards of earlier pushes ("" = no cache)
  int scan_threads = 0;          // 0 = all cores
  XorbBuilderOptions xorb;       // xorb limits (tests make them small) and compression policy
  // Bumped as the push goes (may be null): files_total and bytes_total once the paths are
  // listed, bytes_done as each chunk is scanned and handed on, files_done after each file. The
  // scan runs ahead of the uploads by at most parallelism + 1 xorbs.
  ProgressCounters* progress = nullptr;
};

struct UploadedFile {
  std::string path;
  Hash file_id;
  uint64_t size = 0;
  Hash sha256;
};

struct UploadReport {
  std::vector<UploadedFile> files;
  UploadStats stats;
  uint64_t xorbs_uploaded = 0;
  uint64_t xorbs_already_present = 0;  // new to this session, found on the server
  uint64_t bytes_uploaded = 0;         // xorb bytes sent
  uint64_t dedup_queries = 0;
  uint64_t dedup_hits = 0;
  bool shard_registered_new = false;
  double seconds = 0;
};

// `paths` are files or directories (walked as castor hash does). Fails on the first unreadable
// file, naming it; xorbs already sent are harmless (unreferenced until a shard names them).
Result<UploadReport> UploadPaths(client::CasClient& cas, const std::vector<std::string>& paths,
                                 const UploadOptions& options);

}  // namespace castor
