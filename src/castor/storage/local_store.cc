#include "castor/storage/local_store.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <random>
#include <tuple>
#include <vector>

namespace castor {
namespace {

constexpr size_t kReadChunk = 1 << 20;

// Closes a file descriptor on scope exit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::string Hex64(uint64_t v) {
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(v));
  return buf;
}

std::string EtagOf(const struct stat& st) {
  uint64_t mtime = uint64_t(st.st_mtim.tv_sec) * 1000000000ull + uint64_t(st.st_mtim.tv_nsec);
  return Hex64(uint64_t(st.st_size)) + Hex64(uint64_t(st.st_ino)) + Hex64(mtime);
}

std::string TempName() {
  static std::atomic<uint64_t> counter{0};
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::string(kLocalTempPrefix) + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1)) + "-" + Hex64(rng());
}

Status WriteAll(int fd, ByteSpan data, const std::string& what) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(what, errno);
    }
    data = data.subspan(size_t(n));
  }
  return Status::OK();
}

Status FsyncDir(const std::string& dir) {
  Fd d(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (d.fd < 0) return ErrnoError("open directory " + dir, errno);
  if (::fsync(d.fd) != 0) return ErrnoError("fsync directory " + dir, errno);
  return Status::OK();
}

// Appends to a new file. An object expected to reach kDirectMinBytes is written with O_DIRECT
// through a 4096-aligned staging buffer: its bytes go from that buffer to the disk instead of
// being copied into the page cache first. Copying into the page cache is the most expensive
// part of storing a xorb where fresh page-cache pages are costly (a VM touching guest memory
// for the first time: 1 GiB of buffered writes took 1.0 s of CPU here, direct writes 0.1 s),
// and a store that receives terabytes gains nothing from caching what it writes. Small objects,
// the last partial block, and file systems that refuse O_DIRECT (tmpfs) use plain writes.
class FileAppender {
 public:
  static constexpr size_t kDirectMinBytes = size_t{1} << 20;
  static constexpr size_t kStage = size_t{1} << 20;
  static constexpr size_t kAlign = 4096;

  FileAppender(int fd, uint64_t expected_size) : fd_(fd) {
    if (expected_size < kDirectMinBytes) return;
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags < 0 || ::fcntl(fd_, F_SETFL, flags | O_DIRECT) != 0) return;
    buf_ = AllocateAligned(kAlign, kStage);
    if (buf_) {
      direct_ = true;
    } else {
      ::fcntl(fd_, F_SETFL, flags);
    }
  }

  Status Append(ByteSpan data, const std::string& what) {
    if (!direct_) return WriteAll(fd_, data, what);
    while (!data.empty()) {
      size_t n = std::min(kStage - staged_, data.size());
      std::memcpy(buf_.get() + staged_, data.data(), n);
      staged_ += n;
      data = data.subspan(n);
      if (staged_ == kStage) CASTOR_RETURN_IF_ERROR(WriteStaged(kStage, what));
    }
    return Status::OK();
  }

  // Writes what is still staged; the file then holds every appended byte.
  Status Finish(const std::string& what) {
    if (!direct_) return Status::OK();
    size_t aligned = staged_ / kAlign * kAlign;
    if (aligned > 0) CASTOR_RETURN_IF_ERROR(WriteStaged(aligned, what));
    if (staged_ == 0) return Status::OK();
    StopDirect();  // the tail is not a whole block
    Status st = WriteAll(fd_, ByteSpan(buf_.get(), staged_), what);
    staged_ = 0;
    return st;
  }

 private:
  // Writes buf_[0, n) (n a multiple of kAlign) and moves the rest of the staged bytes to the
  // front. A file system that turns out to refuse direct writes gets plain ones.
  Status WriteStaged(size_t n, const std::string& what) {
    size_t done = 0;
    while (done < n && direct_) {
      ssize_t w = ::write(fd_, buf_.get() + done, n - done);
      if (w < 0) {
        if (errno == EINTR) continue;
        if (errno != EINVAL) return ErrnoError(what, errno);
        StopDirect();
        break;
      }
      done += size_t(w);
      if (done % kAlign != 0) StopDirect();  // a short write left the offset unaligned
    }
    if (done < n)
      CASTOR_RETURN_IF_ERROR(WriteAll(fd_, ByteSpan(buf_.get() + done, n - done), what));
    std::memmove(buf_.get(), buf_.get() + n, staged_ - n);
    staged_ -= n;
    return Status::OK();
  }

  void StopDirect() {
    int flags = ::fcntl(fd_, F_GETFL);
    if (flags >= 0) ::fcntl(fd_, F_SETFL, flags & ~O_DIRECT);
    direct_ = false;
  }

  int fd_;
  bool direct_ = false;
  AlignedBuffer buf_;
  size_t staged_ = 0;
};

