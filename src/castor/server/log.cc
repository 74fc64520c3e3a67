#include "castor/server/log.h"

#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <nlohmann/json.hpp>

#include "castor/base/time_format.h"

namespace castor::server {

Result<LogLevel> ParseLogLevel(std::string_view name) {
  if (name == "debug") return LogLevel::kDebug;
  if (name == "info") return LogLevel::kInfo;
  if (name == "warn" || name == "warning") return LogLevel::kWarn;
  if (name == "error") return LogLevel::kError;
  return InvalidArgument("unknown log level \"" + std::string(name.substr(0, 20)) +
                         "\" (debug, info, warn, error)");
}

std::string_view LogLevelName(LogLevel level) {
  switch (level) {
    case LogLevel::kDebug:
      return "debug";
    case LogLevel::kInfo:
      return "info";
    case LogLevel::kWarn:
      return "warn";
    case LogLevel::kError:
      return "error";
  }
  return "info";
}

std::string Rfc3339Now() { return FormatUtc(std::chrono::system_clock::now(), true); }

Status WriteLine(int fd, std::string_view line) {
  while (true) {
    ssize_t n = ::write(fd, line.data(), line.size());
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return ErrnoError("write log line", errno);
    if (size_t(n) != line.size()) return IOError("short write of a log line");
    return Status::OK();
  }
}

Logger::Logger(int fd, LogLevel min_level, LogFormat format)
    : fd_(fd), min_level_(min_level), format_(format) {}

namespace {

// key=value text: bare when the value is a simple token, else JSON-quoted.
void AppendKv(std::string& out, std::string_view key, std::string_view value) {
  bool bare = !value.empty();
  for (char c : value) {
    if (c <= ' ' || c == '"' || c == '=' || c == '\\' || static_cast<unsigned char>(c) >= 0x7f) {
      bare = false;
    }
  }
  out += ' ';
  out.append(key);
  out += '=';
  if (bare) {
    out.append(value);
  } else {
    out += nlohmann::json(std::string(value))
               .dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
}

}  // namespace

std::string Logger::Format(LogLevel level, std::string_view msg,
                           std::initializer_list<LogField> fields) const {
  if (format_ == LogFormat::kJson) {
    nlohmann::ordered_json j;
    j["ts"] = Rfc3339Now();
    j["level"] = LogLevelName(level);
    j["msg"] = msg;
    for (const LogField& f : fields) {
      std::string key(f.key);
      std::visit(
          [&](const auto& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, double>) {
              j[key] =
                  std::isfinite(v) ? nlohmann::ordered_json(v) : nlohmann::ordered_json(nullptr);
            } else {
              j[key] = v;
            }
          },
          f.value);
    }
    return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  }
  std::string out = "ts=" + Rfc3339Now();
  out += " level=";
  out.append(LogLevelName(level));
  AppendKv(out, "msg", msg);
  for (const LogField& f : fields) {
    std::visit(
        [&](const auto& v) {
          using T = std::decay_t<decltype(v)>;
          if constexpr (std::is_same_v<T, std::string_view>) {
            AppendKv(out, f.key, v);
          } else if constexpr (std::is_same_v<T, bool>) {
            AppendKv(out, f.key, v ? "true" : "false");
          } else {
            AppendKv(out, f.key, std::to_string(v));
          }
        },
        f.value);
  }
  return out + "\n";
}

void Logger::Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields) {
  if (!Enabled(level)) return;
  // A log line that cannot be written has nowhere to be reported; dropping it is the only option.
  (void)WriteLine(fd_, Format(level, msg, fields));
}

}  // namespace castor::server
