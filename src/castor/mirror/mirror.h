// RunMirror: copies Hub repositories at pinned commits into an ObjectStore (a directory or S3),
// verified, resumable and idempotent.
//
// Per repository: resolve the revision to a commit, list the tree, select files by glob, then copy
// files `jobs` at a time. Each file streams from the Hub into an ObjectWriter (S3: multipart
// parts, never local disk) while ContentCheck hashes it; only if the hash matches the Hub's is the
// writer committed (S3: CompleteMultipartUpload, else AbortMultipartUpload), so a bad file is
// never visible. Before copying, the incomplete writes under the repository's keys (S3 multipart
// uploads, local temp files) that a killed earlier run left behind are aborted: those that started
// before this run did, so a concurrent run's uploads in progress are left alone. After each commit
// a small state record (`.castor/state/{key}.json`: size, sha256, git oid, the object's ETag) lets
// a later run skip the file after checking the object's size and ETag against it, without reading
// it back. When every file is in place the manifest
// (`.castor/manifests/{repo}/{commit}.json`) is written, and with the snapshots layout
// `{repo}/refs/{revision}` last of all, so readers following refs never see a half-copied commit.
//
// Memory: at most config.MemoryBound() bytes of transfer buffers (plus the HTTP receive buffers).
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "castor/base/progress.h"
#include "castor/base/status.h"
#include "castor/hub/hub_client.h"
#include "castor/mirror/mirror_config.h"
#include "castor/storage/object_store.h"

namespace castor::mirror {

enum class FileResult { kCopied, kSkipped, kFailed, kWouldCopy, kWouldSkip };
std::string_view FileResultName(FileResult r);

struct FileOutcome {
  std::string path;  // in the repository
  std::string key;   // in the destination
  uint64_t size = 0;
  uint64_t bytes_transferred = 0;
  uint64_t bytes_reused = 0;  // castor:// only: bytes read from the store instead of the Hub
  double seconds = 0;
  FileResult result = FileResult::kFailed;
  std::string via;  // direct, redirect, xet (and "xet->redirect" after a fallback)
  std::string sha256;
  std::string xet_hash;
  std::string error;
};

struct RepoOutcome {
  std::string repo;  // e.g. "datasets/org/name"
  std::string revision;
  std::string commit;
  std::vector<FileOutcome> files;
  std::string error;       // repo-level failure (resolve, list), or "" when files were attempted
  bool published = false;  // manifest (and refs) written
  // Incomplete writes under the repository's keys left by an earlier run and aborted (in a dry
  // run: that would be).
  uint64_t stale_uploads_aborted = 0;
};

struct MirrorReport {
  std::vector<RepoOutcome> repos;
  bool dry_run = false;
  uint64_t files_copied = 0, files_skipped = 0, files_failed = 0;
  uint64_t bytes_transferred = 0;  // copied now (or, in a dry run, that would be)
  uint64_t bytes_present = 0;      // already in the destination
  uint64_t stale_uploads_aborted = 0;
  uint64_t bytes_reused = 0;  // castor://: file bytes taken from the store, not the Hub
  double seconds = 0;
  bool ok() const;
  // Recomputes the totals from the outcomes in `repos`.
  void Tally();
  std::string ToJson() const;
};

// Called from worker threads, possibly concurrently: must be thread-safe.
using LogFn = std::function<void(const std::string& line)>;

// Never fails as a whole for one bad file or repo: outcomes say what happened. The Result is an
// error only when the run could not start (e.g. the destination is unusable).
// The first step of mirroring one repository, whatever the destination: resolve the revision to
// its commit (filling r->repo, r->revision, r->commit), list the tree, keep the files the
// include/exclude globs select, and log how many. On failure sets r->error and returns nullopt.
std::optional<std::vector<hub::RepoFile>> ResolveAndSelect(const MirrorConfig& config,
                                                           const RepoSpec& spec,
                                                           hub::HubClient& hub, const LogFn& log,
                                                           RepoOutcome* r);

// Runs `one(i)` for every file index in `todo`, config.jobs files at a time, and stores each
// outcome in r->files[i], counting finished files in `progress` and logging failures: the
// per-file loop both destinations share.
void RunFileJobs(const MirrorConfig& config, const std::vector<size_t>& todo, RepoOutcome* r,
                 ProgressCounters* progress, const LogFn& log,
                 const std::function<FileOutcome(size_t i)>& one);

// Validates the config, runs `one` for every repository in order (logging failures), and
// totals the report: the loop both destinations share.
Result<MirrorReport> RunEachRepo(const MirrorConfig& config, const LogFn& log,
                                 const std::function<RepoOutcome(const RepoSpec&)>& one);

Result<MirrorReport> RunMirror(const MirrorConfig& config, hub::HubClient& hub, ObjectStore& dest,
                               ProgressCounters* progress, const LogFn& log);

// Destination keys.
std::string DataKey(Layout layout, const std::string& repo_path, const std::string& commit,
                    const std::string& file_path);
std::string StateKey(const std::string& data_key);
std::string ManifestKey(const std::string& repo_path, const std::string& commit);
std::string RefKey(const std::string& repo_path, const std::string& revision);

}  // namespace castor::mirror
