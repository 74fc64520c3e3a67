// A small shard's contents for the shard tests: two files (one with a sha256) over two xorbs.
#pragma once

#include "castor/format/shard/shard_builder.h"
#include "castor/hash/sha256.h"

namespace castor::shard_test {

inline Hash H(uint8_t seed) {
  Hash h;
  for (int i = 0; i < 32; ++i) h.bytes[i] = uint8_t(seed * 31 + i * 7);
  return h;
}

inline ShardBuilder SampleBuilder() {
  ShardBuilder b;
  ShardXorb x1 = ShardXorb::FromChunks(H(1), {{H(11), 1000}, {H(12), 2000}, {H(13), 3000}}, 5000);
  ShardXorb x2 = ShardXorb::FromChunks(H(2), {{H(21), 4000}, {H(22), 500}}, 4400);
  ShardFile a;
  a.file_hash = H(100);
  a.terms = {{H(1), 0, 3000, 0, 2}, {H(2), 0, 4500, 0, 2}};
  a.verification = {H(101), H(102)};
  a.sha256 = Sha256::Of(AsBytes("file a"));
  ShardFile b2;
  b2.file_hash = H(200);
  b2.terms = {{H(1), 0, 3000, 2, 3}};
  b2.verification = {H(201)};
  b.AddFile(a);
  b.AddFile(b2);
  b.AddXorb(x1);
  b.AddXorb(x2);
  return b;
}

}  // namespace castor::shard_test
