// Xorb encoding and decoding speed and compression ratios, on deterministic inputs chunked the
// way an upload chunks them (castor's CDC):
//   - decode: every chunk of a xorb of bf16 weights (BG4 + LZ4 frames, regrouped) into a reused
//     buffer; of random bytes stored raw, as a zero-copy view (what a download writes out) and
//     copied; a memcpy of the same bytes for scale;
//   - build: XorbBuilder on random bytes (LZ4 tried and given up, then stored raw) and on bf16
//     weights (predicted BG4), with the chunk hashes given (an upload hashes while chunking);
//     with trying both codecs on every chunk for comparison.
//   - recompress: CompressXorbInPlace on a xorb of random bytes packed raw (a push's upload step).
// Peers: liblz4's frame API alone on the same bytes, here (BM_Peer*); and the lz4 command line
// tool's benchmark mode on the same files, in bench/compare-format.sh, which prints it all.
//
//   format_bench [benchmark flags]         run the benchmarks (32 MiB per input)
//   format_bench write-data DIR            write DIR/{bf16,random,bf16-grouped}.bin (the inputs;
//                                          bf16-grouped.bin is bf16 byte-grouped per chunk)
//   format_bench ratios                    print compression ratios on bf16 per policy
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

#include "castor/base/splitmix64.h"
#include "castor/chunking/chunker.h"
#include "castor/format/testing/synthetic_data.h"
#include "castor/format/xorb/bg4.h"
#include "castor/format/xorb/scheme_predictor.h"
#include "castor/format/xorb/xorb_builder.h"
#include "castor/format/xorb/xorb_reader.h"
#include "castor/transfer/xorb_compress.h"

