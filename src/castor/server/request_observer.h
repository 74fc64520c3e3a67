// Joins the server's per-request report to the operational outputs: metrics, the audit log and
// the access log. The app builds one of these and hands it to HttpServer.
#pragma once

#include "castor/server/audit_log.h"
#include "castor/server/http_server.h"
#include "castor/server/log.h"
#include "castor/server/metrics.h"

namespace castor::server {

// Any argument may be null (that output is skipped); the others must outlive the server. Each
// exchange is counted in `metrics`, appended to `audit` when ShouldAudit() says so (a failed
// audit write is logged at error level), and logged at info level (debug for 2xx/3xx reads, so
// busy read traffic does not flood the log at the default level).
RequestObserver MakeRequestObserver(ServerMetrics* metrics, AuditLog* audit, Logger* log);

}  // namespace castor::server
