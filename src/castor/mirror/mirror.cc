#include "castor/mirror/mirror.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <mutex>
#include <nlohmann/json.hpp>
#include <thread>

#include "castor/base/time_format.h"
#include "castor/mirror/content_check.h"

namespace castor::mirror {

std::string_view FileResultName(FileResult r) {
  switch (r) {
    case FileResult::kCopied:
      return "copied";
    case FileResult::kSkipped:
      return "present";
    case FileResult::kFailed:
      return "failed";
    case FileResult::kWouldCopy:
      return "would-copy";
    case FileResult::kWouldSkip:
      return "present";
  }
  return "failed";
}

std::string DataKey(Layout layout, const std::string& repo_path, const std::string& commit,
                    const std::string& file_path) {
  if (layout == Layout::kSnapshots) return repo_path + "/snapshots/" + commit + "/" + file_path;
  return repo_path + "/" + file_path;
}
std::string StateKey(const std::string& data_key) { return ".castor/state/" + data_key + ".json"; }
std::string ManifestKey(const std::string& repo_path, const std::string& commit) {
  return ".castor/manifests/" + repo_path + "/" + commit + ".json";
}
std::string RefKey(const std::string& repo_path, const std::string& revision) {
  return repo_path + "/refs/" + revision;
}

bool MirrorReport::ok() const {
  for (const auto& r : repos) {
    if (!r.error.empty()) return false;
    for (const auto& f : r.files) {
      if (f.result == FileResult::kFailed) return false;
    }
  }
  return true;
}

void MirrorReport::Tally() {
  files_copied = files_skipped = files_failed = 0;
  bytes_transferred = bytes_present = bytes_reused = 0;
  stale_uploads_aborted = 0;
  for (const auto& r : repos) {
    stale_uploads_aborted += r.stale_uploads_aborted;
    for (const auto& f : r.files) {
      bytes_reused += f.bytes_reused;
      switch (f.result) {
        case FileResult::kCopied:
          files_copied++;
          bytes_transferred += f.bytes_transferred;
          break;
        case FileResult::kWouldCopy:
          files_copied++;
          bytes_transferred += f.size - std::min(f.size, f.bytes_reused);
          break;
        case FileResult::kSkipped:
        case FileResult::kWouldSkip:
          files_skipped++;
          bytes_present += f.size;
          break;
        case FileResult::kFailed:
          files_failed++;
          bytes_transferred += f.bytes_transferred;
          break;
      }
    }
  }
}

std::string MirrorReport::ToJson() const {
  nlohmann::json j;
  j["dry_run"] = dry_run;
  j["ok"] = ok();
  j["seconds"] = seconds;
  j["files_copied"] = files_copied;
  j["files_present"] = files_skipped;
  j["files_failed"] = files_failed;
  j["bytes_transferred"] = bytes_transferred;
  j["bytes_present"] = bytes_present;
  j["stale_uploads_aborted"] = stale_uploads_aborted;
  j["bytes_reused"] = bytes_reused;
  j["repos"] = nlohmann::json::array();
  for (const auto& r : repos) {
    nlohmann::json jr{{"repo", r.repo},
                      {"revision", r.revision},
                      {"commit", r.commit},
                      {"published", r.published},
                      {"stale_uploads_aborted", r.stale_uploads_aborted}};
    if (!r.error.empty()) jr["error"] = r.error;
    jr["files"] = nlohmann::json::array();
    for (const auto& f : r.files) {
      nlohmann::json jf{{"path", f.path},       {"key", f.key},
                        {"size", f.size},       {"bytes", f.bytes_transferred},
                        {"seconds", f.seconds}, {"result", FileResultName(f.result)}};
      if (f.bytes_reused) jf["bytes_reused"] = f.bytes_reused;
      if (!f.via.empty()) jf["via"] = f.via;
      if (!f.sha256.empty()) jf["sha256"] = f.sha256;
      if (!f.xet_hash.empty()) jf["xet_hash"] = f.xet_hash;
      if (!f.error.empty()) jf["error"] = f.error;
      jr["files"].push_back(std::move(jf));
    }
    j["repos"].push_back(std::move(jr));
  }
  return j.dump(2) + "\n";
}

namespace {

struct StateRecord {
  uint64_t size = 0;
  std::string sha256, git_oid, etag, commit;
};

std::string StateJson(const StateRecord& s) {
  return nlohmann::json{{"size", s.size},
                        {"sha256", s.sha256},
                        {"git_oid", s.git_oid},
                        {"etag", s.etag},
                        {"commit", s.commit}}
      .dump();
}

// Whether `key` already holds exactly `file`: its state record matches the Hub's size and hash,
// and the object still has the size and ETag recorded when castor committed it (so nothing
// replaced it since). Fills *sha256 from the record.
bool Present(ObjectStore& dest, const std::string& key, const hub::RepoFile& file,
             std::string* sha256) {
  auto raw = dest.Get(StateKey(key));
  if (!raw.ok()) return false;
  StateRecord s;
  try {
    auto j = nlohmann::json::parse(AsString(*raw));
    s.size = j.at("size").get<uint64_t>();
    s.sha256 = j.at("sha256").get<std::string>();
    s.git_oid = j.value("git_oid", "");
    s.etag = j.at("etag").get<std::string>();
  } catch (const std::exception&) {
    return false;  // unreadable record: copy again
  }
  if (s.size != file.size) return false;
  if (file.is_lfs() ? s.sha256 != file.sha256 : s.git_oid != file.git_oid) return false;
  auto info = dest.Head(key);
  if (!info.ok() || info->size != file.size || info->etag != s.etag) return false;
  *sha256 = s.sha256;
  return true;
}

struct RepoJob {
  const MirrorConfig& config;
  hub::HubClient& hub;
  ObjectStore& dest;
  ProgressCounters* progress;
  const LogFn& log;
  hub::RepoRef repo;
  std::string commit;
};

FileOutcome CopyOne(RepoJob& job, const hub::RepoFile& file, FileOutcome out) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  WriterOptions wo;
  wo.part_size = job.config.part_size;
  wo.parallelism = job.config.part_parallelism;
  wo.expected_size = file.size;
  auto writer = job.dest.NewWriter(out.key, wo);
  if (!writer.ok()) {
    out.error = writer.status().ToString();
    return out;
  }
  ContentCheck check(file);
  uint64_t written = 0;
  auto stats = job.hub.Download(job.repo, job.commit, file, [&](ByteSpan data) -> Status {
    check.Update(data);
    CASTOR_RETURN_IF_ERROR((*writer)->Write(data));
    written += data.size();
    if (job.progress) job.progress->bytes_done += data.size();
    return Status::OK();
  });
  out.bytes_transferred = written;
  if (!stats.ok()) {
    (*writer)->Abort();
    out.error = stats.status().ToString();
    out.seconds = elapsed();
    return out;
  }
  out.via = std::string(hub::DownloadPathName(stats->path));
  if (stats->xet_fell_back) out.via = "xet->redirect";
  Status verified = check.Finish();
  out.sha256 = check.sha256_hex();
  if (!verified.ok()) {
    // Nothing becomes visible: the upload is aborted, the previous object (if any) stays.
    (*writer)->Abort();
    out.error = verified.WithContext(file.path).ToString() + "; nothing was written";
    out.seconds = elapsed();
    return out;
  }
  auto info = (*writer)->Commit();
  if (!info.ok()) {
    out.error = info.status().ToString();
    out.seconds = elapsed();
    return out;
  }
  StateRecord s{file.size, out.sha256, file.git_oid, info->etag, job.commit};
  Status st = job.dest.Put(StateKey(out.key), AsBytes(StateJson(s)));
  if (!st.ok()) {
    // The file is in place and verified; only the shortcut for the next run is missing.
    job.log("warning: " + out.key + ": could not record state: " + st.ToString());
  }
  out.result = FileResult::kCopied;
  out.seconds = elapsed();
  return out;
}

std::string ManifestJson(const RepoOutcome& r, const std::vector<hub::RepoFile>& files) {
  nlohmann::json j{{"repo", r.repo}, {"revision", r.revision}, {"commit", r.commit}};
  j["files"] = nlohmann::json::array();
  for (size_t i = 0; i < files.size(); ++i) {
    nlohmann::json f{{"path", files[i].path},
                     {"size", files[i].size},
                     {"sha256", r.files[i].sha256},
                     {"git_oid", files[i].git_oid},
                     {"key", r.files[i].key}};
    if (!files[i].xet_hash.empty()) f["xet_hash"] = files[i].xet_hash;
    j["files"].push_back(std::move(f));
  }
  return j.dump(2) + "\n";
}

}  // namespace

