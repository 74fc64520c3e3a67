// `castor store put|get|head|ls|rm|cp|presign`: object-store operations on any store URI
// (a directory, file://, s3://, mem://), streamed with bounded memory.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <string>
#include <vector>

#include "castor/storage/object_store.h"
#include "castor/storage/parallel_read.h"
#include "command.h"

namespace castor::cli {
namespace {

struct StoreFlags {
  std::string uri, key, path = "-";
  std::string dst_uri, dst_key;
  std::string prefix;
  std::vector<std::string> keys;
  bool if_absent = false;
  uint64_t part_size = 16ull << 20;
  int parallelism = 0;      // 0 = backend default
  uint64_t chunk_size = 0;  // 0 = auto: about 4 ranges per connection, 8..64 MiB
  std::string range;
  size_t limit = 0;
  int64_t ttl = 3600;
};

int Fail(const Status& st) {
  PrintError(st.message());
  return 1;
}

Result<std::unique_ptr<ObjectStore>> Open(const std::string& uri) { return OpenStore(uri); }

Status WriteAllFd(int fd, ByteSpan b, const std::string& what) {
  while (!b.empty()) {
    ssize_t n = ::write(fd, b.data(), b.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError(what, errno);
    }
    b = b.subspan(size_t(n));
  }
  return Status::OK();
}

// Streams `fd` into a writer for `key`.
Result<ObjectInfo> Upload(ObjectStore& store, const std::string& key, int fd, const StoreFlags& f,
                          uint64_t expected_size, PutOutcome* outcome) {
  WriterOptions wo;
  wo.part_size = f.part_size;
  if (f.parallelism > 0) wo.parallelism = f.parallelism;
  wo.expected_size = expected_size;
  wo.if_absent = f.if_absent;
  CASTOR_ASSIGN_OR_RETURN(auto w, store.NewWriter(key, wo));
  std::vector<uint8_t> buf(4 << 20);
  for (;;) {
    ssize_t n = ::read(fd, buf.data(), buf.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read input", errno);
    }
    if (n == 0) break;
    CASTOR_RETURN_IF_ERROR(w->Write(ByteSpan(buf.data(), size_t(n))));
  }
  return w->Commit(outcome);
}

int RunPut(const StoreFlags& f) {
  auto store = Open(f.uri);
  if (!store.ok()) return Fail(store.status());
  int fd = f.path == "-" ? 0 : ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return Fail(ErrnoError("open " + f.path, errno));
  struct stat st {};
  uint64_t size = ::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? uint64_t(st.st_size) : 0;
  PutOutcome outcome = PutOutcome::kCreated;
  auto info = Upload(**store, f.key, fd, f, size, &outcome);
  if (fd != 0) ::close(fd);
  if (!info.ok()) return Fail(info.status());
  std::printf("%s %llu %s%s\n", info->key.c_str(), static_cast<unsigned long long>(info->size),
              info->etag.c_str(),
              outcome == PutOutcome::kAlreadyExisted ? " (already existed)" : "");
  return 0;
}

int RunGet(const StoreFlags& f) {
  auto store = Open(f.uri);
  if (!store.ok()) return Fail(store.status());
  uint64_t offset = 0, length = UINT64_MAX;
  if (!f.range.empty()) {
    unsigned long long a = 0, b = 0;
    char dash = 0;
    if (std::sscanf(f.range.c_str(), "%llu%c%llu", &a, &dash, &b) != 3 || dash != '-' || b < a)
      return Fail(InvalidArgument("--range must be FIRST-LAST (inclusive byte offsets)"));
    offset = a;
    length = b - a + 1;
  }
  bool to_stdout = f.path == "-";
  int fd = to_stdout ? 1 : ::open(f.path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Fail(ErrnoError("open " + f.path, errno));
  Status st;
  struct stat out_st {};
  bool seekable = ::fstat(fd, &out_st) == 0 && S_ISREG(out_st.st_mode);
  if (seekable) {
    // Ranged reads in parallel, written in place: the fast path for big objects.
    auto info = (*store)->Head(f.key);
    st = info.status();
    if (st.ok()) {
      if (offset > info->size) {
        st = OutOfRange("get " + f.key + ": range starts past the end");
      } else {
        length = std::min(length, info->size - offset);
        ParallelReadOptions po;
        if (f.parallelism > 0) po.parallelism = f.parallelism;
        // Fewer, larger ranges cost the server less per byte; four per connection still keeps
        // every connection busy until the end.
        po.chunk_size = f.chunk_size != 0
                            ? f.chunk_size
                            : std::clamp<uint64_t>(length / (uint64_t(po.parallelism) * 4),
                                                   8ull << 20, 64ull << 20);
        if (::ftruncate(fd, off_t(length)) != 0) st = ErrnoError("truncate " + f.path, errno);
        if (st.ok())
          st = ParallelRead(**store, f.key, offset, length, po,
                            [&](uint64_t at, ByteSpan b) -> Status {
                              uint64_t pos = at - offset;
                              while (!b.empty()) {
                                ssize_t n = ::pwrite(fd, b.data(), b.size(), off_t(pos));
                                if (n < 0) {
                                  if (errno == EINTR) continue;
                                  return ErrnoError("write " + f.path, errno);
                                }
                                b = b.subspan(size_t(n));
                                pos += uint64_t(n);
                              }
                              return Status::OK();
                            });
      }
    }
  } else {
    st = (*store)->ReadRange(f.key, offset, length,
                             [&](ByteSpan b) { return WriteAllFd(fd, b, "write " + f.path); });
  }
  if (!to_stdout && ::close(fd) != 0 && st.ok()) st = ErrnoError("close " + f.path, errno);
  if (!st.ok()) {
    if (!to_stdout) ::unlink(f.path.c_str());  // never leave a partial file behind
    return Fail(st);
  }
  return 0;
}

int RunHead(const StoreFlags& f) {
  auto store = Open(f.uri);
  if (!store.ok()) return Fail(store.status());
  auto info = (*store)->Head(f.key);
  if (!info.ok()) return Fail(info.status());
  std::printf("%s %llu %s\n", info->key.c_str(), static_cast<unsigned long long>(info->size),
              info->etag.c_str());
  return 0;
}

int RunLs(const StoreFlags& f) {
  auto store = Open(f.uri);
  if (!store.ok()) return Fail(store.status());
  std::string after;
  size_t printed = 0;
  for (;;) {
    auto page = (*store)->List(f.prefix, after, 1000);
    if (!page.ok()) return Fail(page.status());
    for (auto& o : page->objects) {
      if (f.limit && printed == f.limit) return 0;
      std::printf("%12llu  %s\n", static_cast<unsigned long long>(o.size), o.key.c_str());
      ++printed;
    }
    if (page->next_start_after.empty()) return 0;
    after = page->next_start_after;
  }
}

int RunRm(const StoreFlags& f) {
  auto store = Open(f.uri);
  if (!store.ok()) return Fail(store.status());
  int rc = 0;
  for (auto& k : f.keys) {
    Status st = (*store)->Delete(k);
    if (!st.ok()) rc = Fail(st);
  }
  return rc;
}

int RunCp(const StoreFlags& f) {
  auto src = Open(f.uri);
  if (!src.ok()) return Fail(src.status());
  auto dst = Open(f.dst_uri);
  if (!dst.ok()) return Fail(dst.status());
  std::string dst_key = f.dst_key.empty() ? f.key : f.dst_key;
  auto head = (*src)->Head(f.key);
  if (!head.ok()) return Fail(head.status());
  WriterOptions wo;
  wo.part_size = f.part_size;
  if (f.parallelism > 0) wo.parallelism = f.parallelism;
  wo.expected_size = head->size;
  wo.if_absent = f.if_absent;
  auto w = (*dst)->NewWriter(dst_key, wo);
  if (!w.ok()) return Fail(w.status());
  Status st = (*src)->ReadRange(f.key, 0, UINT64_MAX, [&](ByteSpan b) { return (*w)->Write(b); });
  if (!st.ok()) {
    (*w)->Abort();
    return Fail(st);
  }
  PutOutcome outcome;
  auto info = (*w)->Commit(&outcome);
  if (!info.ok()) return Fail(info.status());
  if (info->size != head->size)
    return Fail(Corruption("cp " + f.key + ": copied " + std::to_string(info->size) + " of " +
                           std::to_string(head->size) + " bytes"));
  std::printf("%s %llu %s%s\n", info->key.c_str(), static_cast<unsigned long long>(info->size),
              info->etag.c_str(),
              outcome == PutOutcome::kAlreadyExisted ? " (already existed)" : "");
  return 0;
}

int RunPresign(const StoreFlags& f) {
  auto store = Open(f.uri);
  if (!store.ok()) return Fail(store.status());
  auto url = (*store)->PresignGet(f.key, std::chrono::seconds(f.ttl));
  if (!url.ok()) return Fail(url.status());
  std::printf("%s\n", url->c_str());
  return 0;
}

const char* kUriHelp =
    "Store URI: a directory path, file:///abs/path, mem://, or "
    "s3://bucket[/prefix]?region=R&endpoint=http://host:port&path_style=1 (see docs/storage.md)";

const Command kStore("store", [](CLI::App& app, int& exit_code) {
  auto f = std::make_shared<StoreFlags>();
  CLI::App* store = app.add_subcommand(
      "store",
      "Object-store operations on a local directory or S3 (put, get, head, ls, rm, cp, presign)");
  store->require_subcommand(1);
  auto add_tuning = [&](CLI::App* c, bool writes) {
    c->add_option(
         "--parallelism", f->parallelism,
         writes ? "Parts uploaded at once (S3; default 4)" : "Ranged reads at once (default 8)")
        ->check(CLI::Range(1, 256));
    if (writes) {
      c->add_option("--part-size", f->part_size,
                    "Multipart part size in bytes (S3; default 16 MiB)")
          ->check(CLI::Range(uint64_t(5) << 20, uint64_t(5) << 30));
    }
  };

  CLI::App* put =
      store->add_subcommand("put", "Upload FILE (or stdin) as KEY; prints key, size, ETag");
  put->add_option("uri", f->uri, kUriHelp)->required();
  put->add_option("key", f->key, "Object key")->required();
  put->add_option("file", f->path, "Input file, or - for stdin (default)");
  put->add_flag("--if-absent", f->if_absent, "Do not replace an existing object");
  add_tuning(put, true);
  put->callback([f, &exit_code] { exit_code = RunPut(*f); });

  CLI::App* get = store->add_subcommand("get", "Download KEY to FILE (or stdout)");
  get->add_option("uri", f->uri, kUriHelp)->required();
  get->add_option("key", f->key, "Object key")->required();
  get->add_option("file", f->path, "Output file, or - for stdout (default)");
  get->add_option("--range", f->range, "Only bytes FIRST-LAST (inclusive)");
  get->add_option("--chunk-size", f->chunk_size,
                  "Bytes per ranged read (default: size / (4 x parallelism), 8..64 MiB)")
      ->check(CLI::Range(uint64_t(1) << 16, uint64_t(1) << 32));
  add_tuning(get, false);
  get->callback([f, &exit_code] { exit_code = RunGet(*f); });

  CLI::App* head = store->add_subcommand("head", "Print key, size and ETag of KEY");
  head->add_option("uri", f->uri, kUriHelp)->required();
  head->add_option("key", f->key, "Object key")->required();
  head->callback([f, &exit_code] { exit_code = RunHead(*f); });

  CLI::App* ls = store->add_subcommand("ls", "List keys (with sizes) under PREFIX, in key order");
  ls->add_option("uri", f->uri, kUriHelp)->required();
  ls->add_option("prefix", f->prefix, "Key prefix (default: everything)");
  ls->add_option("--limit", f->limit, "Print at most N keys");
  ls->callback([f, &exit_code] { exit_code = RunLs(*f); });

  CLI::App* rm = store->add_subcommand("rm", "Delete KEYs (absent keys are not an error)");
  rm->add_option("uri", f->uri, kUriHelp)->required();
  rm->add_option("keys", f->keys, "Object keys")->required();
  rm->callback([f, &exit_code] { exit_code = RunRm(*f); });

  CLI::App* cp = store->add_subcommand("cp", "Copy KEY from one store to another, streamed");
  cp->add_option("src", f->uri, "Source store URI")->required();
  cp->add_option("key", f->key, "Source key")->required();
  cp->add_option("dst", f->dst_uri, "Destination store URI")->required();
  cp->add_option("dst_key", f->dst_key, "Destination key (default: the same key)");
  cp->add_flag("--if-absent", f->if_absent, "Do not replace an existing object");
  add_tuning(cp, true);
  cp->callback([f, &exit_code] { exit_code = RunCp(*f); });

  CLI::App* presign = store->add_subcommand("presign", "Print a presigned GET URL for KEY (S3)");
  presign->add_option("uri", f->uri, kUriHelp)->required();
  presign->add_option("key", f->key, "Object key")->required();
  presign->add_option("--ttl", f->ttl, "Validity in seconds (default 3600, at most 7 days)")
      ->check(CLI::Range(int64_t(1), int64_t(7 * 24 * 3600)));
  presign->callback([f, &exit_code] { exit_code = RunPresign(*f); });
});

}  // namespace
}  // namespace castor::cli
