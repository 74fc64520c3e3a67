#include "castor/format/shard/shard_format.h"

namespace castor {

const std::array<uint8_t, 32> kShardTag = {'H', 'F', 'R', 'e', 'p', 'o', 'M', 'e', 't', 'a', 'D',
                                           'a', 't', 'a', 0,   85,  105, 103, 69,  106, 123, 129,
                                           87,  131, 165, 189, 217, 92,  205, 209, 74,  169};

ShardXorb ShardXorb::FromChunks(const Hash& xorb_hash, const std::vector<HashAndSize>& chunks,
                                uint32_t serialized_size) {
  ShardXorb x;
  x.xorb_hash = xorb_hash;
  x.num_bytes_on_disk = serialized_size;
  uint64_t pos = 0;
  for (const auto& c : chunks) {
    x.chunks.push_back({c.hash, uint32_t(pos), uint32_t(c.size), 0});
    pos += c.size;
  }
  x.num_bytes_in_cas = uint32_t(pos);
  return x;
}

}  // namespace castor