class LocalStore;

// A temp file in the object's directory; becomes the object on Commit.
class LocalWriter final : public ObjectWriter {
 public:
  LocalWriter(LocalStore* store, std::string key, bool if_absent)
      : store_(store), key_(std::move(key)), if_absent_(if_absent) {}
  ~LocalWriter() override { Abort(); }
  // Creates the temp file; `expected_size` picks the way it is written (see FileAppender).
  Status Open(uint64_t expected_size);
  Status Write(ByteSpan data) override {
    if (!error_.ok()) return error_;
    if (fd_ < 0)
      return FailedPrecondition("write " + key_ + ": writer already committed or aborted");
    Status st = appender_->Append(data, "write " + key_ + ": temp file " + tmp_);
    if (!st.ok()) Fail(st);
    return st;
  }
  Result<ObjectInfo> Commit(PutOutcome* outcome) override;
  void Abort() override {
    appender_.reset();
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      ::unlink(tmp_.c_str());
    }
  }

 private:
  void Fail(const Status& st) {
    error_ = st;
    Abort();
  }
  LocalStore* store_;
  std::string key_;
  bool if_absent_;
  std::string dir_, tmp_;
  int fd_ = -1;
  std::unique_ptr<FileAppender> appender_;
  Status error_;
};

class LocalStore final : public ObjectStore {
 public:
  LocalStore(std::string root, LocalStoreOptions options)
      : root_(std::move(root)), options_(options) {}

  std::string uri() const override { return "file://" + root_; }
  StoreCapabilities capabilities() const override {
    return {.atomic_conditional_put = true,
            .presigned_urls = false,
            .multipart = false,
            .durable = true};
  }
  const LocalStoreOptions& options() const { return options_; }

  std::string PathOf(std::string_view key) const { return root_ + "/" + std::string(key); }
  std::string DirOf(std::string_view key) const {
    auto slash = key.rfind('/');
    return slash == std::string_view::npos ? root_
                                           : root_ + "/" + std::string(key.substr(0, slash));
  }

