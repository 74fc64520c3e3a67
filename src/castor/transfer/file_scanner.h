// File scanning: reads a file once with bounded memory and produces its Xet chunks (offset,
// length, chunk hash), its file id and its SHA-256, using all cores: reading, SHA-256 and
// chunk hashing run as a pipeline over blocks that are chunked while still in cache.
//
// A regular file is read through a memory mapping (castor/base/mapped_file.h): the blocks are
// windows of it, the kernel reads 8 MiB ahead of the scan (MADV_WILLNEED), and pages behind the
// scan are unmapped again, so the resident set stays a few blocks whatever the file size. A file
// that shrinks while it is scanned (or a page of it that the disk fails to deliver) is reported
// as an error (IOError, naming the path), not a crash. Other files (stdin, pipes, devices) and
// ScanFd use read().
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/hash/hash.h"

namespace castor {

struct ScannedChunk {
  uint64_t offset = 0;  // in the file
  uint32_t length = 0;
  Hash hash;  // chunk hash (BLAKE3 keyed with DATA_KEY)
  bool operator==(const ScannedChunk&) const = default;
};

struct FileScan {
  uint64_t size = 0;
  Hash file_id;  // the Xet file hash; zeros for an empty file
  Hash sha256;   // ordinary byte order (plain hex = the usual sha256 string); zeros if not asked
  std::vector<ScannedChunk> chunks;  // in file order; empty unless ScanOptions::keep_chunks
};

struct ScanOptions {
  // Compute the SHA-256 of the content (on its own thread when threads > 1).
  bool sha256 = true;
  // Keep every chunk in FileScan::chunks. Off, memory stays bounded whatever the file size
  // (the file id is aggregated as chunk hashes arrive).
  bool keep_chunks = true;
  // Threads for hashing; 0 = one per hardware thread. 1 scans on the calling thread only.
  int threads = 0;
  // Bytes read per block: small enough that a block read() copies out of the page cache stays in
  // the core's 1 MiB L2 while it is chunked and hashed, large enough to keep per-block costs
  // low. 512 KiB measured best of 192 KiB..2 MiB (`castor chunk` on one core 6% faster than
  // with 1 MiB blocks, 13% with two). Memory use is about (2 * threads + 4) blocks.
  size_t block = size_t{512} << 10;
};

// Called for every chunk in file order with the chunk's bytes, which stay valid only during the
// call. A non-OK status aborts the scan and is returned. Called on the scanning thread.
using ChunkCallback = std::function<Status(ByteSpan, const ScannedChunk&)>;

// Reads a file ("-" = stdin) with bounded memory, chunks it, hashes the chunks, and computes the
// file id and SHA-256. Errors name the path: NotFound, PermissionDenied, InvalidArgument for a
// directory, IOError for a failed read or a file that shrank while it was read.
// A regular file is scanned as it was when the scan began (bytes appended meanwhile are not
// read). Safe to call concurrently on different files.
Result<FileScan> ScanFile(const std::string& path, const ScanOptions& opts);
Result<FileScan> ScanFile(const std::string& path, const ScanOptions& opts,
                          const ChunkCallback& on_chunk);

// The same over an open file descriptor (read sequentially from its current position, not
// closed); `name` is used in error messages.
Result<FileScan> ScanFd(int fd, const std::string& name, const ScanOptions& opts,
                        const ChunkCallback& on_chunk);

// The same over bytes in memory (no I/O); equals ScanFile on a file holding `data`.
Result<FileScan> ScanBuffer(ByteSpan data, const ScanOptions& opts,
                            const ChunkCallback& on_chunk = nullptr);

// One file a scan of a path covers, or the error met while looking for files there.
struct FileToScan {
  std::string path;
  Status status;  // non-OK: `path` could not be listed or does not exist
};

// The files a scan of `path` covers, in a deterministic order: `path` itself unless it is a
// directory ("-" stands for stdin); for a directory, every regular file below it, depth first,
// entries of each directory sorted by name (byte order). Inside a directory, a symbolic link to
// a regular file is listed under the link's path, a symbolic link to a directory is not entered
// (so a walk never loops), and other special files (FIFOs, sockets, devices) are skipped. A
// broken link or an unreadable directory appears as an entry with an error status.
std::vector<FileToScan> ListFilesToScan(const std::string& path);

}  // namespace castor
