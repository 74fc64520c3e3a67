// ObjectStore: the one interface through which castor reads and writes objects (xorbs, shards,
// reconstructions, manifests), with the memory, local-directory and S3 implementations behind it,
// and OpenStore(), which picks an implementation from a URI.
//
// Semantics every implementation honours (checked by the conformance suite, object_store_test.cc):
//  - Keys are validated by ValidateKey() before anything else happens; a bad key is
//  InvalidArgument.
//  - Writes are atomic: a reader sees the old object, the new one, or NotFound; never a prefix.
//  - Objects are immutable byte strings; keys sort and list in plain byte order.
//  - Every error message names the operation and the key ("s3 get models/x: NoSuchKey: ...").
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor {

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  // Opaque and unquoted; changes whenever the bytes do. S3: the server's ETag (the hex MD5 for
  // single-part objects, "<md5>-<parts>" for multipart ones). Local directory: derived from the
  // file's size, inode and mtime. Memory: a hash of the bytes.
  std::string etag;
};

struct ListPage {
  std::vector<ObjectInfo> objects;  // in byte order of key
  // Non-empty when more keys may follow: pass it as `start_after` to get the next page.
  std::string next_start_after;
};

// What a backend can do natively. Callers branch on these rather than on the backend type.
struct StoreCapabilities {
  // PutIfAbsent is atomic against concurrent writers (O_EXCL/link locally, If-None-Match: * on S3).
  // When false, PutIfAbsent is emulated by check-then-put: safe for content-addressed keys (two
  // writers of one key write the same bytes) but not as a lock.
  bool atomic_conditional_put = false;
  bool presigned_urls = false;  // PresignGet works
  bool multipart = false;       // NewWriter uploads in parallel parts (S3 multipart upload)
  bool durable = false;         // survives a process restart (false for mem://)
};

struct WriterOptions {
  // Bytes per part for multipart uploads (S3: 5 MiB..5 GiB; raised automatically when an object
  // would need more than 10,000 parts and `expected_size` says so). Ignored by local stores.
  uint64_t part_size = 16ull << 20;
  // Parts uploaded concurrently. Memory held by a writer is at most part_size * (parallelism + 1).
  int parallelism = 4;
  // If known, the final size; lets S3 pick a part size that fits 10,000 parts. 0 = unknown.
  uint64_t expected_size = 0;
  // Commit() must not replace an existing object; it reports kAlreadyExisted in the Result of
  // CommitIfAbsent(). (Local stores do it atomically; S3 as PutIfAbsent does.)
  bool if_absent = false;
};

enum class PutOutcome { kCreated, kAlreadyExisted };

// A write that was started and neither committed nor aborted: what a process killed in the middle
// of ObjectWriter leaves behind (or a write still in progress elsewhere). S3: an in-flight
// multipart upload, invisible but billed for its parts. Local directory: a hidden temp file.
struct IncompleteWrite {
  // S3: the key the upload would create. Local directory: the folder holding the temp file ("" for
  // the root), since temp files are named per writer, not per key.
  std::string key;
  // What AbortIncompleteWrite needs besides the key. S3: the upload id. Local: the temp file name.
  std::string id;
  // When the write started, by the clock of the store: S3's Initiated (whole seconds on some
  // servers; moto reports a fixed date in 2010); the local temp file's mtime, i.e. its last write,
  // which is never earlier than its start. time_point::max() when the server does not say, so a
  // caller asking "started before T?" leaves it alone.
  std::chrono::system_clock::time_point initiated;
};

struct IncompleteWritePage {
  std::vector<IncompleteWrite> writes;  // by key, then initiation (S3's order)
  // Non-empty when more may follow: pass them as `after_key` / `after_id` to get the next page.
  std::string next_key, next_id;
};

// Streams one object into the store. Not safe for concurrent use (one writer, one thread), but
// several writers may run at once. Nothing is visible under the key until Commit() succeeds.
// Destroying an uncommitted writer aborts it.
class ObjectWriter {
 public:
  virtual ~ObjectWriter() = default;
  // Appends bytes. May block while earlier parts upload (bounded memory). After an error the
  // writer is dead: every further call returns that error and the upload has been aborted.
  virtual Status Write(ByteSpan data) = 0;
  // Makes the object visible and returns its info. With options.if_absent and an existing object,
  // returns the existing object's info and sets *outcome to kAlreadyExisted (if outcome given).
  virtual Result<ObjectInfo> Commit(PutOutcome* outcome = nullptr) = 0;
  // Discards everything written; leaves no partial object or orphaned upload. Idempotent.
  virtual void Abort() = 0;
};

// Receives a streamed object body in order. Return a non-OK Status to stop the transfer.
using ByteSink = std::function<Status(ByteSpan)>;

// All methods are safe for concurrent use from any number of threads.
class ObjectStore {
 public:
  virtual ~ObjectStore() = default;

