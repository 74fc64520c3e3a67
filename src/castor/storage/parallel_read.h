// ParallelRead: reads a byte range of an object as several ranged reads in flight at once, the
// way fast S3 clients download (one connection per range). Memory stays small: each range
// streams straight to the sink.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "castor/storage/object_store.h"

namespace castor {

struct ParallelReadOptions {
  uint64_t chunk_size = 16ull << 20;  // bytes per ranged read
  int parallelism = 8;                // ranged reads in flight
};

// Receives bytes of the object at absolute `offset`. Called from several threads at once and in
// no particular order; pieces never overlap and together cover the range exactly once.
using OffsetSink = std::function<Status(uint64_t offset, ByteSpan data)>;

// Reads bytes [offset, offset + length) of `key` (length must fit the object: use Head first).
// Stops at the first error, which it returns; the sink may then have received any subset.
Status ParallelRead(ObjectStore& store, std::string_view key, uint64_t offset, uint64_t length,
                    const ParallelReadOptions& options, const OffsetSink& sink);

}  // namespace castor
