// WriteBatch: collects decoded chunks on their way into a file and writes them in large pieces.
// Chunks bound for consecutive file offsets (the usual case: a term's chunks follow each other)
// reach the file in one write of up to kBatchBytes; per-chunk writes of ~64 KiB from several
// download workers made ext4 serialise them on the inode lock, and the waiters spun.
//
// With a second descriptor opened with O_DIRECT, the 4 KiB-aligned middle of each batch bypasses
// the page cache: no copy into freshly allocated cache pages (the largest cost of a pull: about
// 2 CPU-s per GiB in VMs whose hypervisor reclaims free guest memory, ~0.25 s elsewhere) and no
// eviction of other cached data by a multi-GiB download. The unaligned edges go through the
// ordinary descriptor; where the filesystem refuses O_DIRECT (EINVAL: tmpfs, some network or FUSE
// filesystems), every write falls back to it. Both descriptors name the same file, so an fsync of
// either covers both. Memory: kBatchBytes + 132 KiB. One batch per thread; not safe for
// concurrent use, but batches of different threads may write to one file (different ranges).
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor {

class WriteBatch {
 public:
  static constexpr size_t kBatchBytes = size_t{2} << 20;
  static constexpr size_t kAlign = 4096;

  // `fd`: the file, open for writing. `direct_fd`: the same file opened with O_DIRECT, or -1.
  // `direct_ok` (shared by the batches of one file) turns false once the filesystem refuses a
  // direct write. `path` names the file in errors. All must outlive the batch.
  WriteBatch(int fd, int direct_fd, std::atomic<bool>* direct_ok, const std::string& path);

  // Room for the next chunk of `n` bytes (1..128 KiB; Corruption otherwise). The caller fills it,
  // then calls Place() (or DropLast() if the chunk goes nowhere) before the next Append().
  Result<MutableByteSpan> Append(size_t n);
  // The chunk just appended belongs at file offset `at`. May write out earlier chunks.
  Status Place(uint64_t at);
  void DropLast() { last_ = 0; }
  // Writes everything placed so far. Call at the end (the destructor does not write).
  Status Flush() { return WriteOut(/*final=*/true); }

 private:
  Status WriteOut(bool final);
  Status WriteDirect(ByteSpan data, uint64_t offset);

  int fd_, direct_fd_;
  std::atomic<bool>* direct_ok_;
  const std::string& path_;
  AlignedBuffer buf_;  // kAlign-aligned
  // Placed bytes are buf_[base_, base_ + len_) and belong at file offsets [start_, start_ + len_);
  // base_ == start_ % kAlign, so aligned file offsets fall on aligned addresses.
  size_t base_ = 0;
  uint64_t start_ = 0;
  size_t len_ = 0;
  size_t last_ = 0;  // bytes appended at buf_[base_ + len_], not yet placed
};

// pwrite of all of `data` at `offset` (retrying short writes and EINTR); errors name `path`.
Status PwriteAll(int fd, ByteSpan data, uint64_t offset, const std::string& path);

}  // namespace castor
