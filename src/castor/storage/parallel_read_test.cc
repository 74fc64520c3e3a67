#include "castor/storage/parallel_read.h"

#include <gtest/gtest.h>

#include <mutex>

#include "castor/storage/memory_store.h"

namespace castor {
namespace {

TEST(ParallelRead, CoversTheRangeExactlyOnce) {
  auto store = NewMemoryStore();
  Bytes data(1'000'003);
  for (size_t i = 0; i < data.size(); ++i) data[i] = uint8_t(i * 7 + 3);
  ASSERT_TRUE(store->Put("k", data).ok());
  for (uint64_t chunk : {1ull, 4096ull, 333'333ull, 1ull << 30}) {
    Bytes out(data.size() - 10, 0);
    std::vector<int> hits(out.size(), 0);
    std::mutex mu;
    Status st = ParallelRead(*store, "k", 10, out.size(), {chunk == 1 ? 65536 : chunk, 4},
                             [&](uint64_t off, ByteSpan b) {
                               std::lock_guard l(mu);
                               for (size_t i = 0; i < b.size(); ++i) {
                                 out[off - 10 + i] = b[i];
                                 ++hits[off - 10 + i];
                               }
                               return Status::OK();
                             });
    ASSERT_TRUE(st.ok()) << st.ToString();
    EXPECT_TRUE(std::equal(out.begin(), out.end(), data.begin() + 10));
    EXPECT_EQ(std::count(hits.begin(), hits.end(), 1), int64_t(hits.size()));
  }
}

TEST(ParallelRead, StopsAtTheFirstErrorAndReportsIt) {
  auto store = NewMemoryStore();
  ASSERT_TRUE(store->Put("k", Bytes(1 << 20, 1)).ok());
  Status st = ParallelRead(*store, "k", 0, 1 << 20, {4096, 4}, [](uint64_t off, ByteSpan) {
    return off >= 500'000 ? IOError("disk full") : Status::OK();
  });
  EXPECT_EQ(st.code(), StatusCode::kIOError);
  EXPECT_EQ(st.message(), "disk full");
  // Asking for more than the object holds is an error, not a short success.
  st = ParallelRead(*store, "k", 0, (1 << 20) + 5, {4096, 2},
                    [](uint64_t, ByteSpan) { return Status::OK(); });
  EXPECT_FALSE(st.ok());
  EXPECT_EQ(
      ParallelRead(*store, "missing", 0, 10, {}, [](uint64_t, ByteSpan) { return Status::OK(); })
          .code(),
      StatusCode::kNotFound);
}

}  // namespace
}  // namespace castor
