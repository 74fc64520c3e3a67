#include "castor/transfer/file_scanner.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <thread>

#include "castor/base/mapped_file.h"
#include "castor/chunking/chunker.h"
#include "castor/hash/blake3.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"

namespace castor {
namespace {

// How far ahead of the scan a mapped file is read into the page cache.
constexpr uint64_t kReadAhead = uint64_t{8} << 20;

// Hash jobs cover about this many bytes of chunks: one job per default-sized block (measured
// faster than splitting a 512 KiB block between two workers), several for larger blocks.
constexpr size_t kJobBytes = size_t{1} << 20;

// The Merkle aggregation of spec §2.3, fed one chunk at a time with memory that does not grow
// with the number of chunks. A group of a level is fixed as soon as 9 entries from its start are
// known (the cut rule looks at most 9 entries ahead and the end-of-list rules only apply to
// fewer), so fixed groups move up a level early; Finish() groups what remains exactly as
// AggregateHash would.
class MerkleStream {
 public:
  void Add(const HashAndSize& e) { AddAt(0, e); }

  // The file id (BLAKE3_keyed(zero key, root)), zeros without chunks.
  Hash FileId() {
    if (levels_.empty()) return Hash::Zero();
    for (size_t level = 0;; ++level) {
      bool higher = level + 1 < levels_.size();
      std::vector<HashAndSize> v = std::move(levels_[level]);
      levels_[level].clear();
      if (!higher) {
        if (v.empty()) return Hash::Zero();
        if (v.size() == 1) return Blake3Keyed(HashKey::Zero(), v[0].hash.span());
        levels_.emplace_back();
      }
      for (const HashAndSize& up : MerkleLevelUp(v)) levels_[level + 1].push_back(up);
    }
  }

 private:
  static constexpr size_t kFlushAt = 64;

  void AddAt(size_t level, const HashAndSize& e) {
    if (levels_.size() <= level) levels_.resize(level + 1);
    levels_[level].push_back(e);
    if (levels_[level].size() >= kFlushAt) MoveFixedGroupsUp(level);
  }

  void MoveFixedGroupsUp(size_t level) {
    std::vector<HashAndSize> v = std::move(levels_[level]);
    std::vector<HashAndSize> ups;
    size_t start = 0;
    while (v.size() - start >= 9) {
      size_t g = 9;
      for (size_t i = 2; i < 9; ++i) {
        if (v[start + i].hash.Lane(3) % 4 == 0) {
          g = i + 1;
          break;
        }
      }
      ups.push_back(MerkleLevelUp(std::span(v).subspan(start, g))[0]);
      start += g;
    }
    levels_[level].assign(v.begin() + start, v.end());
    for (const HashAndSize& up : ups) AddAt(level + 1, up);
  }

  std::vector<std::vector<HashAndSize>> levels_;
};

// One read block. data[0, carry) is the unfinished chunk carried over from the previous block
// (at most kMaxChunkSize - 1 bytes), data[carry, len) are newly read bytes. Read blocks own their
// bytes (the carry is copied over); blocks of a mapped file are windows of the mapping, where the
// carry is already in place.
struct Block {
  Bytes buf;                      // read mode: the block's bytes; unused when the file is mapped
  const uint8_t* data = nullptr;  // buf.data(), or where the block starts in the mapping
  size_t carry = 0;
  size_t len = 0;
  uint64_t offset = 0;         // file offset of buf[0]
  std::vector<uint32_t> ends;  // end (in buf) of each chunk completed in this block
  std::vector<Hash> hashes;    // hashes[i] of chunk i, filled by the hash jobs
  int jobs_left = 0;           // guarded by Scanner::mu_
  bool sha_pending = false;    // guarded by Scanner::mu_
};

struct HashJob {
  Block* block;
  size_t first, last;  // chunk indices [first, last)
};

using Reader = std::function<Result<size_t>(uint8_t*, size_t)>;

// Runs one scan. Threads (hash workers and one SHA-256 thread) start only once a second block
// is needed, so small files are scanned on the calling thread.
class Scanner {
 public:
  // `map`: the whole file, mapped (read through it, without copies), or nullptr (use read()).
  Scanner(const ScanOptions& opts, const ChunkCallback* on_chunk, MappedFile* map = nullptr)
      : opts_(opts), on_chunk_(on_chunk), map_(map) {
    threads_ =
        opts.threads > 0 ? opts.threads : std::max(1, int(std::thread::hardware_concurrency()));
    opts_.block = std::max<size_t>(opts_.block, 1);
    // Two blocks at least: the carried tail is copied into the next block before the current one
    // is submitted.
    max_blocks_ = threads_ > 1 ? 2 * size_t(threads_) + 4 : 2;
  }
  ~Scanner() { StopThreads(); }