  // Creates the directories leading to `key`. A file in the way is FailedPrecondition.
  Status MakeParents(std::string_view op, std::string_view key) {
    size_t pos = 0;
    while ((pos = key.find('/', pos)) != std::string_view::npos) {
      std::string dir = root_ + "/" + std::string(key.substr(0, pos));
      if (::mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
        return ErrnoError(std::string(op) + " " + std::string(key) + ": mkdir " + dir, errno);
      if (errno == EEXIST) {
        struct stat st;
        if (::stat(dir.c_str(), &st) == 0 && !S_ISDIR(st.st_mode))
          return FailedPrecondition(std::string(op) + " " + std::string(key) + ": '" +
                                    std::string(key.substr(0, pos)) +
                                    "' is an object, not a prefix");
      }
      ++pos;
    }
    return Status::OK();
  }

  // Writes `data` to a fresh temp file beside the object and fsyncs it. Returns its path.
  Result<std::string> WriteTemp(std::string_view op, std::string_view key, ByteSpan data) {
    std::string tmp;
    int fd = -1;
    // A concurrent Delete may remove an emptied parent directory between mkdir and open.
    for (int attempt = 0; attempt < 5 && fd < 0; ++attempt) {
      CASTOR_RETURN_IF_ERROR(MakeParents(op, key));
      tmp = DirOf(key) + "/" + TempName();
      fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
      if (fd < 0 && errno != ENOENT) break;
    }
    if (fd < 0)
      return ErrnoError(std::string(op) + " " + std::string(key) + ": create " + tmp, errno);
    Fd f(fd);
    const std::string what = std::string(op) + " " + std::string(key) + ": write " + tmp;
    Status st;
    {
      FileAppender out(fd, data.size());
      st = out.Append(data, what);
      if (st.ok()) st = out.Finish(what);
    }
    if (st.ok() && options_.sync && ::fsync(fd) != 0)
      st = ErrnoError(std::string(op) + " " + std::string(key) + ": fsync " + tmp, errno);
    if (!st.ok()) {
      ::unlink(tmp.c_str());
      return st;
    }
    return tmp;
  }

  // Moves the fsynced temp file into place. if_absent: link() + unlink (never replaces).
  Result<PutOutcome> Publish(std::string_view op, std::string_view key, const std::string& tmp,
                             bool if_absent) {
    std::string path = PathOf(key);
    PutOutcome outcome = PutOutcome::kCreated;
    if (if_absent) {
      if (::link(tmp.c_str(), path.c_str()) != 0) {
        int err = errno;
        ::unlink(tmp.c_str());
        if (err != EEXIST)
          return ErrnoError(std::string(op) + " " + std::string(key) + ": link", err);
        struct stat st;
        if (::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode))
          return FailedPrecondition(std::string(op) + " " + std::string(key) +
                                    ": is a prefix of other objects");
        return PutOutcome::kAlreadyExisted;
      }
      ::unlink(tmp.c_str());
    } else if (::rename(tmp.c_str(), path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp.c_str());
      if (err == EISDIR)
        return FailedPrecondition(std::string(op) + " " + std::string(key) +
                                  ": is a prefix of other objects");
      return ErrnoError(std::string(op) + " " + std::string(key) + ": rename", err);
    }
    if (options_.sync) CASTOR_RETURN_IF_ERROR(FsyncDir(DirOf(key)));
    return outcome;
  }