  // The URI this store was opened from, without secrets (for logs and error messages).
  virtual std::string uri() const = 0;
  virtual StoreCapabilities capabilities() const = 0;

  // Stores the whole object atomically, replacing any existing one.
  virtual Status Put(std::string_view key, ByteSpan data) = 0;
  // Stores the object unless the key exists; never overwrites. An existing key is not an error.
  virtual Result<PutOutcome> PutIfAbsent(std::string_view key, ByteSpan data) = 0;

  // The whole object. NotFound if absent. Prefer ReadRange for objects that may be large.
  virtual Result<Bytes> Get(std::string_view key) = 0;
  // Bytes [offset, min(offset + length, size)). offset == size gives an empty result;
  // offset > size is OutOfRange. NotFound if absent.
  virtual Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) = 0;
  // Streams bytes [offset, min(offset + length, size)) to `sink` in order, in pieces of any size,
  // without holding the range in memory. Same errors as GetRange. length = UINT64_MAX means "to the
  // end". On error, `sink` may have received a prefix of the range.
  virtual Status ReadRange(std::string_view key, uint64_t offset, uint64_t length,
                           const ByteSink& sink) = 0;
  // Reads bytes [offset, min(offset + out.size(), size)) into `out` and returns how many (0 only
  // when offset is at the end or `out` is empty). Same errors as GetRange. The default streams
  // ReadRange into `out`; a store that can read in place (the local directory: one pread
  // straight into `out`) overrides it.
  virtual Result<size_t> ReadInto(std::string_view key, uint64_t offset, MutableByteSpan out);

  // Size and ETag. NotFound if absent.
  virtual Result<ObjectInfo> Head(std::string_view key) = 0;
  // Keys that start with `prefix` and sort strictly after `start_after` (if non-empty), at most
  // `max` of them (max >= 1; backends may return fewer, e.g. S3 caps pages at 1000).
  virtual Result<ListPage> List(std::string_view prefix, std::string_view start_after,
                                size_t max) = 0;
  // Removes the object. Deleting an absent key succeeds (as on S3).
  virtual Status Delete(std::string_view key) = 0;

  // A streaming writer for objects of any size (see ObjectWriter).
  virtual Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key,
                                                          const WriterOptions& options) = 0;

  // Incomplete writes (see IncompleteWrite) whose key starts with `prefix` (local directory: whose
  // folder may hold such keys), after the (after_key, after_id) cursor from the previous page
  // (both empty for the first), at most `max` (>= 1) per page; backends may return fewer. The
  // memory store never has any: its writers vanish with the process.
  virtual Result<IncompleteWritePage> ListIncompleteWrites(std::string_view prefix,
                                                           std::string_view after_key,
                                                           std::string_view after_id,
                                                           size_t max) = 0;
  // Discards an incomplete write (S3: AbortMultipartUpload, which frees its parts). NotFound when
  // it no longer exists (already aborted or completed; S3's NoSuchUpload). Aborting a write that
  // is still in progress elsewhere makes that writer fail.
  virtual Status AbortIncompleteWrite(std::string_view key, std::string_view id) = 0;

  // A URL anyone can GET for `ttl` to read the object (S3 SigV4 query signing, max 7 days).
  // Unimplemented where capabilities().presigned_urls is false. Does not check that the key exists.
  virtual Result<std::string> PresignGet(std::string_view key, std::chrono::seconds ttl) = 0;
};

// Every incomplete write under `prefix`, following the pages (at most `page_size` per request).
// An error if a page fails or the store's cursor does not advance.
Result<std::vector<IncompleteWrite>> ListAllIncompleteWrites(ObjectStore& store,
                                                             std::string_view prefix,
                                                             size_t page_size = 1000);

// Checks a key: 1..1024 bytes; no NUL or other control byte; not absolute ("/x"); no empty, "."
// or ".." segment ("a//b", "./a", "a/.."); no trailing "/"; no backslash; no segment starting
// with ".castor-" (reserved for the local store's temp files). InvalidArgument saying why.
Status ValidateKey(std::string_view key);

// Opens a store from a URI:
//   mem://[name]                       a fresh, empty store in process memory (tests)
//   file:///var/lib/castor, /abs/path, ./rel/path   a local directory (created if missing)
//   s3://bucket[/prefix]?region=us-east-1&endpoint=http://127.0.0.1:5000&path_style=1
//      further query options: profile=NAME, unsigned_payload=0|1,
//      conditional_put=auto|native|emulate, part_size=BYTES, parallelism=N, max_retries=N,
//      timeout_s=N, stall_timeout_s=N. Credentials come from the usual AWS chain (see
//      s3/credentials.h).
Result<std::unique_ptr<ObjectStore>> OpenStore(std::string_view uri);

}  // namespace castor