  // `read` fills blocks in read mode; with a mapping it is never called (may be empty).
  Result<FileScan> Run(const Reader& read) {
    Status st = Loop(read);
    // Workers may still be using blocks: wait for them before anything is freed.
    Status drained = RetireAll(st.ok());
    if (st.ok()) st = drained;
    StopThreads();
    if (!st.ok()) return st;
    result_.file_id = merkle_.FileId();
    if (opts_.sha256) result_.sha256 = sha_.Finalize();
    return std::move(result_);
  }

 private:
  Status Loop(const Reader& read) {
    Block* cur = Acquire();
    if (!cur) return status_;
    cur->carry = 0;
    cur->offset = 0;
    std::vector<size_t> ends;
    for (bool eof = false; !eof;) {
      size_t got = 0;
      if (map_) {
        // Up to one block from the mapping; the carry is already in place before it.
        const uint64_t at = cur->offset + cur->carry;
        got = size_t(std::min<uint64_t>(opts_.block, map_->size() - at));
        // Keep the kernel reading kReadAhead ahead of the scan, one block's worth at a time.
        if (at == 0) map_->Prefetch(0, kReadAhead);
        map_->Prefetch(at + kReadAhead, at + kReadAhead + opts_.block);
        eof = at + got == map_->size();
        cur->data = map_->data() + cur->offset;
      } else {
        cur->data = cur->buf.data();
        while (got < opts_.block) {
          CASTOR_ASSIGN_OR_RETURN(size_t r,
                                  read(cur->buf.data() + cur->carry + got, opts_.block - got));
          if (r == 0) {
            eof = true;
            break;
          }
          got += r;
        }
      }
      cur->len = cur->carry + got;
      result_.size += got;
      ends.clear();
      chunker_.Scan(ByteSpan(cur->data + cur->carry, got), &ends);
      cur->ends.clear();
      for (size_t e : ends) cur->ends.push_back(uint32_t(cur->carry + e));
      size_t tail = cur->ends.empty() ? 0 : cur->ends.back();
      Block* next = nullptr;
      if (eof) {
        if (chunker_.pending() > 0) cur->ends.push_back(uint32_t(cur->len));
      } else {
        if (threads_ > 1 && !started_) StartThreads();
        next = Acquire();
        if (!next) {
          Release(cur);
          return status_;
        }
        next->carry = cur->len - tail;
        next->offset = cur->offset + tail;
        if (!map_) std::memcpy(next->buf.data(), cur->data + tail, next->carry);
      }
      Submit(cur);
      if (!status_.ok()) return status_;
      cur = next;
    }
    return Status::OK();
  }

  void StartThreads() {
    started_ = true;
    for (int i = 0; i < threads_; ++i) threads_list_.emplace_back([this] { HashWorker(); });
    if (opts_.sha256) threads_list_.emplace_back([this] { ShaWorker(); });
  }

  void StopThreads() {
    {
      std::lock_guard<std::mutex> l(mu_);
      stop_ = true;
    }
    work_cv_.notify_all();
    for (auto& t : threads_list_) t.join();
    threads_list_.clear();
  }

  static void HashChunks(Block* b, size_t first, size_t last) {
    for (size_t i = first; i < last; ++i) {
      size_t start = i == 0 ? 0 : b->ends[i - 1];
      b->hashes[i] = ChunkHash(ByteSpan(b->data + start, b->ends[i] - start));
    }
  }

  void HashWorker() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      work_cv_.wait(l, [&] { return stop_ || !jobs_.empty(); });
      if (jobs_.empty()) return;
      HashJob job = jobs_.front();
      jobs_.pop_front();
      l.unlock();
      HashChunks(job.block, job.first, job.last);
      l.lock();
      if (--job.block->jobs_left == 0) done_cv_.notify_all();
    }
  }

