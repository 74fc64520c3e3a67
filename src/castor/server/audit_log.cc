#include "castor/server/audit_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>

#include "castor/server/log.h"

namespace castor::server {

bool ShouldAudit(const RequestRecord& r) {
  return r.route_scope == Scope::kWrite || r.status >= 400;
}

AuditEvent AuditEventFromRecord(const RequestRecord& r) {
  AuditEvent e;
  e.token_id = r.token_id;
  e.method = r.method;
  e.route = r.route;
  e.path = r.path;
  e.object = r.object;
  e.size = r.bytes_in;
  e.status = r.status;
  e.result = r.status >= 500 ? "error" : r.status >= 400 ? "rejected" : "ok";
  e.remote = r.remote;
  e.request_id = r.request_id;
  if (r.status >= 400) e.reason = r.error;
  return e;
}

std::string AuditLine(const AuditEvent& e) {
  nlohmann::ordered_json j{{"time", e.time},
                           {"token_id", e.token_id},
                           {"method", e.method},
                           {"route", e.route},
                           {"path", e.path},
                           {"object", e.object},
                           {"size", e.size},
                           {"status", e.status},
                           {"result", e.result},
                           {"remote", e.remote},
                           {"request_id", e.request_id},
                           {"reason", e.reason}};
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

Result<std::unique_ptr<AuditLog>> AuditLog::Open(const std::string& path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
  if (fd < 0) return ErrnoError("open audit log " + path, errno);
  return std::unique_ptr<AuditLog>(new AuditLog(fd));
}

AuditLog::~AuditLog() { ::close(fd_); }

Status AuditLog::Append(AuditEvent event) {
  if (event.time.empty()) event.time = Rfc3339Now();
  return WriteLine(fd_, AuditLine(event)).WithContext("audit log");
}

}  // namespace castor::server