  Status Put(std::string_view key, ByteSpan data) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("put"));
    CASTOR_ASSIGN_OR_RETURN(std::string tmp, WriteTemp("put", key, data));
    return Publish("put", key, tmp, false).status();
  }

  Result<PutOutcome> PutIfAbsent(std::string_view key, ByteSpan data) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("put-if-absent"));
    // Cheap early answer for the common content-addressed case; link() below stays the arbiter.
    struct stat st;
    if (::stat(PathOf(key).c_str(), &st) == 0 && S_ISREG(st.st_mode))
      return PutOutcome::kAlreadyExisted;
    CASTOR_ASSIGN_OR_RETURN(std::string tmp, WriteTemp("put-if-absent", key, data));
    return Publish("put-if-absent", key, tmp, true);
  }

  // Opens the object for reading; NotFound if absent (or a prefix directory).
  Result<int> OpenRead(std::string_view op, std::string_view key, struct stat* st) {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext(op));
    std::string path = PathOf(key);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT || errno == ENOTDIR)
        return NotFound(std::string(op) + " " + std::string(key) + ": no such object");
      return ErrnoError(std::string(op) + " " + std::string(key) + ": open", errno);
    }
    if (::fstat(fd, st) != 0 || !S_ISREG(st->st_mode)) {
      ::close(fd);
      return NotFound(std::string(op) + " " + std::string(key) + ": no such object");
    }
    return fd;
  }

  Result<Bytes> Get(std::string_view key) override { return GetRange(key, 0, UINT64_MAX); }

  Status Clip(std::string_view op, std::string_view key, const struct stat& st, uint64_t offset,
              uint64_t length, uint64_t* end) {
    uint64_t size = uint64_t(st.st_size);
    if (offset > size)
      return OutOfRange(std::string(op) + " " + std::string(key) + ": offset " +
                        std::to_string(offset) + " is past the end (" + std::to_string(size) +
                        " bytes)");
    *end = size - offset < length ? size : offset + length;
    return Status::OK();
  }

  Status PreadAll(int fd, uint8_t* out, size_t n, uint64_t offset, std::string_view key) {
    while (n > 0) {
      ssize_t r = ::pread(fd, out, n, off_t(offset));
      if (r < 0) {
        if (errno == EINTR) continue;
        return ErrnoError("read " + std::string(key), errno);
      }
      if (r == 0) return Corruption("read " + std::string(key) + ": object shrank while reading");
      out += r;
      n -= size_t(r);
      offset += uint64_t(r);
    }
    return Status::OK();
  }

  Result<Bytes> GetRange(std::string_view key, uint64_t offset, uint64_t length) override {
    struct stat st;
    CASTOR_ASSIGN_OR_RETURN(int fd, OpenRead("get", key, &st));
    Fd f(fd);
    uint64_t end;
    CASTOR_RETURN_IF_ERROR(Clip("get", key, st, offset, length, &end));
    Bytes out(end - offset);
    CASTOR_RETURN_IF_ERROR(PreadAll(fd, out.data(), out.size(), offset, key));
    return out;
  }

  Status ReadRange(std::string_view key, uint64_t offset, uint64_t length,
                   const ByteSink& sink) override {
    struct stat st;
    CASTOR_ASSIGN_OR_RETURN(int fd, OpenRead("read", key, &st));
    Fd f(fd);
    uint64_t end;
    CASTOR_RETURN_IF_ERROR(Clip("read", key, st, offset, length, &end));
    if (end - offset > kReadChunk)
      ::posix_fadvise(fd, off_t(offset), off_t(end - offset), POSIX_FADV_SEQUENTIAL);
    std::unique_ptr<uint8_t[]> buf(new uint8_t[std::min<uint64_t>(kReadChunk, end - offset) + 1]);
    while (offset < end) {
      size_t n = size_t(std::min<uint64_t>(kReadChunk, end - offset));
      CASTOR_RETURN_IF_ERROR(PreadAll(fd, buf.get(), n, offset, key));
      CASTOR_RETURN_IF_ERROR(sink(ByteSpan(buf.get(), n)));
      offset += n;
    }
    return Status::OK();
  }

  Result<size_t> ReadInto(std::string_view key, uint64_t offset, MutableByteSpan out) override {
    struct stat st;
    CASTOR_ASSIGN_OR_RETURN(int fd, OpenRead("read", key, &st));
    Fd f(fd);
    uint64_t end;
    CASTOR_RETURN_IF_ERROR(Clip("read", key, st, offset, out.size(), &end));
    const size_t n = size_t(end - offset);
    CASTOR_RETURN_IF_ERROR(PreadAll(fd, out.data(), n, offset, key));
    return n;
  }

  Result<ObjectInfo> Head(std::string_view key) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("head"));
    struct stat st;
    if (::stat(PathOf(key).c_str(), &st) != 0) {
      if (errno != ENOENT && errno != ENOTDIR) return ErrnoError("head " + std::string(key), errno);
      return NotFound("head " + std::string(key) + ": no such object");
    }
    if (!S_ISREG(st.st_mode)) return NotFound("head " + std::string(key) + ": no such object");
    return ObjectInfo{std::string(key), uint64_t(st.st_size), EtagOf(st)};
  }

  Result<ListPage> List(std::string_view prefix, std::string_view start_after, size_t max) override;

  Status Delete(std::string_view key) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("delete"));
    std::string path = PathOf(key);
    struct stat st;
    if (::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
      return ErrnoError("delete " + std::string(key), errno);
    }
    if (options_.sync) CASTOR_RETURN_IF_ERROR(FsyncDir(DirOf(key)));
    // Remove emptied parent directories (rmdir fails harmlessly on non-empty ones).
    std::string k(key);
    for (auto slash = k.rfind('/'); slash != std::string::npos; slash = k.rfind('/')) {
      k.resize(slash);
      if (::rmdir((root_ + "/" + k).c_str()) != 0) break;
    }
    return Status::OK();
  }

  Result<std::unique_ptr<ObjectWriter>> NewWriter(std::string_view key,
                                                  const WriterOptions& options) override {
    CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext("new-writer"));
    auto w = std::make_unique<LocalWriter>(this, std::string(key), options.if_absent);
    CASTOR_RETURN_IF_ERROR(w->Open(options.expected_size));
    return std::unique_ptr<ObjectWriter>(std::move(w));
  }

  Result<std::string> PresignGet(std::string_view key, std::chrono::seconds) override {
    return Unimplemented("presign " + std::string(key) + ": " + uri() + " has no URLs");
  }

  Result<IncompleteWritePage> ListIncompleteWrites(std::string_view prefix,
                                                   std::string_view after_key,
                                                   std::string_view after_id, size_t max) override;

  Status AbortIncompleteWrite(std::string_view key, std::string_view id) override {
    std::string what = "abort incomplete write " + std::string(key) + "/" + std::string(id);
    if (!key.empty()) CASTOR_RETURN_IF_ERROR(ValidateKey(key).WithContext(what));
    // Only the store's own temp files: the id must not name anything else.
    if (!id.starts_with(kLocalTempPrefix) || id.find('/') != std::string_view::npos ||
        id.find('\0') != std::string_view::npos)
      return InvalidArgument(what + ": not a temp file name of this store");
    std::string path = (key.empty() ? root_ : PathOf(key)) + "/" + std::string(id);
    if (::unlink(path.c_str()) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return NotFound(what + ": no such temp file");
      return ErrnoError(what, errno);
    }
    return Status::OK();
  }

 private:
  // Appends the temp files in folder `rel` and, recursively, in its subfolders that can hold keys
  // starting with `prefix`.
  Status CollectTemps(const std::string& rel, std::string_view prefix,
                      std::vector<IncompleteWrite>* out);

  // Depth-first walk in key byte order (see List).
  Status Walk(const std::string& rel, std::string_view prefix, std::string_view start_after,
              size_t limit, std::vector<ObjectInfo>* out);

  const std::string root_;
  const LocalStoreOptions options_;
};