  void ShaWorker() {
    std::unique_lock<std::mutex> l(mu_);
    while (true) {
      work_cv_.wait(l, [&] { return stop_ || !sha_queue_.empty(); });
      if (sha_queue_.empty()) return;
      Block* b = sha_queue_.front();
      sha_queue_.pop_front();
      l.unlock();
      sha_.Update(ByteSpan(b->data + b->carry, b->len - b->carry));
      l.lock();
      b->sha_pending = false;
      done_cv_.notify_all();
    }
  }

  // Hands a chunked block to the workers (or processes it here when single-threaded).
  void Submit(Block* b) {
    b->hashes.resize(b->ends.size());
    if (!started_) {
      if (opts_.sha256) sha_.Update(ByteSpan(b->data + b->carry, b->len - b->carry));
      HashChunks(b, 0, b->ends.size());
      inflight_.push_back(b);
      Retire();
      return;
    }
    {
      std::lock_guard<std::mutex> l(mu_);
      b->sha_pending = opts_.sha256;
      if (opts_.sha256) sha_queue_.push_back(b);
      size_t first = 0, bytes = 0;
      b->jobs_left = 0;
      for (size_t i = 0; i < b->ends.size(); ++i) {
        size_t start = i == 0 ? 0 : b->ends[i - 1];
        bytes += b->ends[i] - start;
        if (bytes >= kJobBytes || i + 1 == b->ends.size()) {
          jobs_.push_back({b, first, i + 1});
          ++b->jobs_left;
          first = i + 1;
          bytes = 0;
        }
      }
      inflight_.push_back(b);
    }
    work_cv_.notify_all();
  }

  // A block for the next read: a free one, a new one while under the limit, or the oldest
  // in-flight one once its chunks are delivered. nullptr (and status_ set) on a callback error.
  Block* Acquire() {
    if (free_.empty() && owned_.size() < max_blocks_) {
      auto b = std::make_unique<Block>();
      if (!map_) b->buf.resize(opts_.block + kMaxChunkSize);
      free_.push_back(b.get());
      owned_.push_back(std::move(b));
    }
    while (free_.empty()) {
      Retire();
      if (!status_.ok()) return nullptr;
    }
    Block* b = free_.back();
    free_.pop_back();
    return b;
  }

  void Release(Block* b) { free_.push_back(b); }

  // Waits for the oldest in-flight block, then delivers its chunks in order.
  void Retire() {
    Block* b = inflight_.front();
    {
      std::unique_lock<std::mutex> l(mu_);
      done_cv_.wait(l, [&] { return b->jobs_left == 0 && !b->sha_pending; });
    }
    inflight_.pop_front();
    // Every byte of this block has been chunked and hashed by now: if the file shrank under the
    // mapping, some of them were zeros, and nothing of it may be delivered. (Every block is
    // retired, the last one included, so this is the only check a scan needs.)
    if (map_ && map_->shrank() && status_.ok()) status_ = Shrank();
    for (size_t i = 0; i < b->ends.size() && status_.ok(); ++i) {
      size_t start = i == 0 ? 0 : b->ends[i - 1];
      ScannedChunk c{b->offset + start, uint32_t(b->ends[i] - start), b->hashes[i]};
      merkle_.Add({c.hash, c.length});
      if (on_chunk_ && *on_chunk_) {
        status_ = (*on_chunk_)(ByteSpan(b->data + start, c.length), c);
      }
      if (opts_.keep_chunks) result_.chunks.push_back(c);
    }
    // Pages before the next block are done with: unmapped, the resident set stays small.
    if (map_) map_->ReleaseBefore(b->offset + (b->ends.empty() ? 0 : b->ends.back()));
    Release(b);
  }

  // The kernel raises SIGBUS for a mapped page past the end of the file, and also for one it
  // failed to read from the disk; either way what was read is not the file.
  Status Shrank() const {
    return IOError(
        "the file shrank while it was being read (truncated by another process?), or part of it "
        "could not be read from the disk");
  }

  Status RetireAll(bool deliver) {
    if (!deliver && status_.ok()) status_ = Cancelled("scan aborted");
    while (!inflight_.empty()) Retire();
    return status_;
  }

  ScanOptions opts_;
  const ChunkCallback* on_chunk_;
  MappedFile* map_;
  int threads_ = 1;
  size_t max_blocks_ = 1;
  bool started_ = false;

  Chunker chunker_;
  MerkleStream merkle_;
  Sha256 sha_;
  FileScan result_;
  Status status_;  // first callback error

