#include "castor/format/xorb/chunk_codec.h"

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "castor/format/xorb/bg4.h"
#include "castor/format/xorb/scheme_predictor.h"

namespace castor {

namespace {

// Every policy with its command-line name, in the order the help and errors list them.
constexpr std::pair<CompressionPolicy, std::string_view> kPolicyNames[] = {
    {CompressionPolicy::kPredict, "predict"}, {CompressionPolicy::kBestOf, "best"},
    {CompressionPolicy::kLz4, "lz4"},         {CompressionPolicy::kBg4Lz4, "bg4"},
    {CompressionPolicy::kNone, "none"},
};

}  // namespace

std::string_view CompressionPolicyName(CompressionPolicy p) {
  for (const auto& [policy, name] : kPolicyNames) {
    if (policy == p) return name;
  }
  return "?";
}

Result<CompressionPolicy> ParseCompressionPolicy(std::string_view name) {
  std::string names;
  for (const auto& [policy, policy_name] : kPolicyNames) {
    if (name == policy_name) return policy;
    names += (names.empty() ? "" : ", ") + std::string(policy_name);
  }
  return InvalidArgument("compression: expected one of " + names + "; got \"" + std::string(name) +
                         "\"");
}

Result<size_t> ChunkEncoder::CompressWith(CompressionScheme s, ByteSpan chunk, uint8_t* dst) {
  ++compressions_;
  size_t cap = Lz4FrameEncoder::Bound(chunk.size());
  if (s == CompressionScheme::kLz4) return lz4_.Compress(chunk, dst, cap);
  // Grown only, never shrunk: resizing per chunk would zero-fill the regrown part every time.
  if (grouped_.size() < chunk.size()) grouped_.resize(chunk.size());
  Bg4Split(chunk, grouped_.data());
  return lz4_.Compress(ByteSpan(grouped_.data(), chunk.size()), dst, cap);
}

CompressionScheme ChunkEncoder::NextPredictedScheme(ByteSpan chunk) {
  if (numeric_run_ >= kNumericRunToTrust && unchecked_ + 1 < kNumericRecheck) {
    ++unchecked_;
    return CompressionScheme::kBg4Lz4;
  }
  unchecked_ = 0;
  SchemePrediction p = predictor_.Predict(chunk);
  // Decisive: a chunk large enough for four sampled quarters, each of them numeric.
  const bool decisive =
      p.scheme == CompressionScheme::kBg4Lz4 && !p.trial && p.best_segment_gain >= 0;
  numeric_run_ = decisive ? numeric_run_ + 1 : 0;
  if (raw_run_ >= kRawRunToTrust && p.scheme == CompressionScheme::kLz4 &&
      p.pooled_entropy >= kRawEntropyBits) {
    return CompressionScheme::kNone;  // inside a raw run and random-looking: not worth a try
  }
  return p.scheme;
}

size_t ChunkEncoder::MaxRecordSize(size_t chunk_size) {
  return kChunkHeaderSize + std::max(chunk_size, Lz4FrameEncoder::Bound(chunk_size));
}

Result<ChunkHeader> ChunkEncoder::Append(ByteSpan chunk, Bytes* out) {
  const size_t base = out->size();
  out->resize(base + MaxRecordSize(chunk.size()));
  Result<ChunkHeader> h = Encode(chunk, out->data() + base);
  out->resize(h.ok() ? base + kChunkHeaderSize + h->compressed_size : base);
  return h;
}

Result<ChunkHeader> ChunkEncoder::Encode(ByteSpan chunk, uint8_t* dst, bool copy_raw_payload) {
  const size_t n = chunk.size();
  if (n == 0 || n > kXorbMaxChunkBytes) {
    return InvalidArgument("chunk of " + std::to_string(n) + " bytes: must be 1..131072");
  }
  // Where the outcome is uncertain (plain LZ4 on data that may be random, or two candidates),
  // candidates are compressed into small scratch buffers that stay in cache and only the winner
  // (or the raw chunk) is written to `dst`, so incompressible data is written out once. BG4 is
  // only picked for numeric data, whose exponent bytes compress: that frame goes straight to
  // `dst` (MaxRecordSize leaves room for the frame bound), saving a copy of the whole payload.
  const size_t bound = Lz4FrameEncoder::Bound(n);
  if (frame_.size() < bound) frame_.resize(bound);
  ChunkHeader h;
  h.uncompressed_size = uint32_t(n);
  h.scheme = CompressionScheme::kNone;
  const uint8_t* payload = chunk.data();
  size_t len = n;
  switch (policy_) {
    case CompressionPolicy::kNone:
      break;
    case CompressionPolicy::kLz4:
    case CompressionPolicy::kBg4Lz4:
    case CompressionPolicy::kPredict: {
      CompressionScheme s = policy_ == CompressionPolicy::kLz4      ? CompressionScheme::kLz4
                            : policy_ == CompressionPolicy::kBg4Lz4 ? CompressionScheme::kBg4Lz4
                                                                    : NextPredictedScheme(chunk);
      if (s == CompressionScheme::kNone) break;  // stored raw untried: see kRawRunToTrust
      if (s == CompressionScheme::kBg4Lz4) {
        CASTOR_ASSIGN_OR_RETURN(size_t c, CompressWith(s, chunk, dst + kChunkHeaderSize));
        if (c < n) {
          raw_run_ = 0;
          h.scheme = s;
          h.compressed_size = uint32_t(c);
          EncodeChunkHeader(h, dst);
          return h;
        }
        numeric_run_ = 0;  // not numeric after all (or not compressible): predict again
        ++raw_run_;
        break;  // stored raw: the copy below overwrites the frame
      }
      CASTOR_ASSIGN_OR_RETURN(size_t c, CompressWith(s, chunk, frame_.data()));
      if (c < n) {
        raw_run_ = 0;
        h.scheme = s;
        payload = frame_.data();
        len = c;
      } else {
        ++raw_run_;
      }
      break;
    }
    case CompressionPolicy::kBestOf: {
      if (trial_.size() < bound) trial_.resize(bound);
      CASTOR_ASSIGN_OR_RETURN(size_t c1,
                              CompressWith(CompressionScheme::kLz4, chunk, frame_.data()));
      CASTOR_ASSIGN_OR_RETURN(size_t c2,
                              CompressWith(CompressionScheme::kBg4Lz4, chunk, trial_.data()));
      if (c2 < c1 && c2 < n) {
        h.scheme = CompressionScheme::kBg4Lz4;
        payload = trial_.data();
        len = c2;
      } else if (c1 < n) {
        h.scheme = CompressionScheme::kLz4;
        payload = frame_.data();
        len = c1;
      }
      break;
    }
  }
  if (h.scheme != CompressionScheme::kNone || copy_raw_payload) {
    std::memcpy(dst + kChunkHeaderSize, payload, len);
  }
  h.compressed_size = uint32_t(len);
  EncodeChunkHeader(h, dst);
  return h;
}

Status ChunkDecoder::Decode(const ChunkHeader& header, ByteSpan payload, MutableByteSpan out) {
  if (payload.size() != header.compressed_size) {
    return Corruption("payload of " + std::to_string(payload.size()) + " bytes, header says " +
                      std::to_string(header.compressed_size));
  }
  if (out.size() != header.uncompressed_size) {
    return InvalidArgument("output buffer of " + std::to_string(out.size()) +
                           " bytes for a chunk of " + std::to_string(header.uncompressed_size));
  }
  switch (header.scheme) {
    case CompressionScheme::kNone:
      if (payload.size() != out.size()) {
        return Corruption("uncompressed chunk with compressed size " +
                          std::to_string(payload.size()) + " != uncompressed size " +
                          std::to_string(out.size()));
      }
      std::memcpy(out.data(), payload.data(), out.size());
      return Status::OK();
    case CompressionScheme::kLz4:
      return lz4_.Decompress(payload, out);
    case CompressionScheme::kBg4Lz4: {
      CASTOR_ASSIGN_OR_RETURN(ByteSpan grouped, lz4_.DecompressToBuffer(payload, out.size()));
      Bg4Join(grouped, out.data());
      return Status::OK();
    }
  }
  return Corruption("unknown compression scheme " + std::to_string(int(header.scheme)));
}

Result<ByteSpan> ChunkDecoder::View(const ChunkHeader& header, ByteSpan payload) {
  if (header.scheme == CompressionScheme::kNone) {
    if (payload.size() != header.compressed_size || payload.size() != header.uncompressed_size) {
      return Corruption("uncompressed chunk: payload of " + std::to_string(payload.size()) +
                        " bytes, header says " + std::to_string(header.uncompressed_size));
    }
    return payload;
  }
  view_.resize(header.uncompressed_size);
  CASTOR_RETURN_IF_ERROR(Decode(header, payload, view_));
  return ByteSpan(view_);
}

}  // namespace castor
