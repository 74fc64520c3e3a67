// The CAS reconstruction answers (docs/xet-protocol.md §5.3): QueryReconstructionResponse V1
// (fetch_info with one URL per byte range), V2 (xorbs with multi-range URLs), and the batch form,
// with their exact JSON. Hashes are typed (castor::Hash) and travel as Xet hex. Plain values.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/status.h"
#include "castor/hash/hash.h"

namespace castor::protocol {

// Chunk indices [start, end) within one xorb.
struct ChunkRange {
  uint32_t start = 0;
  uint32_t end = 0;
  bool operator==(const ChunkRange&) const = default;
};

// Byte positions within one xorb's stored bytes, BOTH ENDS INCLUSIVE, as the JSON carries them
// (`url_range`, `bytes`): an HTTP Range of "bytes=start-end".
struct InclusiveByteRange {
  uint64_t start = 0;
  uint64_t end = 0;
  bool operator==(const InclusiveByteRange&) const = default;
};

// A chunk range of one xorb in a file's reconstruction.
struct Term {
  Hash hash;                     // the xorb
  uint32_t unpacked_length = 0;  // decoded bytes of chunks [range.start, range.end)
  ChunkRange range;
  bool operator==(const Term&) const = default;
};

// V1 fetch entry: GET `url` with Range `url_range`; the bytes start at chunk `range.start`.
struct FetchInfo {
  ChunkRange range;
  std::string url;
  InclusiveByteRange url_range;
  bool operator==(const FetchInfo&) const = default;
};

struct QueryReconstructionResponseV1 {
  uint64_t offset_into_first_range = 0;
  std::vector<Term> terms;
  std::map<Hash, std::vector<FetchInfo>> fetch_info;
  bool operator==(const QueryReconstructionResponseV1&) const = default;
};

// V2: one signed URL authorising several byte ranges of one xorb.
struct XorbRangeV2 {
  ChunkRange chunks;
  InclusiveByteRange bytes;
  bool operator==(const XorbRangeV2&) const = default;
};
struct XorbFetchV2 {
  std::string url;
  std::vector<XorbRangeV2> ranges;  // ascending chunks.start
  bool operator==(const XorbFetchV2&) const = default;
};

struct QueryReconstructionResponseV2 {
  uint64_t offset_into_first_range = 0;
  std::vector<Term> terms;
  std::map<Hash, std::vector<XorbFetchV2>> xorbs;
  bool operator==(const QueryReconstructionResponseV2&) const = default;
};

// Batch reconstruction: terms per file, fetch_info shared by all files.
struct BatchReconstructionResponse {
  std::map<Hash, std::vector<Term>> files;
  std::map<Hash, std::vector<FetchInfo>> fetch_info;
  bool operator==(const BatchReconstructionResponse&) const = default;
};

// One entry of the POST form of the batch request: [{"prefix": "default", "hash": "<file id>"}].
struct FileKey {
  std::string prefix;
  Hash hash;
  bool operator==(const FileKey&) const = default;
};

// Serialisers: compact JSON, keys in a fixed order.
std::string ToJson(const QueryReconstructionResponseV1& r);
std::string ToJson(const QueryReconstructionResponseV2& r);
std::string ToJson(const BatchReconstructionResponse& r);
std::string ToJson(const std::vector<FileKey>& keys);

// Parsers: InvalidArgument (never an exception) on malformed JSON, a missing or mistyped field, a
// hash that is not 64 hex digits, a number out of range, an empty chunk range (start >= end), or
// an inverted byte range. Unknown fields are ignored, as servers may add some.
Result<QueryReconstructionResponseV1> ParseReconstructionV1(std::string_view json);
Result<QueryReconstructionResponseV2> ParseReconstructionV2(std::string_view json);
Result<BatchReconstructionResponse> ParseBatchReconstruction(std::string_view json);
Result<std::vector<FileKey>> ParseFileKeys(std::string_view json);

}  // namespace castor::protocol