Status LocalWriter::Open(uint64_t expected_size) {
  // Reuse the store's temp-file creation for an empty file, then keep writing to it.
  for (int attempt = 0; attempt < 5 && fd_ < 0; ++attempt) {
    CASTOR_RETURN_IF_ERROR(store_->MakeParents("new-writer", key_));
    dir_ = store_->DirOf(key_);
    tmp_ = dir_ + "/" + TempName();
    fd_ = ::open(tmp_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd_ < 0 && errno != ENOENT) break;
  }
  if (fd_ < 0) return ErrnoError("new-writer " + key_ + ": create " + tmp_, errno);
  appender_ = std::make_unique<FileAppender>(fd_, expected_size);
  return Status::OK();
}

Result<ObjectInfo> LocalWriter::Commit(PutOutcome* outcome) {
  if (!error_.ok()) return error_;
  if (fd_ < 0)
    return FailedPrecondition("commit " + key_ + ": writer already committed or aborted");
  if (Status st = appender_->Finish("commit " + key_ + ": temp file " + tmp_); !st.ok()) {
    Fail(st);
    return error_;
  }
  if (store_->options().sync && ::fsync(fd_) != 0) {
    Fail(ErrnoError("commit " + key_ + ": fsync " + tmp_, errno));
    return error_;
  }
  ::close(fd_);
  fd_ = -1;
  Result<PutOutcome> o = store_->Publish("commit", key_, tmp_, if_absent_);
  if (!o.ok()) return o.status();
  if (outcome) *outcome = *o;
  return store_->Head(key_);
}