namespace castor {
namespace {

constexpr size_t kInput = size_t{32} << 20;

struct Input {
  Bytes data;
  std::vector<uint32_t> lengths;  // CDC chunk lengths
  std::vector<Hash> hashes;
};

Input MakeInput(Bytes data) {
  Input in;
  in.data = std::move(data);
  in.lengths = ChunkLengths(in.data);
  size_t pos = 0;
  for (uint32_t n : in.lengths) {
    in.hashes.push_back(ChunkHash(ByteSpan(in.data).subspan(pos, n)));
    pos += n;
  }
  return in;
}

const Input& Bf16() {
  static const Input in = MakeInput(SyntheticBf16Weights(kInput, 1));
  return in;
}
const Input& Random() {
  static const Input in = MakeInput(SplitMix64::Generate(kInput, 2));
  return in;
}

// Packs an input into xorbs under a policy.
std::vector<SerializedXorb> Pack(const Input& in, CompressionPolicy policy) {
  XorbBuilder b(XorbBuilderOptions{.compression = policy});
  std::vector<SerializedXorb> out;
  size_t pos = 0;
  for (size_t i = 0; i < in.lengths.size(); ++i) {
    auto r = b.Add(ByteSpan(in.data).subspan(pos, in.lengths[i]), in.hashes[i]);
    if (*r) out.push_back(std::move(**r));
    pos += in.lengths[i];
  }
  if (auto last = b.Finish()) out.push_back(std::move(*last));
  return out;
}

void Decode(benchmark::State& state, const Input& in, CompressionPolicy policy, bool view) {
  std::vector<SerializedXorb> xorbs = Pack(in, policy);
  std::vector<XorbReader> readers;
  for (const auto& x : xorbs) readers.push_back(*XorbReader::Parse(x.bytes));
  ChunkDecoder dec;
  Bytes out(kXorbMaxChunkBytes);
  for (auto _ : state) {
    for (const XorbReader& r : readers) {
      for (const XorbChunkRecord& c : r.chunks()) {
        if (view) {
          auto v = dec.View(c.header, c.payload);
          benchmark::DoNotOptimize(v->data());
        } else {
          Status s = dec.Decode(c.header, c.payload,
                                MutableByteSpan(out.data(), c.header.uncompressed_size));
          if (!s.ok()) state.SkipWithError(s.ToString().c_str());
          benchmark::DoNotOptimize(out.data());
        }
      }
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.data.size()));
}

void BM_DecodeBf16(benchmark::State& s) { Decode(s, Bf16(), CompressionPolicy::kPredict, false); }
void BM_DecodeStoredView(benchmark::State& s) {
  Decode(s, Random(), CompressionPolicy::kPredict, true);
}
void BM_DecodeStoredCopy(benchmark::State& s) {
  Decode(s, Random(), CompressionPolicy::kPredict, false);
}

// memcpy of the same chunks into the same reused buffer: the floor for any copying decoder.
void BM_MemcpyChunks(benchmark::State& state) {
  const Input& in = Random();
  Bytes out(kXorbMaxChunkBytes);
  for (auto _ : state) {
    size_t pos = 0;
    for (uint32_t n : in.lengths) {
      std::memcpy(out.data(), in.data.data() + pos, n);
      benchmark::DoNotOptimize(out.data());
      pos += n;
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.data.size()));
}

// An uploader's steady state: one builder, each finished xorb's memory handed back.
void Build(benchmark::State& state, const Input& in, CompressionPolicy policy) {
  XorbBuilder b(XorbBuilderOptions{.compression = policy});
  size_t serialized = 0;
  auto done = [&](SerializedXorb&& x) {
    serialized += x.bytes.size();
    b.Recycle(std::move(x.bytes));
  };
  for (auto _ : state) {
    serialized = 0;
    size_t pos = 0;
    for (size_t i = 0; i < in.lengths.size(); ++i) {
      auto r = b.Add(ByteSpan(in.data).subspan(pos, in.lengths[i]), in.hashes[i]);
      if (*r) done(std::move(**r));
      pos += in.lengths[i];
    }
    if (auto last = b.Finish()) done(std::move(*last));
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.data.size()));
  state.counters["ratio"] = double(in.data.size()) / double(serialized);
}

void BM_BuildRandom(benchmark::State& s) { Build(s, Random(), CompressionPolicy::kPredict); }

// A push's upload step on incompressible data: CompressXorbInPlace over a xorb packed raw. Every
// chunk stays raw where it is, so the same xorb serves every iteration unchanged.
void BM_RecompressRandomInPlace(benchmark::State& state) {
  const Input& in = Random();
  std::vector<SerializedXorb> xorbs = Pack(in, CompressionPolicy::kNone);
  ChunkEncoder enc(CompressionPolicy::kPredict);
  Bytes scratch;
  for (auto _ : state) {
    for (SerializedXorb& x : xorbs) {
      Status st = CompressXorbInPlace(x, enc, scratch);
      if (!st.ok()) state.SkipWithError(st.ToString().c_str());
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.data.size()));
}
void BM_BuildBf16(benchmark::State& s) { Build(s, Bf16(), CompressionPolicy::kPredict); }
void BM_BuildBf16BestOf(benchmark::State& s) { Build(s, Bf16(), CompressionPolicy::kBestOf); }
void BM_BuildBf16Bg4Only(benchmark::State& s) { Build(s, Bf16(), CompressionPolicy::kBg4Lz4); }
void BM_BuildBf16Lz4Only(benchmark::State& s) { Build(s, Bf16(), CompressionPolicy::kLz4); }

// The stages of a BG4 build on their own, over every bf16 chunk (the breakdown of BM_BuildBf16
// beside BM_PeerLz4CompressGrouped): the scheme prediction, and the byte grouping into a
// reused buffer.
void BM_StagePredictBf16(benchmark::State& state) {
  const Input& in = Bf16();
  SchemePredictor p;
  size_t bg4 = 0;
  for (auto _ : state) {
    bg4 = 0;
    size_t pos = 0;
    for (uint32_t n : in.lengths) {
      bg4 += p.Predict(ByteSpan(in.data).subspan(pos, n)).scheme == CompressionScheme::kBg4Lz4;
      pos += n;
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.data.size()));
  state.counters["bg4_chunks"] = double(bg4);
}

void BM_StageBg4SplitBf16(benchmark::State& state) {
  const Input& in = Bf16();
  Bytes out(kXorbMaxChunkBytes);
  for (auto _ : state) {
    size_t pos = 0;
    for (uint32_t n : in.lengths) {
      Bg4Split(ByteSpan(in.data).subspan(pos, n), out.data());
      benchmark::DoNotOptimize(out.data());
      pos += n;
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(in.data.size()));
}

// Peers in the same process: liblz4's frame API alone, chunk by chunk, on the bytes castor's
// stages work on (grouped bf16 for BG4, plain bf16, random): what `lz4 -b` measures, without
// the CLI, timed like castor (CPU time).
const Bytes& Grouped() {
  static const Bytes g = [] {
    const Input& in = Bf16();
    Bytes out(in.data.size());
    size_t pos = 0;
    for (uint32_t n : in.lengths) {
      Bg4Split(ByteSpan(in.data).subspan(pos, n), out.data() + pos);
      pos += n;
    }
    return out;
  }();
  return g;
}

void PeerCompress(benchmark::State& state, ByteSpan data, const std::vector<uint32_t>& lengths) {
  Lz4FrameEncoder enc;
  Bytes out(Lz4FrameEncoder::Bound(kXorbMaxChunkBytes));
  size_t total = 0;
  for (auto _ : state) {
    total = 0;
    size_t pos = 0;
    for (uint32_t n : lengths) {
      total += *enc.Compress(data.subspan(pos, n), out.data(), out.size());
      pos += n;
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(data.size()));
  state.counters["ratio"] = double(data.size()) / double(total);
}

void PeerDecompress(benchmark::State& state, ByteSpan data, const std::vector<uint32_t>& lengths) {
  Lz4FrameEncoder enc;
  std::vector<Bytes> frames;
  size_t pos = 0;
  for (uint32_t n : lengths) {
    Bytes f(Lz4FrameEncoder::Bound(n));
    f.resize(*enc.Compress(data.subspan(pos, n), f.data(), f.size()));
    frames.push_back(std::move(f));
    pos += n;
  }
  Lz4FrameDecoder dec;
  Bytes out(kXorbMaxChunkBytes);
  for (auto _ : state) {
    for (size_t i = 0; i < frames.size(); ++i) {
      Status s = dec.Decompress(frames[i], MutableByteSpan(out.data(), lengths[i]));
      if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    }
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(data.size()));
}

void BM_PeerLz4DecompressGrouped(benchmark::State& s) {
  PeerDecompress(s, Grouped(), Bf16().lengths);
}
void BM_PeerLz4CompressGrouped(benchmark::State& s) { PeerCompress(s, Grouped(), Bf16().lengths); }
void BM_PeerLz4CompressRandom(benchmark::State& s) {
  PeerCompress(s, Random().data, Random().lengths);
}
void BM_PeerLz4CompressBf16(benchmark::State& s) { PeerCompress(s, Bf16().data, Bf16().lengths); }

BENCHMARK(BM_DecodeBf16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PeerLz4DecompressGrouped)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PeerLz4CompressGrouped)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PeerLz4CompressRandom)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_PeerLz4CompressBf16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeStoredView)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_DecodeStoredCopy)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MemcpyChunks)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildRandom)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_RecompressRandomInPlace)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildBf16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildBf16BestOf)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildBf16Bg4Only)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_BuildBf16Lz4Only)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StagePredictBf16)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StageBg4SplitBf16)->Unit(benchmark::kMillisecond);

