// LocalStore: an ObjectStore over a local directory. Key "a/b/c" is the file <root>/a/b/c.
//
// Writes go to a temp file (".castor-tmp-*") in the object's own directory, are fsynced, then
// renamed (Put) or hard-linked (PutIfAbsent: link() fails with EEXIST, so the check and the write
// are one atomic step even between processes) into place, and the directory is fsynced. A crash at
// any point leaves the old state or the new object, plus at most temp files, which every operation
// ignores and List() removes once they are older than `stale_temp_age`.
//
// A key cannot be both an object and a "directory" of other keys ("a" and "a/b"): the second write
// fails with FailedPrecondition. Safe for concurrent use by threads and processes.
#pragma once

#include <chrono>
#include <memory>
#include <string>

#include "castor/storage/object_store.h"

namespace castor {

struct LocalStoreOptions {
  // fsync files and directories on every write. Off only for throwaway stores (tests, benches).
  bool sync = true;
  // Temp files older than this are left-overs of a crashed writer and get deleted by List().
  std::chrono::seconds stale_temp_age{3600};
};

// Opens (creating if needed) the directory `root`.
Result<std::unique_ptr<ObjectStore>> OpenLocalStore(const std::string& root,
                                                    const LocalStoreOptions& options = {});

// The prefix of the local store's temp files (a reserved key segment prefix, see ValidateKey).
inline constexpr std::string_view kLocalTempPrefix = ".castor-tmp-";

}  // namespace castor