  std::vector<std::unique_ptr<Block>> owned_;
  std::vector<Block*> free_;
  std::deque<Block*> inflight_;  // submitted, in file order

  std::mutex mu_;
  std::condition_variable work_cv_, done_cv_;
  std::deque<HashJob> jobs_;
  std::deque<Block*> sha_queue_;
  bool stop_ = false;
  std::vector<std::thread> threads_list_;
};

}  // namespace

Result<FileScan> ScanFd(int fd, const std::string& name, const ScanOptions& opts,
                        const ChunkCallback& on_chunk) {
  Reader read = [fd, &name](uint8_t* p, size_t n) -> Result<size_t> {
    while (true) {
      ssize_t r = ::read(fd, p, n);
      if (r >= 0) return size_t(r);
      if (errno == EINTR) continue;
      if (errno == EISDIR) return InvalidArgument(name + ": is a directory");
      return ErrnoError(name + ": read", errno);
    }
  };
  Scanner scanner(opts, &on_chunk);
  return scanner.Run(read);
}

Result<FileScan> ScanFile(const std::string& path, const ScanOptions& opts,
                          const ChunkCallback& on_chunk) {
  if (path == "-") return ScanFd(STDIN_FILENO, "-", opts, on_chunk);
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoError(path, errno);
  struct stat st;
  if (::fstat(fd, &st) != 0) {
    int e = errno;
    ::close(fd);
    return ErrnoError(path, e);
  }
  if (S_ISDIR(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(path + ": is a directory");
  }
  ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  // A regular file is read through a mapping: chunking and hashing read the page cache directly
  // instead of a copy of it (the copy was a fifth of `castor chunk` on one core). Where mapping
  // fails, read() does the same job.
  if (S_ISREG(st.st_mode) && st.st_size > 0) {
    auto map = MappedFile::Map(fd, uint64_t(st.st_size));
    if (map.ok()) {
      ::close(fd);
      Scanner scanner(opts, &on_chunk, map->get());
      Result<FileScan> r = scanner.Run(nullptr);  // nothing to read(): the mapping has it all
      if (!r.ok() && (*map)->shrank()) return r.status().WithContext(path);
      return r;
    }
  }
  Result<FileScan> r = ScanFd(fd, path, opts, on_chunk);
  ::close(fd);
  return r;
}

Result<FileScan> ScanFile(const std::string& path, const ScanOptions& opts) {
  return ScanFile(path, opts, nullptr);
}

Result<FileScan> ScanBuffer(ByteSpan data, const ScanOptions& opts, const ChunkCallback& on_chunk) {
  size_t pos = 0;
  Reader read = [&](uint8_t* p, size_t n) -> Result<size_t> {
    size_t k = std::min(n, data.size() - pos);
    if (k) std::memcpy(p, data.data() + pos, k);
    pos += k;
    return k;
  };
  Scanner scanner(opts, &on_chunk);
  return scanner.Run(read);
}

namespace {

void Walk(const std::string& dir, std::vector<FileToScan>* out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  std::vector<std::string> names;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    names.push_back(it->path().filename().string());
  }
  if (ec) {
    out->push_back({dir, ErrnoError(dir, ec.value())});
    return;
  }
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    std::string path = dir.ends_with('/') ? dir + name : dir + "/" + name;
    struct stat lst, st;
    if (::lstat(path.c_str(), &lst) != 0) {
      out->push_back({path, ErrnoError(path, errno)});
      continue;
    }
    if (S_ISLNK(lst.st_mode)) {
      if (::stat(path.c_str(), &st) != 0) {
        out->push_back({path, ErrnoError(path, errno)});
        continue;
      }
      if (S_ISREG(st.st_mode)) out->push_back({path, Status::OK()});
      continue;  // links to directories and special files are not followed
    }
    if (S_ISDIR(lst.st_mode)) {
      Walk(path, out);
    } else if (S_ISREG(lst.st_mode)) {
      out->push_back({path, Status::OK()});
    }
  }
}

}  // namespace

std::vector<FileToScan> ListFilesToScan(const std::string& path) {
  std::vector<FileToScan> out;
  struct stat st;
  if (path != "-" && ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    Walk(path, &out);
  } else {
    // Opening reports a missing or unreadable file; any non-directory named explicitly is read
    // (a FIFO or /dev/stdin included).
    out.push_back({path, Status::OK()});
  }
  return out;
}

}  // namespace castor
