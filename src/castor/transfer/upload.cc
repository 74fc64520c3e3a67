#include "castor/transfer/upload.h"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <thread>

#include "castor/format/shard/shard_reader.h"
#include "castor/hash/blake3.h"
#include "castor/transfer/file_scanner.h"
#include "castor/transfer/xorb_compress.h"

namespace castor {

namespace {

namespace fs = std::filesystem;

uint64_t NowUnix() {
  return uint64_t(std::chrono::duration_cast<std::chrono::seconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count());
}

// Per-endpoint folder of the shard cache: shards only mean something to the server they went to.
std::string CacheDir(const std::string& root, const std::string& endpoint) {
  if (root.empty()) return "";
  return root + "/" + Blake3(AsBytes(endpoint)).ToRawHex().substr(0, 16);
}

// Uploads xorbs on worker threads. Xorbs arrive packed raw from the scanning thread; a worker
// asks the server whether it has the xorb, compresses it in place (the codec's work is spread over
// the workers instead of serialising with chunking) and sends it. Push() hands a xorb over only
// when a worker is free, and a sent xorb's buffer goes back to the scanning thread for the next
// xorb (BufferForNextXorb), so about `parallelism` + 1 xorb buffers exist (the one being packed
// and one per worker), and they stay resident instead of being faulted in afresh for every xorb.
class XorbUploader {
 public:
  XorbUploader(client::CasClient& cas, int parallelism, CompressionPolicy compression)
      : cas_(cas), limit_(size_t(parallelism)), compression_(compression) {
    for (int i = 0; i < parallelism; ++i) threads_.emplace_back([this] { Run(); });
  }
  ~XorbUploader() { (void)Close(); }

  // Blocks until a worker is free. Returns the first upload error, if any happened.
  Status Push(SerializedXorb x) {
    std::unique_lock lock(mu_);
    space_.wait(lock, [&] { return busy_ + queue_.size() < limit_ || !error_.ok(); });
    if (!error_.ok()) return error_;
    queue_.push_back(std::move(x));
    ready_.notify_one();
    return Status::OK();
  }
  // A buffer for the xorb about to start: one a sent xorb left; nothing (allocate afresh) while
  // fewer xorbs than workers are in flight; otherwise waits until a worker finishes one (Push
  // would wait for that anyway).
  Bytes BufferForNextXorb() {
    std::unique_lock lock(mu_);
    space_.wait(lock,
                [&] { return !free_.empty() || busy_ + queue_.size() < limit_ || !error_.ok(); });
    if (free_.empty()) return Bytes();
    Bytes b = std::move(free_.back());
    free_.pop_back();
    return b;
  }
  // Waits for every queued xorb; returns the first error.
  Status Close() {
    {
      std::lock_guard lock(mu_);
      closed_ = true;
      ready_.notify_all();
    }
    for (auto& t : threads_) t.join();
    threads_.clear();
    std::lock_guard lock(mu_);
    return error_;
  }
  uint64_t uploaded = 0, present = 0, bytes = 0;
  std::vector<std::pair<Hash, uint32_t>> sizes;  // serialized size of every xorb compressed here

 private:
  void Run() {
    ChunkEncoder encoder(compression_);
    Bytes scratch;
    for (;;) {
      SerializedXorb x;
      {
        std::unique_lock lock(mu_);
        ready_.wait(lock, [&] { return !queue_.empty() || closed_; });
        if (queue_.empty()) return;
        x = std::move(queue_.front());
        queue_.pop_front();
        ++busy_;
        if (!error_.ok()) {
          --busy_;
          space_.notify_all();
          continue;
        }
      }
      Status s = Upload(x, encoder, scratch);
      std::lock_guard lock(mu_);
      --busy_;
      if (free_.size() < limit_ + 1) free_.push_back(std::move(x.bytes));
      if (!s.ok() && error_.ok()) error_ = s;
      space_.notify_all();
    }
  }

  Status Upload(SerializedXorb& x, ChunkEncoder& encoder, Bytes& scratch) {
    CASTOR_ASSIGN_OR_RETURN(bool has, cas_.HasXorb(x.hash));
    if (has) {
      std::lock_guard lock(mu_);
      present++;
      return Status::OK();
    }
    if (compression_ != CompressionPolicy::kNone) {
      CASTOR_RETURN_IF_ERROR(CompressXorbInPlace(x, encoder, scratch));
    }
    CASTOR_ASSIGN_OR_RETURN(bool inserted, cas_.UploadXorb(x.hash, x.bytes));
    std::lock_guard lock(mu_);
    (inserted ? uploaded : present)++;
    bytes += x.bytes.size();
    sizes.emplace_back(x.hash, uint32_t(x.bytes.size()));
    return Status::OK();
  }

