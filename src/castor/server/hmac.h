// Keyed signing primitives for tokens and signed URLs (OpenSSL): HMAC-SHA256, constant-time
// comparison, base64url, and random secrets. Stateless functions, safe for concurrent use.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "castor/base/bytes.h"

namespace castor::server {

using Mac = std::array<uint8_t, 32>;

// HMAC-SHA256(key, data) (RFC 2104).
Mac HmacSha256(ByteSpan key, ByteSpan data);

// Compares in time that depends only on the lengths (CRYPTO_memcmp), so a forger learns nothing
// from timing about how many leading bytes were right. Different lengths compare unequal.
bool ConstantTimeEquals(ByteSpan a, ByteSpan b);

// RFC 4648 §5 base64url without padding; the decoder rejects padding and foreign characters.
std::string Base64UrlEncode(ByteSpan data);
std::optional<Bytes> Base64UrlDecode(std::string_view text);

// `n` bytes from OpenSSL's CSPRNG.
Bytes RandomBytes(size_t n);

}  // namespace castor::server