Status LocalStore::Walk(const std::string& rel, std::string_view prefix,
                        std::string_view start_after, size_t limit, std::vector<ObjectInfo>* out) {
  std::string dir = rel.empty() ? root_ : root_ + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
    return ErrnoError("list: opendir " + dir, errno);
  }
  // (sort name, key, is_dir): a directory sorts as "name/" so that a depth-first walk visits
  // keys in byte order ("a-b" < "a/c" because '-' < '/').
  struct Item {
    std::string sort_name;
    std::string key;
    bool is_dir;
  };
  std::vector<Item> items;
  auto now = std::chrono::system_clock::now();
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string key = rel.empty() ? std::string(name) : rel + "/" + std::string(name);
    struct stat st;
    if (::lstat((root_ + "/" + key).c_str(), &st) != 0) continue;  // raced with a delete
    if (name.starts_with(kLocalTempPrefix)) {
      auto age =
          now - std::chrono::system_clock::time_point(std::chrono::seconds(st.st_mtim.tv_sec));
      if (age > options_.stale_temp_age) ::unlink((root_ + "/" + key).c_str());
      continue;
    }
    if (S_ISDIR(st.st_mode)) {
      std::string sub = key + "/";
      // Skip subtrees that cannot hold a key with the prefix, or only keys <= start_after.
      if (!sub.starts_with(prefix) && !std::string_view(prefix).starts_with(sub)) continue;
      if (!start_after.empty() && sub < start_after && !start_after.starts_with(sub)) continue;
      items.push_back({std::string(name) + "/", std::move(key), true});
    } else if (S_ISREG(st.st_mode)) {
      if (!std::string_view(key).starts_with(prefix)) continue;
      if (!start_after.empty() && std::string_view(key) <= start_after) continue;
      items.push_back({std::string(name), std::move(key), false});
    }
  }
  ::closedir(d);
  std::sort(items.begin(), items.end(),
            [](const Item& a, const Item& b) { return a.sort_name < b.sort_name; });
  for (Item& it : items) {
    if (out->size() >= limit) break;
    if (it.is_dir) {
      CASTOR_RETURN_IF_ERROR(Walk(it.key, prefix, start_after, limit, out));
    } else {
      struct stat st;
      if (::stat((root_ + "/" + it.key).c_str(), &st) != 0) continue;
      out->push_back({std::move(it.key), uint64_t(st.st_size), EtagOf(st)});
    }
  }
  return Status::OK();
}

Status LocalStore::CollectTemps(const std::string& rel, std::string_view prefix,
                                std::vector<IncompleteWrite>* out) {
  std::string dir = rel.empty() ? root_ : root_ + "/" + rel;
  DIR* d = ::opendir(dir.c_str());
  if (d == nullptr) {
    if (errno == ENOENT || errno == ENOTDIR) return Status::OK();
    return ErrnoError("list incomplete writes: opendir " + dir, errno);
  }
  std::vector<std::string> subdirs;
  while (dirent* e = ::readdir(d)) {
    std::string_view name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + std::string(name);
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0) continue;  // raced with a delete or a rename
    if (name.starts_with(kLocalTempPrefix)) {
      if (!S_ISREG(st.st_mode)) continue;
      auto mtime = std::chrono::system_clock::time_point(
          std::chrono::duration_cast<std::chrono::system_clock::duration>(
              std::chrono::seconds(st.st_mtim.tv_sec) +
              std::chrono::nanoseconds(st.st_mtim.tv_nsec)));
      out->push_back({rel, std::string(name), mtime});
    } else if (S_ISDIR(st.st_mode)) {
      std::string sub = rel.empty() ? std::string(name) : rel + "/" + std::string(name);
      if ((sub + "/").starts_with(prefix)) subdirs.push_back(std::move(sub));
    }
  }
  ::closedir(d);
  for (const std::string& sub : subdirs) CASTOR_RETURN_IF_ERROR(CollectTemps(sub, prefix, out));
  return Status::OK();
}