std::optional<std::vector<hub::RepoFile>> ResolveAndSelect(const MirrorConfig& config,
                                                           const RepoSpec& spec,
                                                           hub::HubClient& hub, const LogFn& log,
                                                           RepoOutcome* r) {
  r->repo = spec.repo.path();
  r->revision = spec.repo.revision_or_main();
  auto commit = hub.ResolveCommit(spec.repo, r->revision);
  if (!commit.ok()) {
    r->error = commit.status().ToString();
    return std::nullopt;
  }
  r->commit = *commit;
  auto listed = hub.ListFiles(spec.repo, r->commit);
  if (!listed.ok()) {
    r->error = listed.status().ToString();
    return std::nullopt;
  }
  const auto& inc = spec.include.empty() ? config.include : spec.include;
  const auto& exc = spec.exclude.empty() ? config.exclude : spec.exclude;
  std::vector<hub::RepoFile> files;
  for (auto& f : *listed) {
    if (Selected(f.path, inc, exc)) files.push_back(std::move(f));
  }
  log(r->repo + "@" + r->revision + " -> commit " + r->commit + ": " +
      std::to_string(files.size()) + " files selected of " + std::to_string(listed->size()));
  return files;
}

namespace {

std::string Iso8601(std::chrono::system_clock::time_point t) {
  if (t == std::chrono::system_clock::time_point::max()) return "an unknown time";
  return FormatUtc(t);
}

// Aborts the incomplete writes under the repository's keys that a killed earlier run left
// behind, and returns how many (in a dry run: lists them). Only writes that started before
// this run did (`run_start`, compared in whole seconds because some servers round Initiated
// down to the second) are stale for certain; a newer one belongs to a concurrent run and is
// left alone. This run's own uploads for the repository have not started yet. Failures only
// warn: a destination without the list permission still mirrors.
uint64_t AbortStaleWrites(const MirrorConfig& config, ObjectStore& dest, const std::string& repo,
                          std::chrono::system_clock::time_point run_start, const LogFn& log) {
  auto writes = ListAllIncompleteWrites(dest, repo + "/");
  if (!writes.ok()) {
    log("warning: " + repo + ": cannot list incomplete uploads: " + writes.status().ToString());
    return 0;
  }
  using std::chrono::floor;
  using std::chrono::seconds;
  uint64_t aborted = 0;
  for (const IncompleteWrite& w : *writes) {
    std::string what = w.key + " (upload " + w.id + ", started " + Iso8601(w.initiated) + ")";
    if (w.initiated == std::chrono::system_clock::time_point::max() ||
        floor<seconds>(w.initiated) >= floor<seconds>(run_start)) {
      log("left in place an incomplete upload started after this run (another run?): " + what);
      continue;
    }
    if (config.dry_run) {
      log("would abort an incomplete upload left by an earlier run: " + what);
      aborted++;
      continue;
    }
    Status st = dest.AbortIncompleteWrite(w.key, w.id);
    if (st.ok()) {
      log("aborted an incomplete upload left by an earlier run: " + what);
      aborted++;
    } else if (st.code() == StatusCode::kNotFound) {
      log("incomplete upload already gone: " + what);  // finished or aborted meanwhile
    } else {
      log("warning: could not abort an incomplete upload " + what + ": " + st.ToString());
    }
  }
  return aborted;
}

RepoOutcome MirrorRepo(const MirrorConfig& config, const RepoSpec& spec, hub::HubClient& hub,
                       ObjectStore& dest, ProgressCounters* progress, const LogFn& log,
                       std::chrono::system_clock::time_point run_start) {
  RepoOutcome r;
  auto selected = ResolveAndSelect(config, spec, hub, log, &r);
  if (!selected) return r;
  r.stale_uploads_aborted = AbortStaleWrites(config, dest, r.repo, run_start, log);
  std::vector<hub::RepoFile> files = std::move(*selected);

  // Plan: which files are already in place.
  r.files.resize(files.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < files.size(); ++i) {
    FileOutcome& o = r.files[i];
    o.path = files[i].path;
    o.size = files[i].size;
    o.xet_hash = files[i].xet_hash;
    o.key = DataKey(config.layout, r.repo, r.commit, files[i].path);
    if (Status k = ValidateKey(o.key); !k.ok()) {
      o.error = "file path cannot be a destination key: " + k.ToString();
      continue;
    }
    if (Present(dest, o.key, files[i], &o.sha256)) {
      o.result = config.dry_run ? FileResult::kWouldSkip : FileResult::kSkipped;
    } else if (config.dry_run) {
      o.result = FileResult::kWouldCopy;
    } else {
      todo.push_back(i);
      if (progress) {
        progress->bytes_total += files[i].size;
        progress->files_total++;
      }
    }
  }
  if (config.dry_run) return r;

  RepoJob job{config, hub, dest, progress, log, spec.repo, r.commit};
  RunFileJobs(config, todo, &r, progress, log,
              [&](size_t i) { return CopyOne(job, files[i], r.files[i]); });

  for (const auto& f : r.files) {
    if (f.result == FileResult::kFailed) return r;  // publish nothing for an incomplete commit
  }
  // Manifest, then the ref: the ref is the publication point for readers of snapshots.
  if (Status s = dest.Put(ManifestKey(r.repo, r.commit), AsBytes(ManifestJson(r, files)));
      !s.ok()) {
    r.error = "manifest: " + s.ToString();
    return r;
  }
  if (config.layout == Layout::kSnapshots) {
    std::string ref_key = RefKey(r.repo, r.revision);
    if (Status k = ValidateKey(ref_key); !k.ok()) {
      r.error = "revision cannot be a ref key: " + k.ToString();
      return r;
    }
    if (Status s = dest.Put(ref_key, AsBytes(r.commit)); !s.ok()) {
      r.error = "ref: " + s.ToString();
      return r;
    }
  }
  r.published = true;
  return r;
}

}  // namespace

