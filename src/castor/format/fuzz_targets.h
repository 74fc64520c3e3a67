// The bodies of the format's libFuzzer targets (xorb_reader_fuzz, shard_reader_fuzz,
// chunk_decoder_fuzz), kept in the library so that the kept corpus under tests/fuzz/corpus/ also
// runs as a regression test in every unit-test build. Each returns the parser's Status for the
// input; Internal means an invariant broke (a crash-worthy bug: the fuzz programs abort on it).
// Pure; safe for concurrent use.
#pragma once

#include "castor/base/bytes.h"
#include "castor/base/status.h"

namespace castor {

// Parses a xorb; when it parses, decodes every chunk, checks lengths, and round-trips a rebuilt
// footer.
Status FuzzXorbReader(ByteSpan data);

// Parses a shard; when it parses, runs every lookup and checks that rebuilding the shard in the
// upload form and parsing it again gives the same files and xorbs.
Status FuzzShardReader(ByteSpan data);

// Byte 0 picks the scheme (LZ4 or BG4), bytes 1-3 the expected length; the rest is the payload,
// decoded by ChunkDecoder. Also checks that the payload bytes, as a chunk, round-trip through
// every compression policy.
Status FuzzChunkDecoders(ByteSpan data);

}  // namespace castor
