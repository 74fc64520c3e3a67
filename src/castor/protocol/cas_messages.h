// The small CAS API bodies (docs/xet-protocol.md §5.2, §5.4): xorb and shard upload answers, the
// /v2/shards ndjson progress events, the token endpoint's answer and the JSON error body, with
// their exact JSON. Plain values.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>

#include "castor/base/status.h"

namespace castor::protocol {

// POST /v1/xorbs answer: {"was_inserted": bool}; false means already present (not an error).
struct XorbUploadResponse {
  bool was_inserted = false;
  bool operator==(const XorbUploadResponse&) const = default;
};

// POST /v1/shards answer: {"result": 0|1}; 0 = already existed, 1 = registered.
struct ShardUploadResponse {
  int result = 0;
  bool operator==(const ShardUploadResponse&) const = default;
};

// POST /v2/shards streams one of these per line (application/x-ndjson).
struct ShardValidating {  // {"type":"validating","verified":n,"total":m}
  uint64_t verified = 0;
  uint64_t total = 0;
  bool operator==(const ShardValidating&) const = default;
};
struct ShardCommitting {  // {"type":"committing","stage":"uploading"|"syncing"}
  std::string stage;
  bool operator==(const ShardCommitting&) const = default;
};
struct ShardResult {  // terminal: {"type":"result","result":0|1}
  int result = 0;
  bool operator==(const ShardResult&) const = default;
};
struct ShardError {  // terminal: {"type":"error","message":"…"}
  std::string message;
  bool operator==(const ShardError&) const = default;
};
using ShardStreamEvent = std::variant<ShardValidating, ShardCommitting, ShardResult, ShardError>;

// True for the events that end a /v2/shards stream (result, error).
bool IsTerminal(const ShardStreamEvent& e);

// Token endpoint answer: {"accessToken": …, "exp": unix seconds, "casUrl": …}.
struct CasTokenResponse {
  std::string access_token;
  int64_t exp = 0;
  std::string cas_url;
  bool operator==(const CasTokenResponse&) const = default;
};

// Error body of every non-2xx CAS answer: {"error": "<code>", "message": "<why>"}.
struct ErrorBody {
  std::string error;    // a stable code, e.g. "invalid_argument", "not_found"
  std::string message;  // human-readable context
  bool operator==(const ErrorBody&) const = default;
};

// The error body for a non-OK Status: error = StatusCodeName(code), message = status message.
ErrorBody ErrorBodyFromStatus(const Status& status);

std::string ToJson(const XorbUploadResponse& r);
std::string ToJson(const ShardUploadResponse& r);
std::string ToJson(const CasTokenResponse& r);
std::string ToJson(const ErrorBody& r);
// One ndjson line, including the trailing '\n'.
std::string ToNdjsonLine(const ShardStreamEvent& e);

// Parsers: InvalidArgument (never an exception) on malformed JSON or a missing/mistyped field.
Result<XorbUploadResponse> ParseXorbUploadResponse(std::string_view json);
Result<ShardUploadResponse> ParseShardUploadResponse(std::string_view json);
Result<CasTokenResponse> ParseCasTokenResponse(std::string_view json);
Result<ErrorBody> ParseErrorBody(std::string_view json);
// One line (a trailing '\n' or "\r\n" is allowed). Unknown "type" values are InvalidArgument.
Result<ShardStreamEvent> ParseShardStreamEvent(std::string_view line);

}  // namespace castor::protocol
