#include "castor/storage/parallel_read.h"

#include <atomic>
#include <mutex>
#include <thread>
#include <vector>

namespace castor {

Status ParallelRead(ObjectStore& store, std::string_view key, uint64_t offset, uint64_t length,
                    const ParallelReadOptions& options, const OffsetSink& sink) {
  if (options.chunk_size == 0 || options.parallelism < 1)
    return InvalidArgument("parallel read: chunk_size and parallelism must be positive");
  if (length == 0) return Status::OK();
  const uint64_t chunks = (length + options.chunk_size - 1) / options.chunk_size;
  std::atomic<uint64_t> next{0};
  std::atomic<bool> failed{false};
  std::mutex mu;
  Status first_error;
  auto work = [&] {
    for (;;) {
      if (failed.load()) return;
      uint64_t i = next.fetch_add(1);
      if (i >= chunks) return;
      uint64_t start = offset + i * options.chunk_size;
      uint64_t len = std::min(options.chunk_size, offset + length - start);
      uint64_t at = start;
      Status st = store.ReadRange(key, start, len, [&](ByteSpan b) -> Status {
        if (failed.load()) return Cancelled("parallel read: another range failed");
        CASTOR_RETURN_IF_ERROR(sink(at, b));
        at += b.size();
        return Status::OK();
      });
      if (st.ok() && at != start + len)
        st = IOError("read " + std::string(key) + ": range at " + std::to_string(start) +
                     " ended after " + std::to_string(at - start) + " of " + std::to_string(len) +
                     " bytes (object shorter than expected?)");
      if (!st.ok()) {
        std::lock_guard lock(mu);
        // Keep the root cause, not the cancellations it triggered in other threads.
        if (first_error.ok() || first_error.code() == StatusCode::kCancelled) first_error = st;
        failed = true;
        return;
      }
    }
  };
  int threads = int(std::min<uint64_t>(chunks, uint64_t(options.parallelism)));
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  return first_error;
}

}  // namespace castor
