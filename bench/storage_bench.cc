// Local-directory store reads against the page cache, beside the peer that bounds them: plain
// pread() of the same file into a reused buffer, measured in the same run. The file (256 MiB) is
// read once first so both sides read from memory. The reused buffers come page-aligned and, for
// comparison, 16 bytes past a page boundary (where malloc puts a large buffer): some x86 CPUs
// copy out of the page cache several times slower into the latter (4 KiB store/load aliasing in
// the kernel's copy loop).
//   build/bench/storage_bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <fcntl.h>
#include <unistd.h>

#include <filesystem>
#include <random>

#include "castor/storage/local_store.h"

namespace castor {
namespace {

constexpr uint64_t kFileSize = 256ull << 20;

struct Fixture {
  std::filesystem::path dir;
  std::unique_ptr<ObjectStore> store;
  std::string path;
  Fixture() {
    dir = std::filesystem::temp_directory_path() / ("castor-bench-" + std::to_string(::getpid()));
    store = std::move(OpenLocalStore(dir.string(), {.sync = false})).value();
    Bytes data(kFileSize);
    std::mt19937_64 rng(1);
    for (size_t i = 0; i + 8 <= data.size(); i += 8) {
      uint64_t v = rng();
      std::memcpy(&data[i], &v, 8);
    }
    (void)store->Put("xorbs/default/bench", data);
    path = (dir / "xorbs/default/bench").string();
    (void)store->Get("xorbs/default/bench");  // warm the page cache
  }
  ~Fixture() { std::filesystem::remove_all(dir); }
};

Fixture& F() {
  static Fixture f;
  return f;
}

// Offsets of `range`-sized reads spread over the file (stride of a prime number of pages).
uint64_t OffsetOf(uint64_t i, uint64_t range) {
  uint64_t slots = kFileSize / range;
  return ((i * 7919) % slots) * range;
}

void BM_Castor_GetRange(benchmark::State& state) {
  auto& f = F();
  uint64_t range = uint64_t(state.range(0));
  uint64_t i = 0;
  for (auto _ : state) {
    auto r = f.store->GetRange("xorbs/default/bench", OffsetOf(i++, range), range);
    if (!r.ok() || r->size() != range) state.SkipWithError("read failed");
    benchmark::DoNotOptimize(r->data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * range));
}

void BM_Castor_ReadRange(benchmark::State& state) {
  auto& f = F();
  uint64_t range = uint64_t(state.range(0));
  uint64_t i = 0, sum = 0;
  for (auto _ : state) {
    Status st =
        f.store->ReadRange("xorbs/default/bench", OffsetOf(i++, range), range, [&](ByteSpan b) {
          sum += b[0];
          return Status::OK();
        });
    if (!st.ok()) state.SkipWithError("read failed");
  }
  benchmark::DoNotOptimize(sum);
  state.SetBytesProcessed(int64_t(state.iterations() * range));
}

// ReadInto a reused page-aligned buffer (what castor serve does for each piece of a byte range).
void BM_Castor_ReadInto(benchmark::State& state) {
  auto& f = F();
  uint64_t range = uint64_t(state.range(0));
  const size_t piece = size_t(std::min<uint64_t>(range, 1 << 20));
  AlignedBuffer buf = AllocateAligned(4096, piece);
  uint64_t i = 0;
  for (auto _ : state) {
    uint64_t off = OffsetOf(i++, range), done = 0;
    while (done < range) {
      auto n =
          f.store->ReadInto("xorbs/default/bench", off + done,
                            MutableByteSpan(buf.get(), std::min<uint64_t>(piece, range - done)));
      if (!n.ok() || *n == 0) {
        state.SkipWithError("read failed");
        break;
      }
      done += *n;
    }
    benchmark::DoNotOptimize(buf.get());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * range));
}

// The peer: open + pread into a buffer allocated per call (what GetRange must do) ...
void BM_Peer_Pread(benchmark::State& state) {
  auto& f = F();
  uint64_t range = uint64_t(state.range(0));
  uint64_t i = 0;
  for (auto _ : state) {
    int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    Bytes buf(range);
    uint64_t off = OffsetOf(i++, range), done = 0;
    while (done < range) {
      ssize_t n = ::pread(fd, buf.data() + done, range - done, off_t(off + done));
      if (n <= 0) break;
      done += uint64_t(n);
    }
    ::close(fd);
    benchmark::DoNotOptimize(buf.data());
  }
  state.SetBytesProcessed(int64_t(state.iterations() * range));
}

// ... and the floor of any copy out of the page cache: pread into one reused buffer, starting on
// a page (arg 2 = 0) or 16 bytes past one (arg 2 = 16).
void BM_Peer_PreadReusedBuffer(benchmark::State& state) {
  auto& f = F();
  uint64_t range = uint64_t(state.range(0));
  const size_t skew = size_t(state.range(1));
  const size_t piece = size_t(std::min<uint64_t>(range, 1 << 20));
  int fd = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
  AlignedBuffer mem = AllocateAligned(4096, piece + 4096);
  uint8_t* buf = mem.get() + skew;
  uint64_t i = 0;
  for (auto _ : state) {
    uint64_t off = OffsetOf(i++, range), done = 0;
    while (done < range) {
      ssize_t n = ::pread(fd, buf, std::min<uint64_t>(piece, range - done), off_t(off + done));
      if (n <= 0) break;
      done += uint64_t(n);
    }
    benchmark::DoNotOptimize(buf);
  }
  ::close(fd);
  state.SetBytesProcessed(int64_t(state.iterations() * range));
}

#define RANGES ->Arg(64 << 10)->Arg(1 << 20)->Arg(16 << 20)->UseRealTime()
BENCHMARK(BM_Castor_GetRange) RANGES;
BENCHMARK(BM_Peer_Pread) RANGES;
BENCHMARK(BM_Castor_ReadRange) RANGES;
BENCHMARK(BM_Castor_ReadInto) RANGES;
BENCHMARK(BM_Peer_PreadReusedBuffer)
    ->ArgsProduct({{64 << 10, 1 << 20, 16 << 20}, {0, 16}})
    ->UseRealTime();

}  // namespace
}  // namespace castor

BENCHMARK_MAIN();