  client::CasClient& cas_;
  const size_t limit_;
  const CompressionPolicy compression_;
  std::mutex mu_;
  std::condition_variable ready_, space_;
  std::deque<SerializedXorb> queue_;
  size_t busy_ = 0;  // xorbs taken by workers and not finished
  std::vector<Bytes> free_;
  bool closed_ = false;
  Status error_;
  std::vector<std::thread> threads_;
};

void LoadShardCache(const std::string& dir, UploadBuilder& builder) {
  std::error_code ec;
  if (dir.empty() || !fs::is_directory(dir, ec)) return;
  for (const auto& e : fs::directory_iterator(dir, ec)) {
    if (e.path().extension() != ".shard") continue;
    std::ifstream in(e.path(), std::ios::binary);
    Bytes bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto shard = ShardReader::Parse(bytes);
    if (shard.ok()) builder.AddKnownShard(shard->xorbs(), HashKey::Zero());
  }
}

Status SaveShard(const std::string& dir, ByteSpan shard) {
  if (dir.empty()) return Status::OK();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) return IOError("shard cache " + dir + ": " + ec.message());
  const std::string path = dir + "/" + Blake3(shard).ToRawHex() + ".shard";
  const std::string tmp = path + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(shard.data()), std::streamsize(shard.size()));
    if (!out) return IOError("write " + tmp);
  }
  fs::rename(tmp, path, ec);
  if (ec) return IOError("rename " + tmp + ": " + ec.message());
  return Status::OK();
}

}  // namespace

Result<UploadReport> UploadPaths(client::CasClient& cas, const std::vector<std::string>& paths,
                                 const UploadOptions& options) {
  const auto t0 = std::chrono::steady_clock::now();
  UploadReport report;
  XorbBuilderOptions raw = options.xorb;
  raw.compression = CompressionPolicy::kNone;
  UploadBuilder builder(raw);
  const std::string cache = CacheDir(options.shard_cache_dir, cas.endpoint());
  LoadShardCache(cache, builder);

  std::vector<std::string> files;
  for (const auto& p : paths) {
    for (auto& f : ListFilesToScan(p)) {
      if (!f.status.ok()) return f.status;
      files.push_back(f.path);
    }
  }

  ProgressCounters* progress = options.progress;
  if (progress) {
    uint64_t total = 0;
    for (const auto& f : files) {
      std::error_code ec;
      uint64_t n = f == "-" ? 0 : fs::file_size(f, ec);
      if (!ec) total += n;
    }
    progress->files_total += files.size();
    progress->bytes_total += total;
  }

  XorbUploader uploader(cas, std::max(1, options.parallelism), options.xorb.compression);
  const uint64_t now = NowUnix();
  auto maybe_query = [&](const Hash& h) -> Status {
    if (!options.global_dedup || builder.IsKnown(h)) return Status::OK();
    report.dedup_queries++;
    CASTOR_ASSIGN_OR_RETURN(std::optional<Bytes> answer, cas.QueryChunk(h));
    if (!answer) return Status::OK();
    auto shard = ShardReader::Parse(*answer);
    // A malformed or expired answer only costs dedup, never correctness.
    if (!shard.ok() || !shard->footer() || shard->footer()->key_expiry <= now) return Status::OK();
    builder.AddKnownShard(shard->xorbs(), shard->footer()->chunk_hash_key);
    if (builder.IsKnown(h)) report.dedup_hits++;
    return Status::OK();
  };

  ScanOptions scan;
  scan.keep_chunks = false;
  scan.threads = options.scan_threads;
  for (const std::string& path : files) {
    builder.BeginFile();
    bool first = true;
    auto scanned = ScanFile(path, scan, [&](ByteSpan data, const ScannedChunk& c) -> Status {
      if (first || IsGlobalDedupEligible(c.hash)) CASTOR_RETURN_IF_ERROR(maybe_query(c.hash));
      first = false;
      if (builder.WouldCut(c.length) && !builder.IsKnown(c.hash)) {
        if (Bytes spare = uploader.BufferForNextXorb(); spare.capacity() > 0) {
          builder.Recycle(std::move(spare));
        }
      }
      CASTOR_ASSIGN_OR_RETURN(std::optional<SerializedXorb> cut, builder.AddChunk(data, c.hash));
      if (cut) CASTOR_RETURN_IF_ERROR(uploader.Push(std::move(*cut)));
      if (progress) progress->bytes_done += c.length;
      return Status::OK();
    });
    if (!scanned.ok()) {
      (void)uploader.Close();
      return scanned.status();
    }
    CASTOR_RETURN_IF_ERROR(builder.EndFile(scanned->file_id, scanned->sha256));
    report.files.push_back({path, scanned->file_id, scanned->size, scanned->sha256});
    if (progress) progress->files_done++;
  }
  if (auto last = builder.Finish()) CASTOR_RETURN_IF_ERROR(uploader.Push(std::move(*last)));
  CASTOR_RETURN_IF_ERROR(uploader.Close());
  report.xorbs_uploaded = uploader.uploaded;
  report.xorbs_already_present = uploader.present;
  report.bytes_uploaded = uploader.bytes;
  for (const auto& [hash, size] : uploader.sizes) builder.SetSerializedSize(hash, size);

  CASTOR_ASSIGN_OR_RETURN(Bytes shard, builder.BuildShard());
  if (!builder.files().empty()) {
    CASTOR_ASSIGN_OR_RETURN(report.shard_registered_new, cas.UploadShard(shard));
    // The cache is an optimisation: failing to write it does not fail the push.
    (void)SaveShard(cache, shard);
  }
  report.stats = builder.stats();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return report;
}

}  // namespace castor
