// The audit log: an append-only JSON-lines file recording every write and every rejected request
// (time, token id, method, route, path, object, size, status, result, remote address, request
// id, reason).
// Never the secret: only token ids are known here. The file is opened with O_APPEND and each
// record is one write(2) of one line, so concurrent writers (threads, or several castor serve
// processes on one file) never interleave within a line. Safe for concurrent use.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "castor/base/status.h"
#include "castor/server/http_server.h"

namespace castor::server {

struct AuditEvent {
  std::string time;      // RFC 3339 UTC; filled in by Append when empty
  std::string token_id;  // "" when the request carried no valid token
  std::string method;
  std::string route;
  std::string path;    // raw path; signed-URL query strings are never recorded
  std::string object;  // what the request touched ("xorb <hash>"), when the handler said
  uint64_t size = 0;   // request body bytes
  int status = 0;
  std::string result;  // "ok", "rejected" (4xx) or "error" (5xx)
  std::string remote;
  std::string request_id;
  std::string reason;  // for rejections: why (the error message sent)
};

// Whether a finished exchange belongs in the audit log: writes (routes needing write scope),
// whatever their outcome, and every rejected request (any 4xx or 5xx).
bool ShouldAudit(const RequestRecord& record);
AuditEvent AuditEventFromRecord(const RequestRecord& record);

// The JSON line for an event (with its trailing '\n').
std::string AuditLine(const AuditEvent& event);

class AuditLog {
 public:
  // Opens (creating with mode 0640 if needed) `path` for appending. IOError on failure.
  static Result<std::unique_ptr<AuditLog>> Open(const std::string& path);
  ~AuditLog();
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Appends one line. IOError when the write fails (the caller decides whether that is fatal).
  Status Append(AuditEvent event);

 private:
  explicit AuditLog(int fd) : fd_(fd) {}
  int fd_;
};

}  // namespace castor::server
