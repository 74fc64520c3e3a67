// Encoding and decoding of one chunk record (header + payload) in the three compression schemes,
// with the choice of scheme per chunk. Neither class is safe for concurrent use (each keeps
// liblz4 contexts and scratch buffers); use one per thread.
#pragma once

#include <cstdint>
#include <string_view>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/format/xorb/chunk_header.h"
#include "castor/format/xorb/lz4_frame.h"
#include "castor/format/xorb/scheme_predictor.h"

namespace castor {

// How ChunkEncoder picks a scheme. Every policy stores the chunk raw (scheme none) when the
// chosen codec does not make it smaller, as the protocol requires.
enum class CompressionPolicy {
  kNone,     // always raw
  kLz4,      // LZ4 only
  kBg4Lz4,   // BG4 + LZ4 only
  kPredict,  // one codec per chunk, picked by PredictScheme (the default: one compression);
             // within a run of numeric chunks only every kNumericRecheck-th is predicted
             // (see ChunkEncoder)
  kBestOf,   // both codecs, keep the smaller (two compressions per chunk; a reference point)
};

// The names the command line uses for the policies: predict, best, lz4, bg4, none.
std::string_view CompressionPolicyName(CompressionPolicy p);
// The policy a name stands for; InvalidArgument listing the names otherwise.
Result<CompressionPolicy> ParseCompressionPolicy(std::string_view name);

// Under kPredict, once kNumericRunToTrust chunks in a row were predicted BG4 decisively (every
// quarter of the sample numeric, no trial compression needed) and came out compressed, the
// following chunks are taken as BG4 without a prediction, except every kNumericRecheck-th,
// which is predicted again; a verdict other than a decisive BG4, or a BG4 frame no smaller than
// its chunk, ends the run. Weights files are runs of thousands of such chunks, and the
// prediction costs 7-10% of a BG4 compression of bf16 weights (2.4% of a build when every 4th
// chunk was predicted, by perf; under 1% now); the price is that at most
// kNumericRecheck - 1 chunks after numeric data ends (a text file after a weights file) are
// compressed with BG4 instead of LZ4 (still compressed, and never stored larger than raw). So
// an encoder's choice for a chunk depends on the chunks it encoded before (deterministically:
// the same sequence of chunks always gives the same records).
inline constexpr int kNumericRunToTrust = 2;
inline constexpr int kNumericRecheck = 16;

// After kRawRunToTrust chunks in a row came out no smaller than they are (random or
// already-compressed bytes), a chunk whose prediction sample has at least kRawEntropyBits bits
// per byte is stored raw without the LZ4 attempt; a sample that looks compressible, or a chunk
// that compresses, ends the run. On random data the failed attempts cost about 0.1 CPU seconds
// per GiB; since the sample is still taken for every chunk, compressible data after a random
// stretch is compressed from its first chunk on.
inline constexpr int kRawRunToTrust = 2;
inline constexpr double kRawEntropyBits = 7.9;

class ChunkEncoder {
 public:
  explicit ChunkEncoder(CompressionPolicy policy = CompressionPolicy::kPredict) : policy_(policy) {}

  // Appends the chunk record (8-byte header + payload) for `chunk` to *out and returns its
  // header. InvalidArgument unless 1 <= chunk.size() <= 131072.
  Result<ChunkHeader> Append(ByteSpan chunk, Bytes* out);

  // Writes the chunk record at `dst`, which must have room for MaxRecordSize(chunk.size())
  // bytes; the record's length is 8 + the returned header's compressed_size. With
  // `copy_raw_payload` false, a chunk that ends up stored raw gets only its header at `dst`: for
  // a caller whose raw record is already where the result goes (an in-place recompression).
  Result<ChunkHeader> Encode(ByteSpan chunk, uint8_t* dst, bool copy_raw_payload = true);
  static size_t MaxRecordSize(size_t chunk_size);

  CompressionPolicy policy() const { return policy_; }
  // Codec runs so far (a kBestOf chunk counts two, a chunk stored raw untried none).
  uint64_t compressions() const { return compressions_; }

 private:
  // Compresses with one codec at dst (capacity Lz4FrameEncoder::Bound); returns the length.
  Result<size_t> CompressWith(CompressionScheme s, ByteSpan chunk, uint8_t* dst);
  // The scheme to try under kPredict, from the predictor or the current numeric run; kNone for
  // a random-looking chunk inside a run of incompressible ones (stored raw untried).
  CompressionScheme NextPredictedScheme(ByteSpan chunk);

  CompressionPolicy policy_;
  Lz4FrameEncoder lz4_;
  SchemePredictor predictor_;
  Bytes grouped_;        // BG4 staging
  Bytes frame_;          // compressed candidate
  Bytes trial_;          // second candidate under kBestOf
  int numeric_run_ = 0;  // decisive BG4 predictions in a row (kPredict)
  int unchecked_ = 0;    // chunks taken as BG4 since the last prediction
  int raw_run_ = 0;      // chunks in a row stored raw (kPredict)
  uint64_t compressions_ = 0;
};

class ChunkDecoder {
 public:
  // Decodes `payload` (header.compressed_size bytes) into `out` (header.uncompressed_size
  // bytes). Corruption when the payload does not decode to exactly that many bytes.
  Status Decode(const ChunkHeader& header, ByteSpan payload, MutableByteSpan out);

  // The decoded chunk: `payload` itself for scheme none (no copy), otherwise an internal buffer
  // that stays valid until the next call on this decoder.
  Result<ByteSpan> View(const ChunkHeader& header, ByteSpan payload);

 private:
  Lz4FrameDecoder lz4_;
  Bytes view_;
};

}  // namespace castor
