#include "castor/mirror/castor_destination.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <nlohmann/json.hpp>
#include <thread>

#include "castor/format/shard/shard_reader.h"
#include "castor/hash/xet_hash.h"
#include "castor/mirror/content_check.h"
#include "castor/mirror/upstream_chunks.h"

namespace castor::mirror {

namespace {
constexpr std::string_view kScheme = "castor://";

uint64_t NowUnix() {
  return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}
}  // namespace

bool IsCastorDestination(std::string_view destination) {
  return destination.substr(0, kScheme.size()) == kScheme;
}

Result<std::string> CastorStoreUri(std::string_view destination) {
  if (!IsCastorDestination(destination)) {
    return InvalidArgument("not a castor:// destination: " + std::string(destination));
  }
  std::string rest(destination.substr(kScheme.size()));
  if (rest.empty()) {
    return InvalidArgument(
        "castor:// needs a store after it: castor:///path/to/store or castor://s3://bucket/prefix");
  }
  return rest;
}

std::string CasManifestKey(const std::string& repo_path, const std::string& commit) {
  return "mirrors/" + repo_path + "/" + commit + ".json";
}
std::string CasRefKey(const std::string& repo_path, const std::string& revision) {
  return "mirrors/" + repo_path + "/refs/" + revision;
}
std::string CasStateKey(const std::string& repo_path, const std::string& commit,
                        const std::string& file_path) {
  return "mirrors/.state/" + repo_path + "/" + commit + "/" + file_path + ".json";
}

void KnownXorbs::Add(std::vector<ShardXorb> xorbs, const HashKey& key) {
  std::lock_guard lock(mu_);
  shards_.emplace_back(std::move(xorbs), key);
}

void KnownXorbs::Teach(UploadBuilder& builder) const {
  std::lock_guard lock(mu_);
  for (const auto& [xorbs, key] : shards_) builder.AddKnownShard(xorbs, key);
}

bool KnownXorbs::MarkQueried(const Hash& chunk) {
  std::lock_guard lock(mu_);
  return queried_.insert(chunk).second;
}

CasFileWriter::CasFileWriter(cas::CasService& cas, KnownXorbs& known, uint64_t now_unix,
                             XorbBuilderOptions xorb_options)
    : cas_(cas), known_(known), now_(now_unix), builder_(xorb_options) {
  known_.Teach(builder_);
  builder_.BeginFile();
}

Status CasFileWriter::Write(ByteSpan data) {
  if (committed_) return FailedPrecondition("CasFileWriter: Write after Commit");
  ends_.clear();
  chunker_.Scan(data, &ends_);
  size_t start = 0;
  for (size_t end : ends_) {
    ByteSpan piece = data.subspan(start, end - start);
    if (carry_.empty()) {
      CASTOR_RETURN_IF_ERROR(AddChunk(piece));
    } else {
      carry_.insert(carry_.end(), piece.begin(), piece.end());
      CASTOR_RETURN_IF_ERROR(AddChunk(carry_));
      carry_.clear();
    }
    start = end;
  }
  carry_.insert(carry_.end(), data.begin() + start, data.end());
  return Status::OK();
}

Status CasFileWriter::MaybeQuery(const Hash& chunk) {
  // Asked even when another file of the run asked already (it may still be waiting for the
  // answer); the answer is shared with later files only once.
  if (builder_.IsKnown(chunk)) return Status::OK();
  auto answer = cas_.GlobalDedupShard(chunk, now_);
  if (!answer.ok()) {
    if (answer.status().code() == StatusCode::kNotFound) return Status::OK();
    return answer.status().WithContext("global dedup query");
  }
  auto shard = ShardReader::Parse(*answer);
  // A malformed or expired answer only costs dedup, never correctness.
  if (!shard.ok() || !shard->footer() || shard->footer()->key_expiry <= now_) return Status::OK();
  builder_.AddKnownShard(shard->xorbs(), shard->footer()->chunk_hash_key);
  if (known_.MarkQueried(chunk)) known_.Add(shard->xorbs(), shard->footer()->chunk_hash_key);
  return Status::OK();
}

Status CasFileWriter::Store(SerializedXorb x) {
  CASTOR_ASSIGN_OR_RETURN(bool stored, cas_.PutXorb(x.hash, x.bytes));
  if (stored) result_.xorb_bytes_new += x.bytes.size();
  return Status::OK();
}

Status CasFileWriter::AddChunk(ByteSpan chunk) {
  const Hash h = ChunkHash(chunk);
  // As a push does: the first chunk (a file equal to a stored one starts like it) and the
  // chunks the server indexes.
  if (chunks_.empty() || IsGlobalDedupEligible(h)) CASTOR_RETURN_IF_ERROR(MaybeQuery(h));
  chunks_.push_back({h, chunk.size()});
  CASTOR_ASSIGN_OR_RETURN(std::optional<SerializedXorb> cut, builder_.AddChunk(chunk, h));
  if (cut) CASTOR_RETURN_IF_ERROR(Store(std::move(*cut)));
  return Status::OK();
}

Result<CasFileResult> CasFileWriter::Commit(const Hash& sha256) {
  if (committed_) return FailedPrecondition("CasFileWriter: Commit called twice");
  committed_ = true;
  if (!carry_.empty()) {
    Bytes last = std::move(carry_);
    carry_.clear();
    CASTOR_RETURN_IF_ERROR(AddChunk(last));
  }
  result_.file_id = FileHash(chunks_);
  CASTOR_RETURN_IF_ERROR(builder_.EndFile(result_.file_id, sha256));
  if (auto last = builder_.Finish()) CASTOR_RETURN_IF_ERROR(Store(std::move(*last)));
  result_.chunks = builder_.stats().chunks;
  result_.chunks_deduped =
      builder_.stats().chunks_deduped_known + builder_.stats().chunks_deduped_session;
  if (builder_.files().empty()) return result_;  // an empty file: id 0, nothing to register
  CASTOR_ASSIGN_OR_RETURN(Bytes shard, builder_.BuildShard());
  CASTOR_RETURN_IF_ERROR(cas_.PutShard(shard, now_).status());
  // Later files of the run dedup against this one without asking the store.
  if (auto parsed = ShardReader::Parse(shard); parsed.ok()) {
    known_.Add(parsed->xorbs(), HashKey::Zero());
  }
  return result_;
}

std::optional<Bytes> StoreTermSource::Find(const Hash& xorb, protocol::ChunkRange chunks,
                                           uint32_t length) {
  return upstream_.Read(xorb, chunks, length);
}

void StoreTermSource::Fetched(const Hash& xorb, uint32_t first_chunk,
                              std::vector<uint32_t> chunk_sizes, uint64_t file_offset) {
  std::lock_guard lock(mu_);
  fetched_.push_back({xorb, first_chunk, std::move(chunk_sizes), file_offset});
}

Status StoreTermSource::Commit(const Hash& file, const std::vector<HashAndSize>& stored) {
  std::vector<uint64_t> starts(stored.size());
  for (size_t i = 0, pos = 0; i < stored.size(); pos += stored[i].size, ++i) starts[i] = pos;
  std::lock_guard lock(mu_);
  std::vector<UpstreamChunks::Term> terms;
  for (const FetchedTerm& f : fetched_) {
    auto at = std::lower_bound(starts.begin(), starts.end(), f.file_offset);
    if (at == starts.end() || *at != f.file_offset) continue;  // starts inside a castor chunk
    UpstreamChunks::Term t{f.xorb, f.first_chunk, {}, f.file_offset};
    for (size_t k = size_t(at - starts.begin()); uint32_t size : f.chunk_sizes) {
      if (k >= stored.size() || stored[k].size != size) break;
      t.chunks.push_back(stored[k++]);
    }
    if (!t.chunks.empty()) terms.push_back(std::move(t));
  }
  return upstream_.Record(file, terms);
}

namespace {

struct Job {
  const MirrorConfig& config;
  hub::HubClient& hub;
  cas::CasService& cas;
  UpstreamChunks& upstream;
  ProgressCounters* progress;
  const LogFn& log;
  hub::RepoRef repo;
  std::string repo_path, commit;
  KnownXorbs known;
  std::atomic<uint64_t> xorb_bytes_new{0};
};

std::string Hex(const Hash& h) { return h.ToXetHex(); }

// The file id recorded for `file` at this commit, if the record matches the Hub and the CAS
// still knows the file.
std::optional<std::string> Recorded(Job& job, const hub::RepoFile& file, std::string* sha256) {
  auto raw = job.cas.store()->Get(CasStateKey(job.repo_path, job.commit, file.path));
  if (!raw.ok()) return std::nullopt;
  std::string file_id;
  try {
    auto j = nlohmann::json::parse(AsString(*raw));
    if (j.at("size").get<uint64_t>() != file.size) return std::nullopt;
    *sha256 = j.at("sha256").get<std::string>();
    if (file.is_lfs() ? *sha256 != file.sha256 : j.value("git_oid", "") != file.git_oid) {
      return std::nullopt;
    }
    file_id = j.at("file_id").get<std::string>();
  } catch (const std::exception&) {
    return std::nullopt;  // unreadable record: store the file again (dedup makes that cheap)
  }
  auto id = Hash::FromXetHex(file_id);
  if (!id) return std::nullopt;
  if (!id->IsZero() && !job.cas.GetFile(*id).ok()) return std::nullopt;
  return file_id;
}

FileOutcome StoreOne(Job& job, const hub::RepoFile& file, FileOutcome out) {
  const auto start = std::chrono::steady_clock::now();
  auto elapsed = [&] {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  };
  CasFileWriter writer(job.cas, job.known, NowUnix());
  ContentCheck check(file);
  StoreTermSource source(job.upstream);
  uint64_t got = 0;
  auto stats = job.hub.Download(
      job.repo, job.commit, file,
      [&](ByteSpan data) -> Status {
        check.Update(data);
        CASTOR_RETURN_IF_ERROR(writer.Write(data));
        got += data.size();
        if (job.progress) job.progress->bytes_done += data.size();
        return Status::OK();
      },
      &source);
  out.bytes_transferred = got;
  out.seconds = elapsed();
  if (!stats.ok()) {
    out.error = stats.status().ToString();
    return out;
  }
  out.bytes_reused = std::min(got, stats->xet_bytes_local);
  out.bytes_transferred = got - out.bytes_reused;
  out.via = std::string(hub::DownloadPathName(stats->path));
  if (stats->xet_fell_back) out.via = "xet->redirect";
  Status verified = check.Finish();
  out.sha256 = check.sha256_hex();
  if (!verified.ok()) {
    out.error = verified.WithContext(file.path).ToString() + "; nothing was registered";
    return out;
  }
  auto sha = Hash::FromRawHex(out.sha256);
  if (!sha) {
    out.error = "internal: unreadable sha256 " + out.sha256;
    return out;
  }
  auto committed = writer.Commit(*sha);
  out.seconds = elapsed();
  if (!committed.ok()) {
    out.error = committed.status().ToString();
    return out;
  }
  job.xorb_bytes_new += committed->xorb_bytes_new;
  const std::string id = Hex(committed->file_id);
  if (Status s = source.Commit(committed->file_id, writer.chunks()); !s.ok()) {
    job.log("warning: " + file.path + ": could not record its upstream chunks: " + s.ToString());
  }
  out.key = "xet:" + id;
  nlohmann::json state{{"size", file.size},
                       {"sha256", out.sha256},
                       {"git_oid", file.git_oid},
                       {"file_id", id},
                       {"commit", job.commit}};
  if (Status s = job.cas.store()->Put(CasStateKey(job.repo_path, job.commit, file.path),
                                      AsBytes(state.dump()));
      !s.ok()) {
    job.log("warning: " + file.path + ": could not record state: " + s.ToString());
  }
  job.log(job.repo_path + "/" + file.path + ": file id " + id + ", " +
          std::to_string(committed->chunks_deduped) + " of " + std::to_string(committed->chunks) +
          " chunks already stored, " + std::to_string(committed->xorb_bytes_new) +
          " new xorb bytes" +
          (out.bytes_reused ? ", " + std::to_string(out.bytes_reused) +
                                  " bytes read from the store instead of the Hub"
                            : ""));
  out.result = FileResult::kCopied;
  return out;
}

// For a dry run: the bytes of a Xet-backed file that a download would read from the store
// rather than the Hub (its reconstruction's terms whose upstream chunks are recorded).
uint64_t ReusableBytes(Job& job, const hub::RepoFile& file) {
  auto rec = job.hub.XetReconstruction(job.repo, job.commit, file);
  if (!rec.ok()) {
    job.log("note: " + file.path + ": no reconstruction to estimate reuse (" +
            rec.status().ToString() + "); counting every byte");
    return 0;
  }
  uint64_t reused = 0;
  for (const protocol::Term& t : rec->terms) {
    if (job.upstream.Lookup(t.hash, t.range)) reused += t.unpacked_length;
  }
  return std::min<uint64_t>(reused, file.size);
}

std::string ManifestJson(const RepoOutcome& r, const std::vector<hub::RepoFile>& files) {
  nlohmann::json j{{"repo", r.repo}, {"revision", r.revision}, {"commit", r.commit}};
  j["files"] = nlohmann::json::array();
  for (size_t i = 0; i < files.size(); ++i) {
    const std::string& key = r.files[i].key;
    nlohmann::json f{{"path", files[i].path},
                     {"size", files[i].size},
                     {"sha256", r.files[i].sha256},
                     {"file_id", key.substr(key.rfind(':') + 1)}};
    if (!files[i].xet_hash.empty()) f["xet_hash"] = files[i].xet_hash;
    j["files"].push_back(std::move(f));
  }
  return j.dump(2) + "\n";
}

RepoOutcome MirrorRepo(const MirrorConfig& config, const RepoSpec& spec, hub::HubClient& hub,
                       cas::CasService& cas, UpstreamChunks& upstream, ProgressCounters* progress,
                       const LogFn& log) {
  RepoOutcome r;
  auto selected = ResolveAndSelect(config, spec, hub, log, &r);
  if (!selected) return r;
  std::vector<hub::RepoFile> files = std::move(*selected);
  for (const std::string& key : {CasManifestKey(r.repo, r.commit), CasRefKey(r.repo, r.revision)}) {
    if (Status k = ValidateKey(key); !k.ok()) {
      r.error = "repository or revision cannot be a store key: " + k.ToString();
      return r;
    }
  }

  Job job{config, hub, cas, upstream, progress, log, spec.repo, r.repo, r.commit, {}, {0}};
  r.files.resize(files.size());
  std::vector<size_t> todo;
  for (size_t i = 0; i < files.size(); ++i) {
    FileOutcome& o = r.files[i];
    o.path = files[i].path;
    o.size = files[i].size;
    o.xet_hash = files[i].xet_hash;
    o.key = files[i].path;
    if (Status k = ValidateKey(CasStateKey(r.repo, r.commit, o.path)); !k.ok()) {
      o.error = "file path cannot be a store key: " + k.ToString();
      continue;
    }
    if (auto id = Recorded(job, files[i], &o.sha256)) {
      o.key = "xet:" + *id;
      o.result = config.dry_run ? FileResult::kWouldSkip : FileResult::kSkipped;
    } else if (config.dry_run) {
      o.result = FileResult::kWouldCopy;
      if (!files[i].xet_hash.empty()) o.bytes_reused = ReusableBytes(job, files[i]);
    } else {
      todo.push_back(i);
      if (progress) {
        progress->bytes_total += files[i].size;
        progress->files_total++;
      }
    }
  }
  if (config.dry_run) return r;

  RunFileJobs(config, todo, &r, progress, log,
              [&](size_t i) { return StoreOne(job, files[i], r.files[i]); });
  if (!todo.empty()) {
    log(r.repo + ": " + std::to_string(job.xorb_bytes_new.load()) + " new xorb bytes stored for " +
        std::to_string(todo.size()) + " files");
  }

  for (const auto& f : r.files) {
    if (f.result == FileResult::kFailed) return r;  // publish nothing for an incomplete commit
  }
  // The file list, then the ref: the ref is the publication point.
  if (Status s =
          cas.store()->Put(CasManifestKey(r.repo, r.commit), AsBytes(ManifestJson(r, files)));
      !s.ok()) {
    r.error = "manifest: " + s.ToString();
    return r;
  }
  if (Status s = cas.store()->Put(CasRefKey(r.repo, r.revision), AsBytes(r.commit)); !s.ok()) {
    r.error = "ref: " + s.ToString();
    return r;
  }
  r.published = true;
  return r;
}

}  // namespace

Result<MirrorReport> RunCasMirror(const MirrorConfig& config, hub::HubClient& hub,
                                  cas::CasService& cas, ProgressCounters* progress,
                                  const LogFn& log) {
  UpstreamChunks upstream(cas);  // shared by every repository of the run
  return RunEachRepo(config, log, [&](const RepoSpec& spec) {
    return MirrorRepo(config, spec, hub, cas, upstream, progress, log);
  });
}

}  // namespace castor::mirror
