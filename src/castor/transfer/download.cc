#include "castor/transfer/download.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <thread>

#include "castor/format/xorb/chunk_codec.h"
#include "castor/hash/xet_hash.h"
#include "castor/transfer/chunk_stream_decoder.h"
#include "castor/transfer/write_batch.h"

namespace castor {

namespace {

// One term's use of a fetched range: chunks [begin, end) go to file offset `offset`.
struct Use {
  uint32_t begin, end;
  uint64_t offset;
  uint32_t length;  // the term's unpacked_length
};

// One byte range of one xorb, fetched and decoded once, written wherever the file uses it.
struct Unit {
  Hash xorb;
  std::string url;
  protocol::ChunkRange chunks;
  protocol::ByteRange bytes;
  std::vector<Use> uses;
  std::vector<HashAndSize> hashes;  // of chunks [chunks.start, chunks.end), once done
  bool done = false;
  std::string JournalKey() const {
    return xorb.ToXetHex() + " " + std::to_string(chunks.start) + " " + std::to_string(chunks.end);
  }
};

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Status PreadAll(int fd, MutableByteSpan out, uint64_t offset, const std::string& path) {
  while (!out.empty()) {
    ssize_t n = ::pread(fd, out.data(), out.size(), off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("read " + path, errno);
    }
    if (n == 0) return IOError("read " + path + ": unexpected end of file");
    out = out.subspan(size_t(n));
    offset += uint64_t(n);
  }
  return Status::OK();
}

// Builds units from a reconstruction and attaches each term to the range covering it.
Result<std::vector<Unit>> PlanUnits(const protocol::QueryReconstructionResponseV2& r,
                                    uint64_t* size) {
  std::vector<Unit> units;
  std::map<Hash, std::vector<size_t>> by_xorb;
  for (const auto& [xorb, fetches] : r.xorbs) {
    for (const auto& f : fetches) {
      for (const auto& range : f.ranges) {
        if (range.chunks.start >= range.chunks.end || range.bytes.end < range.bytes.start) {
          return Corruption("reconstruction: an empty or inverted range for xorb " +
                            xorb.ToXetHex());
        }
        by_xorb[xorb].push_back(units.size());
        units.push_back(
            {xorb, f.url, range.chunks, {range.bytes.start, range.bytes.end + 1}, {}, {}});
      }
    }
  }
  if (r.offset_into_first_range != 0) {
    return Unimplemented("reconstruction: partial-file answers are not used for whole downloads");
  }
  uint64_t pos = 0;
  for (size_t t = 0; t < r.terms.size(); ++t) {
    const auto& term = r.terms[t];
    Unit* home = nullptr;
    for (size_t u : by_xorb[term.hash]) {
      if (units[u].chunks.start <= term.range.start && term.range.end <= units[u].chunks.end) {
        home = &units[u];
        break;
      }
    }
    if (!home) {
      return Corruption("reconstruction: no fetch range of xorb " + term.hash.ToXetHex() +
                        " covers term " + std::to_string(t));
    }
    home->uses.push_back({term.range.start, term.range.end, pos, term.unpacked_length});
    pos += term.unpacked_length;
  }
  *size = pos;
  // Unused ranges are dropped; the rest go in file order so writes move forward.
  std::erase_if(units, [](const Unit& u) { return u.uses.empty(); });
  std::sort(units.begin(), units.end(),
            [](const Unit& a, const Unit& b) { return a.uses[0].offset < b.uses[0].offset; });
  return units;
}

// The journal: a header line, then one line per finished unit with its chunk hashes and sizes.
std::string JournalHeader(const Hash& id, uint64_t size) {
  return "castor-pull 1 " + id.ToXetHex() + " " + std::to_string(size);
}

std::map<std::string, std::vector<HashAndSize>> ReadJournal(const std::string& path,
                                                            const std::string& header) {
  std::map<std::string, std::vector<HashAndSize>> out;
  std::ifstream in(path);
  std::string line;
  if (!std::getline(in, line) || line != header) return out;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::string xorb, hash;
    uint32_t cs, ce, n;
    if (!(ls >> xorb >> cs >> ce >> n) || ce <= cs || n != ce - cs) continue;
    std::vector<HashAndSize> hs;
    uint64_t size;
    while (hs.size() < n && ls >> hash >> size) {
      auto h = Hash::FromXetHex(hash);
      if (!h) break;
      hs.push_back({*h, size});
    }
    if (hs.size() == n) out[xorb + " " + std::to_string(cs) + " " + std::to_string(ce)] = hs;
  }
  return out;
}

// Whether the bytes on disk for every use of `u` hash to the journaled chunk hashes.
bool VerifyOnDisk(int fd, const std::string& path, const Unit& u,
                  const std::vector<HashAndSize>& hashes) {
  Bytes buf;
  for (const Use& use : u.uses) {
    uint64_t off = use.offset;
    for (uint32_t c = use.begin; c < use.end; ++c) {
      const HashAndSize& h = hashes[c - u.chunks.start];
      buf.resize(h.size);
      if (!PreadAll(fd, buf, off, path).ok() || ChunkHash(buf) != h.hash) return false;
      off += h.size;
    }
  }
  return true;
}

}  // namespace

