// CompressXorbInPlace: turns a xorb packed raw (every chunk record stored with scheme none, as
// XorbBuilder makes it under CompressionPolicy::kNone) into its compressed form inside the same
// buffer, so that an upload holds one buffer per xorb rather than a raw and a compressed copy.
// The result is byte for byte what XorbBuilder with `encoder`'s policy would have built from the
// same chunks; the xorb hash does not change (it covers the decoded chunks). Pure; no I/O.
#pragma once

#include "castor/base/status.h"
#include "castor/format/xorb/chunk_codec.h"
#include "castor/format/xorb/xorb_builder.h"

namespace castor {

// `x` must be a raw xorb as described above (InvalidArgument otherwise, leaving `x` unusable).
// `scratch` is working memory reused between calls (about 130 KiB).
Status CompressXorbInPlace(SerializedXorb& x, ChunkEncoder& encoder, Bytes& scratch);

}  // namespace castor
