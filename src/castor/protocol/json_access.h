// Internal to protocol/: checked access to parsed nlohmann::json values, turning every shape error
// into an InvalidArgument that names the offending field ("terms[3].range.start: expected an
// unsigned integer"). nlohmann's throwing accessors are only reached after the type was checked.
#pragma once

#include <cstdint>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "castor/base/status.h"
#include "castor/hash/hash.h"

namespace castor::protocol::json_access {

using Json = nlohmann::json;

// Parses text without exceptions. InvalidArgument("<what>: malformed JSON") on failure.
inline Result<Json> Parse(std::string_view text, std::string_view what) {
  Json j = Json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return InvalidArgument(std::string(what) + ": malformed JSON");
  return j;
}

inline Status Bad(std::string_view path, std::string_view why) {
  return InvalidArgument(std::string(path) + ": " + std::string(why));
}

inline Result<const Json*> Field(const Json& obj, std::string_view path, const char* key) {
  if (!obj.is_object()) return Bad(path, "expected an object");
  auto it = obj.find(key);
  if (it == obj.end()) return Bad(std::string(path) + "." + key, "missing");
  return &*it;
}

inline Result<uint64_t> U64(const Json& v, std::string_view path) {
  if (!v.is_number_unsigned()) {
    // nlohmann stores non-negative literals as unsigned; a signed value here is negative.
    return Bad(path, "expected an unsigned integer");
  }
  return v.get<uint64_t>();
}

inline Result<uint32_t> U32(const Json& v, std::string_view path) {
  CASTOR_ASSIGN_OR_RETURN(uint64_t x, U64(v, path));
  if (x > std::numeric_limits<uint32_t>::max()) return Bad(path, "exceeds 32 bits");
  return static_cast<uint32_t>(x);
}

inline Result<int64_t> I64(const Json& v, std::string_view path) {
  if (v.is_number_unsigned()) {
    uint64_t x = v.get<uint64_t>();
    if (x > uint64_t(std::numeric_limits<int64_t>::max())) return Bad(path, "exceeds 63 bits");
    return static_cast<int64_t>(x);
  }
  if (!v.is_number_integer()) return Bad(path, "expected an integer");
  return v.get<int64_t>();
}

inline Result<std::string> Str(const Json& v, std::string_view path) {
  if (!v.is_string()) return Bad(path, "expected a string");
  return v.get<std::string>();
}

inline Result<bool> Bool(const Json& v, std::string_view path) {
  if (!v.is_boolean()) return Bad(path, "expected a boolean");
  return v.get<bool>();
}

inline Result<Hash> XetHash(const Json& v, std::string_view path) {
  CASTOR_ASSIGN_OR_RETURN(std::string s, Str(v, path));
  auto h = Hash::FromXetHex(s);
  if (!h) return Bad(path, "expected a hash of 64 hex digits");
  return *h;
}

inline Result<Hash> XetHashKey(const std::string& key, std::string_view path) {
  auto h = Hash::FromXetHex(key);
  if (!h) return Bad(path, "key \"" + key.substr(0, 80) + "\" is not a hash of 64 hex digits");
  return *h;
}

}  // namespace castor::protocol::json_access
