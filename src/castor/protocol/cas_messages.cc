#include "castor/protocol/cas_messages.h"

#include "castor/protocol/json_access.h"

namespace castor::protocol {
namespace {

namespace ja = json_access;
using ja::Json;
using OJson = nlohmann::ordered_json;

// Invalid UTF-8 (say, echoed from a bad request) is replaced rather than thrown on.
std::string Dump(const OJson& j) { return j.dump(-1, ' ', false, OJson::error_handler_t::replace); }

Result<int> ParseResultCode(const Json& v, std::string_view path) {
  CASTOR_ASSIGN_OR_RETURN(uint64_t x, ja::U64(v, path));
  if (x > 1) return ja::Bad(path, "expected 0 or 1");
  return static_cast<int>(x);
}

}  // namespace

bool IsTerminal(const ShardStreamEvent& e) {
  return std::holds_alternative<ShardResult>(e) || std::holds_alternative<ShardError>(e);
}

ErrorBody ErrorBodyFromStatus(const Status& status) {
  return ErrorBody{std::string(StatusCodeName(status.code())), status.message()};
}

std::string ToJson(const XorbUploadResponse& r) {
  return Dump(OJson{{"was_inserted", r.was_inserted}});
}
std::string ToJson(const ShardUploadResponse& r) { return Dump(OJson{{"result", r.result}}); }
std::string ToJson(const CasTokenResponse& r) {
  return Dump(OJson{{"accessToken", r.access_token}, {"exp", r.exp}, {"casUrl", r.cas_url}});
}
std::string ToJson(const ErrorBody& r) {
  return Dump(OJson{{"error", r.error}, {"message", r.message}});
}

std::string ToNdjsonLine(const ShardStreamEvent& e) {
  OJson j;
  if (auto* v = std::get_if<ShardValidating>(&e)) {
    j = OJson{{"type", "validating"}, {"verified", v->verified}, {"total", v->total}};
  } else if (auto* c = std::get_if<ShardCommitting>(&e)) {
    j = OJson{{"type", "committing"}, {"stage", c->stage}};
  } else if (auto* r = std::get_if<ShardResult>(&e)) {
    j = OJson{{"type", "result"}, {"result", r->result}};
  } else {
    j = OJson{{"type", "error"}, {"message", std::get<ShardError>(e).message}};
  }
  return Dump(j) + "\n";
}

Result<XorbUploadResponse> ParseXorbUploadResponse(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "xorb upload response"));
  CASTOR_ASSIGN_OR_RETURN(const Json* v, ja::Field(root, "xorb upload response", "was_inserted"));
  XorbUploadResponse r;
  CASTOR_ASSIGN_OR_RETURN(r.was_inserted, ja::Bool(*v, "was_inserted"));
  return r;
}

Result<ShardUploadResponse> ParseShardUploadResponse(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "shard upload response"));
  CASTOR_ASSIGN_OR_RETURN(const Json* v, ja::Field(root, "shard upload response", "result"));
  ShardUploadResponse r;
  CASTOR_ASSIGN_OR_RETURN(r.result, ParseResultCode(*v, "result"));
  return r;
}

Result<CasTokenResponse> ParseCasTokenResponse(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "token response"));
  CasTokenResponse r;
  CASTOR_ASSIGN_OR_RETURN(const Json* t, ja::Field(root, "token response", "accessToken"));
  CASTOR_ASSIGN_OR_RETURN(r.access_token, ja::Str(*t, "accessToken"));
  CASTOR_ASSIGN_OR_RETURN(const Json* e, ja::Field(root, "token response", "exp"));
  CASTOR_ASSIGN_OR_RETURN(r.exp, ja::I64(*e, "exp"));
  CASTOR_ASSIGN_OR_RETURN(const Json* u, ja::Field(root, "token response", "casUrl"));
  CASTOR_ASSIGN_OR_RETURN(r.cas_url, ja::Str(*u, "casUrl"));
  return r;
}

Result<ErrorBody> ParseErrorBody(std::string_view json) {
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(json, "error body"));
  ErrorBody r;
  CASTOR_ASSIGN_OR_RETURN(const Json* e, ja::Field(root, "error body", "error"));
  CASTOR_ASSIGN_OR_RETURN(r.error, ja::Str(*e, "error"));
  // Some servers send only "error"; the message is then empty rather than a parse failure.
  if (root.contains("message")) {
    CASTOR_ASSIGN_OR_RETURN(r.message, ja::Str(root["message"], "message"));
  }
  return r;
}

Result<ShardStreamEvent> ParseShardStreamEvent(std::string_view line) {
  while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
  CASTOR_ASSIGN_OR_RETURN(Json root, ja::Parse(line, "shard stream event"));
  CASTOR_ASSIGN_OR_RETURN(const Json* t, ja::Field(root, "shard stream event", "type"));
  CASTOR_ASSIGN_OR_RETURN(std::string type, ja::Str(*t, "type"));
  if (type == "validating") {
    ShardValidating v;
    CASTOR_ASSIGN_OR_RETURN(const Json* a, ja::Field(root, "validating", "verified"));
    CASTOR_ASSIGN_OR_RETURN(v.verified, ja::U64(*a, "verified"));
    CASTOR_ASSIGN_OR_RETURN(const Json* b, ja::Field(root, "validating", "total"));
    CASTOR_ASSIGN_OR_RETURN(v.total, ja::U64(*b, "total"));
    return ShardStreamEvent(v);
  }
  if (type == "committing") {
    ShardCommitting c;
    CASTOR_ASSIGN_OR_RETURN(const Json* s, ja::Field(root, "committing", "stage"));
    CASTOR_ASSIGN_OR_RETURN(c.stage, ja::Str(*s, "stage"));
    return ShardStreamEvent(c);
  }
  if (type == "result") {
    ShardResult r;
    CASTOR_ASSIGN_OR_RETURN(const Json* v, ja::Field(root, "result event", "result"));
    CASTOR_ASSIGN_OR_RETURN(r.result, ParseResultCode(*v, "result"));
    return ShardStreamEvent(r);
  }
  if (type == "error") {
    ShardError e;
    CASTOR_ASSIGN_OR_RETURN(const Json* m, ja::Field(root, "error event", "message"));
    CASTOR_ASSIGN_OR_RETURN(e.message, ja::Str(*m, "message"));
    return ShardStreamEvent(e);
  }
  return InvalidArgument("shard stream event: unknown type \"" + type.substr(0, 40) + "\"");
}

}  // namespace castor::protocol
