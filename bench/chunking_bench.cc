// Chunking and chunk hashing speed, beside simple peers measured in the same run:
//   - Chunker (skip-ahead + four hash chains) vs the literal byte-by-byte loop of spec §1.3;
//   - chunk + hash: whole-buffer chunking then hashing vs ScanBuffer (cache-blocked pipeline)
//     with one and two threads;
//   - keyed BLAKE3 on fixed 64 KiB pieces and SHA-256 (OpenSSL) for scale.
// Inputs are deterministic: SplitMix64 bytes ("random") and bf16-like weights ("bf16"), 256 MiB
// generated in memory, or the files named by CASTOR_BENCH_RANDOM / CASTOR_BENCH_BF16.
//
// `chunking_bench generate random|bf16 BYTES PATH` writes those inputs to a file instead (used
// by bench/compare.sh, so that every program compared reads the same bytes).
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/chunking/gear_table.h"
#include "castor/hash/sha256.h"
#include "castor/hash/xet_hash.h"
#include "castor/transfer/file_scanner.h"

namespace castor {
namespace {

constexpr size_t kDefaultInput = size_t{256} << 20;

// bf16 weights: a sum of four uniform 16-bit values (close to a normal distribution) scaled to a
// standard deviation of about 0.02, like a model's weight tensor, truncated to bf16, little-endian.
// `state` continues across calls so that a file can be written piece by piece.
void FillBf16(MutableByteSpan out, SplitMix64& rng) {
  for (size_t i = 0; i + 1 < out.size(); i += 2) {
    uint64_t r = rng.Next();
    double sum = double(r & 0xFFFF) + double((r >> 16) & 0xFFFF) + double((r >> 32) & 0xFFFF) +
                 double(r >> 48);
    // Mean 4 * 32767.5, standard deviation 2 * 65536 / sqrt(12).
    float v = float((sum - 131070.0) / 37837.2 * 0.02);
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    StoreLE16(&out[i], uint16_t(bits >> 16));
  }
}

Bytes Generate(int kind, size_t n) {
  Bytes out(n);
  SplitMix64 rng(kind == 0 ? 1 : 2);
  if (kind == 0) {
    rng.Fill(out);
  } else {
    FillBf16(out, rng);
  }
  return out;
}

Bytes LoadOrGenerate(int kind) {
  const char* path = std::getenv(kind == 0 ? "CASTOR_BENCH_RANDOM" : "CASTOR_BENCH_BF16");
  if (!path || !*path) return Generate(kind, kDefaultInput);
  std::ifstream in(path, std::ios::binary);
  Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (data.empty()) {
    std::fprintf(stderr, "cannot read %s\n", path);
    std::exit(1);
  }
  return data;
}

const Bytes& Input(int kind) {
  static const Bytes random = LoadOrGenerate(0);
  static const Bytes bf16 = LoadOrGenerate(1);
  return kind == 0 ? random : bf16;
}

void SetLabel(benchmark::State& state, int kind) {
  state.SetLabel(kind == 0 ? "random" : "bf16");
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(Input(kind).size()));
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

// Peer: the plain scalar loop with xet-core's skip-ahead (8127 bytes not hashed per chunk).
void BM_ChunkScalarSkip(benchmark::State& state) {
  const Bytes& d = Input(int(state.range(0)));
  for (auto _ : state) {
    size_t chunks = 0, i = 0;
    while (i < d.size()) {
      size_t start = i, end = std::min(d.size(), i + kMaxChunkSize);
      i = std::min(end, i + kMinChunkSize - 64 - 1);
      uint64_t h = 0;
      for (; i < end; ++i) {
        h = (h << 1) + kGearTable[d[i]];
        if ((h & kGearMask) == 0 && i + 1 - start >= kMinChunkSize) break;
      }
      i = i < end ? i + 1 : end;
      ++chunks;
    }
    benchmark::DoNotOptimize(chunks);
  }
  SetLabel(state, int(state.range(0)));
}
BENCHMARK(BM_ChunkScalarSkip)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_ChunkCastor(benchmark::State& state) {
  const Bytes& d = Input(int(state.range(0)));
  std::vector<size_t> ends;
  ends.reserve(d.size() / kMinChunkSize + 1);
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

// `generate random|bf16 BYTES PATH`: writes a deterministic input file with bounded memory.
int GenerateFile(int argc, char** argv) {
  if (argc != 5 || (std::string(argv[2]) != "random" && std::string(argv[2]) != "bf16")) {
    std::fprintf(stderr, "usage: %s generate random|bf16 BYTES PATH\n", argv[0]);
    return 2;
  }
  const bool random = std::string(argv[2]) == "random";
  uint64_t left = std::strtoull(argv[3], nullptr, 10);
  std::FILE* f = std::fopen(argv[4], "wb");
  if (!f) {
    std::perror(argv[4]);
    return 1;
  }
  castor::SplitMix64 rng(random ? 1 : 2);
  castor::Bytes buf(size_t{1} << 20);
  while (left > 0) {
    size_t n = size_t(std::min<uint64_t>(left, buf.size()));
    castor::MutableByteSpan piece(buf.data(), n);
    if (random) {
      rng.Fill(piece);
    } else {
      castor::FillBf16(piece, rng);
    }
    if (std::fwrite(buf.data(), 1, n, f) != n) {
      std::perror(argv[4]);
      return 1;
    }
    left -= n;
  }
  return std::fclose(f) == 0 ? 0 : 1;
}

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "generate") return GenerateFile(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
