#include "castor/hash/blake3.h"

#include <blake3.h>

namespace castor {

namespace {
constexpr uint8_t kDataKeyBytes[32] = {102, 151, 245, 119, 91,  149, 80,  222, 49,  53,  203,
                                       172, 165, 151, 24,  28,  157, 228, 33,  16,  155, 235,
                                       43,  88,  180, 208, 176, 75,  147, 173, 242, 41};
constexpr uint8_t kInternalNodeKeyBytes[32] = {1,   126, 197, 199, 165, 71,  41,  150, 253, 148, 102,
                                               102, 180, 138, 2,   230, 93,  221, 83,  111, 55,  199,
                                               109, 210, 248, 99,  82,  230, 74,  83,  113, 63};
constexpr uint8_t kVerificationKeyBytes[32] = {127, 24,  87,  214, 206, 86,  237, 102, 18,  127, 249,
                                               19,  231, 165, 195, 243, 164, 205, 38,  213, 181, 219,
                                               73,  230, 65,  36,  152, 127, 40,  251, 148, 195};
}  // namespace

const HashKey kDataKey = Hash::FromBytes(kDataKeyBytes);
const HashKey kInternalNodeKey = Hash::FromBytes(kInternalNodeKeyBytes);
const HashKey kVerificationKey = Hash::FromBytes(kVerificationKeyBytes);

struct Blake3Hasher::State {
  blake3_hasher h;
};

Blake3Hasher::Blake3Hasher() : state_(new State) { blake3_hasher_init(&state_->h); }
Blake3Hasher::Blake3Hasher(const HashKey& key) : state_(new State) {
  blake3_hasher_init_keyed(&state_->h, key.bytes.data());
}
Blake3Hasher::~Blake3Hasher() { delete state_; }

void Blake3Hasher::Update(ByteSpan data) {
  blake3_hasher_update(&state_->h, data.data(), data.size());
}

Hash Blake3Hasher::Finalize() const {
  Hash out;
  blake3_hasher_finalize(&state_->h, out.bytes.data(), 32);
  return out;
}

Hash Blake3Keyed(const HashKey& key, ByteSpan data) {
  blake3_hasher h;
  blake3_hasher_init_keyed(&h, key.bytes.data());
  blake3_hasher_update(&h, data.data(), data.size());
  Hash out;
  blake3_hasher_finalize(&h, out.bytes.data(), 32);
  return out;
}

Hash Blake3(ByteSpan data) {
  blake3_hasher h;
  blake3_hasher_init(&h);
  blake3_hasher_update(&h, data.data(), data.size());
  Hash out;
  blake3_hasher_finalize(&h, out.bytes.data(), 32);
  return out;
}

}  // namespace castor
