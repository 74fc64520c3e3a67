// Chunking and chunk hashing speed, beside simple peers measured in the same run:
//   - Chunker (skip-ahead + four hash chains) vs the literal byte-by-byte loop of spec §1.3;
//   - chunk + hash: whole-buffer chunking then hashing vs ScanBuffer (cache-blocked pipeline)
//     with one and two threads;
//   - keyed BLAKE3 on fixed 64 KiB pieces and SHA-256 (OpenSSL) for scale.
// Inputs are deterministic: SplitMix64 bytes ("random") and bf16-like weights ("bf16").
#include <benchmark/benchmark.h>

#include <cmath>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/chunking/gear_table.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"
#include "castor/transfer/file_scanner.h"

namespace castor {
namespace {

constexpr size_t kInput = size_t{256} << 20;

// bf16 values of a normal distribution (sigma 0.02), like a model's weight tensor.
Bytes Bf16Weights(size_t n, uint64_t seed) {
  SplitMix64 rng(seed);
  Bytes out(n);
  for (size_t i = 0; i + 1 < n; i += 2) {
    double u1 = (double(rng.Next() >> 11) + 1.0) / 9007199254740993.0;
    double u2 = double(rng.Next() >> 11) / 9007199254740992.0;
    float v = float(0.02 * std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2));
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    StoreLE16(&out[i], uint16_t(bits >> 16));
  }
  return out;
}

const Bytes& Input(int kind) {
  static const Bytes random = SplitMix64::Generate(kInput, 1);
  static const Bytes bf16 = Bf16Weights(kInput, 2);
  return kind == 0 ? random : bf16;
}

void SetLabel(benchmark::State& state, int kind) {
  state.SetLabel(kind == 0 ? "random" : "bf16");
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(kInput));
}

// Peer: the spec's pseudocode, one byte at a time, hashing every byte.
void BM_ChunkReferenceLoop(benchmark::State& state) {
  const Bytes& d = Input(int(state.range(0)));
  for (auto _ : state) {
    uint64_t h = 0;
    size_t start = 0, chunks = 0;
    for (size_t i = 0; i < d.size(); ++i) {
      h = (h << 1) + kGearTable[d[i]];
      size_t size = i + 1 - start;
      if (size >= kMinChunkSize && (size >= kMaxChunkSize || (h & kGearMask) == 0)) {
        ++chunks;
        start = i + 1;
        h = 0;
      }
    }
    benchmark::DoNotOptimize(chunks);
  }
  SetLabel(state, int(state.range(0)));
}
BENCHMARK(BM_ChunkReferenceLoop)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ChunkCastor(benchmark::State& state) {
  const Bytes& d = Input(int(state.range(0)));
  std::vector<size_t> ends;
  ends.reserve(kInput / kMinChunkSize);
  for (auto _ : state) {
    Chunker c;
    ends.clear();
    c.Scan(d, &ends);
    benchmark::DoNotOptimize(ends.data());
  }
  SetLabel(state, int(state.range(0)));
}
BENCHMARK(BM_ChunkCastor)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// Chunk the whole buffer first, then hash every chunk: data leaves the cache in between.
void BM_ChunkThenHashUnblocked(benchmark::State& state) {
  const Bytes& d = Input(int(state.range(0)));
  for (auto _ : state) {
    auto lengths = ChunkLengths(d);
    size_t off = 0;
    for (uint32_t l : lengths) {
      benchmark::DoNotOptimize(ChunkHash(ByteSpan(d).subspan(off, l)));
      off += l;
    }
  }
  SetLabel(state, int(state.range(0)));
}
BENCHMARK(BM_ChunkThenHashUnblocked)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

// castor's scanner over memory: cache-blocked chunk + hash, file id; args: kind, threads.
void BM_ScanBuffer(benchmark::State& state) {
  const Bytes& d = Input(int(state.range(0)));
  ScanOptions o;
  o.sha256 = false;
  o.keep_chunks = false;
  o.threads = int(state.range(1));
  for (auto _ : state) {
    auto r = ScanBuffer(d, o);
    benchmark::DoNotOptimize(r.ok());
  }
  SetLabel(state, int(state.range(0)));
}
BENCHMARK(BM_ScanBuffer)
    ->Args({0, 1})
    ->Args({0, 2})
    ->Args({1, 1})
    ->Args({1, 2})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_Blake3Keyed64KiB(benchmark::State& state) {
  const Bytes& d = Input(0);
  for (auto _ : state) {
    for (size_t off = 0; off + 65536 <= d.size(); off += 65536) {
      benchmark::DoNotOptimize(ChunkHash(ByteSpan(d).subspan(off, 65536)));
    }
  }
  SetLabel(state, 0);
}
BENCHMARK(BM_Blake3Keyed64KiB)->Unit(benchmark::kMillisecond);

void BM_Sha256(benchmark::State& state) {
  const Bytes& d = Input(0);
  for (auto _ : state) benchmark::DoNotOptimize(Sha256::Of(d));
  SetLabel(state, 0);
}
BENCHMARK(BM_Sha256)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace castor

BENCHMARK_MAIN();