Result<MirrorReport> RunMirror(const MirrorConfig& config, hub::HubClient& hub, ObjectStore& dest,
                               ProgressCounters* progress, const LogFn& log) {
  const auto run_start = std::chrono::system_clock::now();
  return RunEachRepo(config, log, [&](const RepoSpec& spec) {
    return MirrorRepo(config, spec, hub, dest, progress, log, run_start);
  });
}

void RunFileJobs(const MirrorConfig& config, const std::vector<size_t>& todo, RepoOutcome* r,
                 ProgressCounters* progress, const LogFn& log,
                 const std::function<FileOutcome(size_t i)>& one) {
  std::atomic<size_t> next{0};
  auto worker = [&] {
    for (size_t n; (n = next.fetch_add(1)) < todo.size();) {
      const size_t i = todo[n];
      FileOutcome done = one(i);
      if (progress) progress->files_done++;
      if (done.result == FileResult::kFailed)
        log("FAILED " + r->repo + "/" + done.path + ": " + done.error);
      r->files[i] = std::move(done);
    }
  };
  std::vector<std::thread> threads;
  const int n = std::min<int>(config.jobs, static_cast<int>(todo.size()));
  for (int t = 0; t < n; ++t) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
}

Result<MirrorReport> RunEachRepo(const MirrorConfig& config, const LogFn& log,
                                 const std::function<RepoOutcome(const RepoSpec&)>& one) {
  CASTOR_RETURN_IF_ERROR(Validate(config));
  const auto start = std::chrono::steady_clock::now();
  MirrorReport report;
  report.dry_run = config.dry_run;
  for (const auto& spec : config.repos) {
    RepoOutcome r = one(spec);
    if (!r.error.empty()) log("FAILED " + r.repo + "@" + r.revision + ": " + r.error);
    report.repos.push_back(std::move(r));
  }
  report.Tally();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return report;
}

}  // namespace castor::mirror