Result<DownloadReport> DownloadFile(client::CasClient& cas, const Hash& file_id,
                                    const std::string& path, const DownloadOptions& options) {
  const auto start_time = std::chrono::steady_clock::now();
  DownloadReport report;
  CASTOR_ASSIGN_OR_RETURN(auto recon, cas.Reconstruct(file_id, std::nullopt));
  uint64_t size = 0;
  CASTOR_ASSIGN_OR_RETURN(std::vector<Unit> units, PlanUnits(recon, &size));
  report.size = size;
  report.ranges = units.size();

  const std::string partial = path + ".castor-partial";
  const std::string journal_path = partial + ".journal";
  const std::string header = JournalHeader(file_id, size);

  // Resume what an earlier attempt finished and can still prove.
  struct stat st;
  bool reuse = options.resume && ::stat(partial.c_str(), &st) == 0 && uint64_t(st.st_size) == size;
  auto journaled =
      reuse ? ReadJournal(journal_path, header) : std::map<std::string, std::vector<HashAndSize>>{};
  Fd fd(::open(partial.c_str(), O_RDWR | O_CREAT | (journaled.empty() ? O_TRUNC : 0), 0644));
  if (fd.get() < 0) return ErrnoError("open " + partial, errno);
  if (::ftruncate(fd.get(), off_t(size)) != 0) return ErrnoError("truncate " + partial, errno);
  // Large aligned writes bypass the page cache where the filesystem allows (see WriteBatch).
  Fd direct_fd(options.direct_io ? ::open(partial.c_str(), O_WRONLY | O_DIRECT | O_CLOEXEC) : -1);
  std::atomic<bool> direct_ok{direct_fd.get() >= 0};
  // Allocated up front, direct writes are overwrites of allocated (unwritten) blocks, which ext4
  // lets run concurrently; into holes each one would take the inode lock for its whole I/O. Only a
  // hint: filesystems without fallocate just allocate as they go.
  if (direct_ok && size > 0) (void)::fallocate(fd.get(), 0, 0, off_t(size));
  for (Unit& u : units) {
    auto it = journaled.find(u.JournalKey());
    if (it != journaled.end() && VerifyOnDisk(fd.get(), partial, u, it->second)) {
      u.hashes = it->second;
      u.done = true;
      for (const Use& use : u.uses) report.bytes_resumed += use.length;
    }
  }
  // Rewrite the journal with only what was verified.
  std::mutex journal_mu;
  std::ofstream journal(journal_path, std::ios::trunc);
  journal << header << "\n";
  for (const Unit& u : units) {
    if (!u.done) continue;
    journal << u.JournalKey() << " " << u.hashes.size();
    for (auto& h : u.hashes) journal << " " << h.hash.ToXetHex() << " " << h.size;
    journal << "\n";
  }
  journal.flush();
  if (!journal) return IOError("write " + journal_path);

  std::atomic<uint64_t> done_bytes{report.bytes_resumed}, fetched{0};
  std::mutex progress_mu;
  auto progress = [&](uint64_t add) {
    uint64_t now = done_bytes.fetch_add(add) + add;
    if (options.progress) {
      std::lock_guard lock(progress_mu);
      options.progress(now, size);
    }
  };

  auto run_unit = [&](Unit& u) -> Status {
    std::vector<uint64_t> written(u.uses.size(), 0);
    u.hashes.clear();
    u.hashes.reserve(u.chunks.end - u.chunks.start);
    uint32_t c = u.chunks.start;
    WriteBatch batch(fd.get(), direct_fd.get(), &direct_ok, partial);
    ChunkDecoder codec;
    ChunkStreamDecoder decoder([&](const ChunkHeader& h, ByteSpan payload) -> Status {
      if (c >= u.chunks.end) return Corruption("more chunks than the range names");
      // Decoded straight into the batch: no copy between the codec and the file.
      CASTOR_ASSIGN_OR_RETURN(MutableByteSpan chunk, batch.Append(h.uncompressed_size));
      Status ds = codec.Decode(h, payload, chunk);
      if (!ds.ok()) return ds.WithContext("chunk " + std::to_string(c - u.chunks.start));
      u.hashes.push_back({ChunkHash(chunk), chunk.size()});
      std::optional<uint64_t> first_at;
      for (size_t i = 0; i < u.uses.size(); ++i) {
        const Use& use = u.uses[i];
        if (c < use.begin || c >= use.end) continue;
        if (written[i] + chunk.size() > use.length) {
          return Corruption("term at file offset " + std::to_string(use.offset) +
                            " decodes to more than its " + std::to_string(use.length) + " bytes");
        }
        const uint64_t at = use.offset + written[i];
        if (!first_at) {
          first_at = at;
        } else {
          // Another term using the same chunk (a repeat inside the file): written on its own.
          CASTOR_RETURN_IF_ERROR(PwriteAll(fd.get(), chunk, at, partial));
        }
        written[i] += chunk.size();
        progress(chunk.size());
      }
      if (first_at) {
        CASTOR_RETURN_IF_ERROR(batch.Place(*first_at));
      } else {
        batch.DropLast();
      }
      ++c;
      return Status::OK();
    });
    Status s = cas.FetchRange(u.url, u.bytes, [&](ByteSpan data) {
      fetched += data.size();
      return decoder.Feed(data);
    });
    if (!s.ok()) return s;
    CASTOR_RETURN_IF_ERROR(decoder.Finish());
    CASTOR_RETURN_IF_ERROR(batch.Flush());
    if (c != u.chunks.end) {
      return Corruption("xorb " + u.xorb.ToXetHex() + " range held " +
                        std::to_string(c - u.chunks.start) + " chunks, expected " +
                        std::to_string(u.chunks.end - u.chunks.start));
    }
    for (size_t i = 0; i < u.uses.size(); ++i) {
      if (written[i] != u.uses[i].length) {
        return Corruption("term at file offset " + std::to_string(u.uses[i].offset) +
                          " decoded to " + std::to_string(written[i]) + " bytes, expected " +
                          std::to_string(u.uses[i].length));
      }
    }
    u.done = true;
    std::lock_guard lock(journal_mu);
    journal << u.JournalKey() << " " << u.hashes.size();
    for (auto& h : u.hashes) journal << " " << h.hash.ToXetHex() << " " << h.size;
    journal << "\n";
    journal.flush();
    return Status::OK();
  };

  // A 403 means the signed URL expired: ask for the reconstruction again for a fresh URL.
  auto refresh_url = [&](Unit& u) -> Status {
    CASTOR_ASSIGN_OR_RETURN(auto fresh, cas.Reconstruct(file_id, std::nullopt));
    for (const auto& f : fresh.xorbs[u.xorb]) {
      for (const auto& r : f.ranges) {
        if (r.chunks == u.chunks) {
          u.url = f.url;
          return Status::OK();
        }
      }
    }
    return NotFound("a fresh reconstruction no longer lists xorb " + u.xorb.ToXetHex());
  };
  std::atomic<size_t> next{0};
  std::mutex err_mu;
  Status first_error;
  auto worker = [&] {
    for (size_t i; (i = next++) < units.size();) {
      {
        std::lock_guard lock(err_mu);
        if (!first_error.ok()) return;
      }
      Unit& u = units[i];
      if (u.done) continue;
      Status s = run_unit(u);
      if (s.code() == StatusCode::kPermissionDenied && refresh_url(u).ok()) s = run_unit(u);
      if (!s.ok()) {
        std::lock_guard lock(err_mu);
        if (first_error.ok()) first_error = s;
        return;
      }
    }
  };
  std::vector<std::thread> threads;
  int n = std::max(1, std::min<int>(options.parallelism, int(units.size())));
  for (int i = 0; i < n; ++i) threads.emplace_back(worker);
  for (auto& t : threads) t.join();
  report.bytes_fetched = fetched;
  if (!first_error.ok()) return first_error.WithContext("pull " + file_id.ToXetHex());

  // The file id over every chunk, in file order, proves the bytes.
  std::map<Hash, std::vector<const Unit*>> by_xorb;
  for (const Unit& u : units) by_xorb[u.xorb].push_back(&u);
  std::vector<HashAndSize> all;
  for (const auto& term : recon.terms) {
    for (const Unit* u : by_xorb[term.hash]) {
      if (u->chunks.start > term.range.start || term.range.end > u->chunks.end) continue;
      for (uint32_t c = term.range.start; c < term.range.end; ++c) {
        all.push_back(u->hashes[c - u->chunks.start]);
      }
      break;
    }
  }
  Hash actual = FileHash(all);
  if (actual != file_id) {
    ::unlink(partial.c_str());
    ::unlink(journal_path.c_str());
    return Corruption("pull " + file_id.ToXetHex() + ": the downloaded chunks hash to " +
                      actual.ToXetHex() + "; nothing was written to " + path);
  }
  if (::fsync(fd.get()) != 0) return ErrnoError("fsync " + partial, errno);
  if (::rename(partial.c_str(), path.c_str()) != 0) return ErrnoError("rename to " + path, errno);
  ::unlink(journal_path.c_str());
  report.seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time).count();
  return report;
}

}  // namespace castor