bool WriteFile(const std::string& path, ByteSpan b) {
  std::ofstream out(path, std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), std::streamsize(b.size()));
  return bool(out);
}

int WriteData(const std::string& dir) {
  const Input& bf16 = Bf16();
  Bytes grouped(bf16.data.size());
  size_t pos = 0;
  for (uint32_t n : bf16.lengths) {
    Bg4Split(ByteSpan(bf16.data).subspan(pos, n), grouped.data() + pos);
    pos += n;
  }
  bool ok = WriteFile(dir + "/bf16.bin", bf16.data) &&
            WriteFile(dir + "/random.bin", Random().data) &&
            WriteFile(dir + "/bf16-grouped.bin", grouped);
  if (!ok) std::fprintf(stderr, "format_bench: cannot write to %s\n", dir.c_str());
  return ok ? 0 : 1;
}

int Ratios() {
  const Input& in = Bf16();
  std::printf("policy ratio serialized_bytes (bf16-like weights, %zu bytes, %zu CDC chunks)\n",
              in.data.size(), in.lengths.size());
  struct P {
    const char* name;
    CompressionPolicy policy;
  } policies[] = {{"none", CompressionPolicy::kNone},
                  {"lz4", CompressionPolicy::kLz4},
                  {"bg4-lz4", CompressionPolicy::kBg4Lz4},
                  {"castor-choice", CompressionPolicy::kPredict},
                  {"best-of-both", CompressionPolicy::kBestOf}};
  for (const P& p : policies) {
    size_t serialized = 0;
    for (const auto& x : Pack(in, p.policy)) serialized += x.bytes.size();
    std::printf("%s %.4f %zu\n", p.name, double(in.data.size()) / double(serialized), serialized);
  }
  return 0;
}

}  // namespace
}  // namespace castor

int main(int argc, char** argv) {
  if (argc == 3 && std::string(argv[1]) == "write-data") return castor::WriteData(argv[2]);
  if (argc == 2 && std::string(argv[1]) == "ratios") return castor::Ratios();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
