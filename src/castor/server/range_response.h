// Answers for byte-range GETs of one stored object, streamed straight from a positional reader
// (no copy of the object in memory): 200 with the whole object, 206 with one range, 206
// multipart/byteranges for several, 416 (with "Content-Range: bytes */size") when nothing is
// satisfiable, 400 on a malformed Range header. The CAS service uses it for signed xorb URLs.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "castor/base/bytes.h"
#include "castor/base/status.h"
#include "castor/protocol/http_range.h"
#include "castor/server/http_message.h"

namespace castor::server {

// Reads up to out.size() bytes at `offset` of the object (pread-like); returns the count, which
// may be short but is 0 only at the end. Called sequentially from one thread at a time.
using RangeReader = std::function<Result<size_t>(uint64_t offset, MutableByteSpan out)>;

// The 206 (or, with no ranges, 200) response for already-resolved `ranges` of an object of
// `total` bytes. `boundary_seed` makes the multipart boundary (pass something unpredictable).
Response RangesResponse(const std::vector<protocol::ByteRange>& ranges, uint64_t total,
                        RangeReader reader, uint64_t boundary_seed,
                        std::string content_type = "application/octet-stream");

// Parses and resolves `range_header` (nullopt = whole object) against `total`, then answers as
// RangesResponse does, or 400/416.
Response ServeByteRanges(std::optional<std::string_view> range_header, uint64_t total,
                         RangeReader reader, uint64_t boundary_seed,
                         std::string content_type = "application/octet-stream");

}  // namespace castor::server