// Temp files carry no key, so the listing reports each one under its folder. A writer in
// progress keeps its file's mtime fresh; one of a killed process keeps the time of its last write.
Result<IncompleteWritePage> LocalStore::ListIncompleteWrites(std::string_view prefix,
                                                             std::string_view after_key,
                                                             std::string_view after_id,
                                                             size_t max) {
  if (max == 0) return InvalidArgument("list incomplete writes: max must be at least 1");
  std::string rel;
  if (auto slash = prefix.rfind('/'); slash != std::string_view::npos) {
    rel = std::string(prefix.substr(0, slash));
    if (!rel.empty())
      CASTOR_RETURN_IF_ERROR(ValidateKey(rel).WithContext("list incomplete writes"));
  }
  std::vector<IncompleteWrite> all;
  CASTOR_RETURN_IF_ERROR(CollectTemps(rel, prefix, &all));
  auto order = [](const IncompleteWrite& a, const IncompleteWrite& b) {
    return std::tie(a.key, a.id) < std::tie(b.key, b.id);
  };
  std::sort(all.begin(), all.end(), order);
  IncompleteWritePage page;
  for (auto& w : all) {
    std::string_view key = w.key, id = w.id;
    if ((!after_key.empty() || !after_id.empty()) &&
        std::tie(key, id) <= std::tie(after_key, after_id))
      continue;
    if (page.writes.size() == max) {
      page.next_key = page.writes.back().key;
      page.next_id = page.writes.back().id;
      break;
    }
    page.writes.push_back(std::move(w));
  }
  return page;
}

Result<ListPage> LocalStore::List(std::string_view prefix, std::string_view start_after,
                                  size_t max) {
  if (max == 0) return InvalidArgument("list: max must be at least 1");
  // Start at the deepest directory the prefix names, so listing "xorbs/ab" reads one folder.
  std::string rel;
  if (auto slash = prefix.rfind('/'); slash != std::string_view::npos) {
    rel = std::string(prefix.substr(0, slash));
    if (!rel.empty()) CASTOR_RETURN_IF_ERROR(ValidateKey(rel).WithContext("list"));
  }
  ListPage page;
  // One extra entry tells whether another page follows.
  CASTOR_RETURN_IF_ERROR(Walk(rel, prefix, start_after, max + 1, &page.objects));
  if (page.objects.size() > max) {
    page.objects.resize(max);
    page.next_start_after = page.objects.back().key;
  }
  return page;
}

}  // namespace

Result<std::unique_ptr<ObjectStore>> OpenLocalStore(const std::string& root,
                                                    const LocalStoreOptions& options) {
  if (root.empty()) return InvalidArgument("local store: empty directory path");
  std::string r = root;
  while (r.size() > 1 && r.back() == '/') r.pop_back();
  // mkdir -p
  for (size_t pos = 1; pos <= r.size(); ++pos) {
    if (pos == r.size() || r[pos] == '/') {
      std::string d = r.substr(0, pos);
      if (::mkdir(d.c_str(), 0755) != 0 && errno != EEXIST)
        return ErrnoError("local store: mkdir " + d, errno);
    }
  }
  struct stat st;
  if (::stat(r.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return FailedPrecondition("local store: " + r + " is not a directory");
  char* real = ::realpath(r.c_str(), nullptr);
  if (real != nullptr) {
    r = real;
    ::free(real);
  }
  return std::unique_ptr<ObjectStore>(std::make_unique<LocalStore>(r, options));
}

}  // namespace castor
