#include "castor/transfer/write_batch.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "castor/format/xorb/chunk_header.h"

namespace castor {

namespace {
constexpr size_t kCapacity = WriteBatch::kAlign + WriteBatch::kBatchBytes + kXorbMaxChunkBytes;
}  // namespace

Status PwriteAll(int fd, ByteSpan data, uint64_t offset, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::pwrite(fd, data.data(), data.size(), off_t(offset));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoError("write " + path, errno);
    }
    data = data.subspan(size_t(n));
    offset += uint64_t(n);
  }
  return Status::OK();
}

WriteBatch::WriteBatch(int fd, int direct_fd, std::atomic<bool>* direct_ok, const std::string& path)
    : fd_(fd), direct_fd_(direct_fd), direct_ok_(direct_ok), path_(path) {}

Result<MutableByteSpan> WriteBatch::Append(size_t n) {
  if (n == 0 || n > kXorbMaxChunkBytes) {
    return Corruption("a chunk of " + std::to_string(n) + " bytes");
  }
  if (!buf_) {
    buf_ = AllocateAligned(kAlign, kCapacity);
    if (!buf_) return ResourceExhausted("write buffer of " + std::to_string(kCapacity) + " bytes");
  }
  // Place() writes out once len_ reaches kBatchBytes, so base_ + len_ + n <= kCapacity.
  last_ = n;
  return MutableByteSpan(buf_.get() + base_ + len_, n);
}

Status WriteBatch::Place(uint64_t at) {
  if (len_ > 0 && start_ + len_ != at) {
    // Not contiguous with the batch: write the batch out; the chunk starts the next one.
    const size_t chunk_at = base_ + len_;
    CASTOR_RETURN_IF_ERROR(WriteOut(/*final=*/true));
    base_ = chunk_at;  // where the chunk is now; moved below
  }
  if (len_ == 0) {
    const size_t want = size_t(at % kAlign);
    if (want != base_) std::memmove(buf_.get() + want, buf_.get() + base_, last_);
    base_ = want;
    start_ = at;
  }
  len_ += last_;
  last_ = 0;
  if (len_ >= kBatchBytes) return WriteOut(/*final=*/false);
  return Status::OK();
}

Status WriteBatch::WriteDirect(ByteSpan data, uint64_t offset) {
  Status s = PwriteAll(direct_fd_, data, offset, path_);
  if (s.ok() || s.code() != StatusCode::kInvalidArgument) return s;
  // The filesystem does not take direct writes (or not with this alignment): buffered from now on.
  direct_ok_->store(false, std::memory_order_relaxed);
  return PwriteAll(fd_, data, offset, path_);
}

// Writes the batch: the aligned middle directly when possible, the edges buffered. Unless `final`,
// an unaligned tail stays in the batch (moved to its front), to be completed by the next chunks.
Status WriteBatch::WriteOut(bool final) {
  if (len_ == 0) return Status::OK();
  uint8_t* const data = buf_.get() + base_;
  const uint64_t end = start_ + len_;
  const uint64_t a0 = (start_ + kAlign - 1) / kAlign * kAlign;
  const uint64_t a1 = end / kAlign * kAlign;
  const bool direct = direct_fd_ >= 0 && a0 < a1 && direct_ok_->load(std::memory_order_relaxed);
  if (!direct) {
    Status s = PwriteAll(fd_, ByteSpan(data, len_), start_, path_);
    len_ = 0;
    return s;
  }
  Status s;
  if (start_ < a0) s = PwriteAll(fd_, ByteSpan(data, size_t(a0 - start_)), start_, path_);
  if (s.ok()) s = WriteDirect(ByteSpan(data + (a0 - start_), size_t(a1 - a0)), a0);
  if (s.ok() && a1 < end) {
    if (final) {
      s = PwriteAll(fd_, ByteSpan(data + (a1 - start_), size_t(end - a1)), a1, path_);
    } else {
      std::memmove(buf_.get(), data + (a1 - start_), size_t(end - a1));
      base_ = 0;
      start_ = a1;
      len_ = size_t(end - a1);
      return Status::OK();
    }
  }
  len_ = 0;
  return s;
}

}  // namespace castor
