// The server-side xorb footer (docs/xet-protocol.md §3.5, the reference implementation's
// "XorbObjectInfoV1"): appended after a stored xorb's chunk records, it lists the xorb hash, every
// chunk hash and the cumulative physical (headers included) and uncompressed end offset of every
// chunk, so a server answers a chunk-range request with a byte range without re-parsing the xorb.
// Layout: "XETBLOB" 1 hash | "XBLBHSH" 0 n hashes | "XBLBBND" 1 n phys[n] uncomp[n] | n
// hashes_from_end boundaries_from_end | 16-byte buffer (4-byte nonce + zeros) || u32 info_length.
// Pure; safe for concurrent use.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/hash/hash.h"

namespace castor {

inline constexpr char kXorbFooterIdent[] = "XETBLOB";  // 7 bytes on disk, no terminator

// Physical byte range [begin, end) of a run of chunks in a serialized xorb.
struct XorbByteRange {
  uint64_t begin = 0;
  uint64_t end = 0;
  bool operator==(const XorbByteRange&) const = default;
};

struct XorbFooter {
  Hash xorb_hash;
  std::vector<Hash> chunk_hashes;
  std::vector<uint32_t> physical_ends;      // B[k]: end of chunk k's record
  std::vector<uint32_t> uncompressed_ends;  // sum of uncompressed sizes of chunks 0..k
  uint32_t nonce = 0;                       // optional per-upload uniqueness value

  size_t num_chunks() const { return chunk_hashes.size(); }

  // Byte range holding chunks [begin, end); OutOfRange unless begin < end <= num_chunks().
  Result<XorbByteRange> PhysicalRange(size_t begin, size_t end) const;

  // Serialized size of the footer including the trailing length: 96 + 40 n.
  static size_t SerializedSize(size_t num_chunks) { return 96 + 40 * num_chunks; }

  // Appends the footer and the trailing u32 info length to *out.
  void AppendTo(Bytes* out) const;
};

// Parses a footer that spans exactly `bytes` (from "XETBLOB" through the trailing length) and
// checks it is self-consistent: idents, versions, repeated chunk counts, the two offsets,
// strictly increasing physical ends (each record at least 9 bytes) and chunk sizes 1..131072.
Result<XorbFooter> ParseXorbFooter(ByteSpan bytes);

// Locates and parses the footer at the end of a stored object through its trailing info length,
// without looking at the chunk records: how a server reads the index of a stored xorb. Also
// checks the footer's last physical end equals where the footer starts.
Result<XorbFooter> ParseXorbFooterAtEnd(ByteSpan object);

}  // namespace castor
