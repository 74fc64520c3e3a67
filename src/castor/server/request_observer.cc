#include "castor/server/request_observer.h"

namespace castor::server {

RequestObserver MakeRequestObserver(ServerMetrics* metrics, AuditLog* audit, Logger* log) {
  return [metrics, audit, log](const RequestRecord& r) {
    if (metrics) metrics->ObserveRequest(r);
    if (audit && ShouldAudit(r)) {
      Status s = audit->Append(AuditEventFromRecord(r));
      if (!s.ok() && log) log->Error("audit log write failed", {{"error", s.ToString()}});
    }
    if (log) {
      LogLevel level =
          (r.status >= 400 || r.route_scope == Scope::kWrite) ? LogLevel::kInfo : LogLevel::kDebug;
      if (!log->Enabled(level)) return;
      log->Log(level, "request",
               {{"method", r.method},
                {"route", r.route},
                {"path", r.path},
                {"status", r.status},
                {"bytes_in", r.bytes_in},
                {"bytes_out", r.bytes_out},
                {"ms", std::chrono::duration<double, std::milli>(r.duration).count()},
                {"token_id", r.token_id},
                {"remote", r.remote},
                {"request_id", r.request_id}});
    }
  };
}

}  // namespace castor::server
