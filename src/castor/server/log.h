// Structured logging: one record per line on a file descriptor (stderr by default), as JSON
// ({"ts":…,"level":"info","msg":…,"key":value…}) or key=value text, filtered by level. Each
// record is written with a single write(2), so lines from concurrent threads and processes
// sharing the descriptor do not interleave. Safe for concurrent use.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <variant>

#include "castor/base/status.h"

namespace castor::server {

enum class LogLevel { kDebug = 0, kInfo = 1, kWarn = 2, kError = 3 };
enum class LogFormat { kJson, kKeyValue };

// "debug", "info", "warn" (or "warning"), "error".
Result<LogLevel> ParseLogLevel(std::string_view name);
std::string_view LogLevelName(LogLevel level);

using LogValue = std::variant<std::string_view, int64_t, uint64_t, double, bool>;
struct LogField {
  std::string_view key;
  LogValue value;
  LogField(std::string_view k, std::string_view v) : key(k), value(v) {}
  LogField(std::string_view k, const char* v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, const std::string& v) : key(k), value(std::string_view(v)) {}
  LogField(std::string_view k, int v) : key(k), value(int64_t{v}) {}
  LogField(std::string_view k, int64_t v) : key(k), value(v) {}
  LogField(std::string_view k, uint64_t v) : key(k), value(v) {}
  LogField(std::string_view k, double v) : key(k), value(v) {}
  LogField(std::string_view k, bool v) : key(k), value(v) {}
};

class Logger {
 public:
  // Does not take ownership of `fd`.
  explicit Logger(int fd = 2, LogLevel min_level = LogLevel::kInfo,
                  LogFormat format = LogFormat::kJson);

  bool Enabled(LogLevel level) const { return level >= min_level_; }
  void Log(LogLevel level, std::string_view msg, std::initializer_list<LogField> fields = {});
  void Debug(std::string_view msg, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kDebug, msg, f);
  }
  void Info(std::string_view msg, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kInfo, msg, f);
  }
  void Warn(std::string_view msg, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kWarn, msg, f);
  }
  void Error(std::string_view msg, std::initializer_list<LogField> f = {}) {
    Log(LogLevel::kError, msg, f);
  }

  // The line Log() would write (without writing it); exposed for tests.
  std::string Format(LogLevel level, std::string_view msg,
                     std::initializer_list<LogField> fields) const;

 private:
  int fd_;
  LogLevel min_level_;
  LogFormat format_;
};

// Writes `line` with one write(2) (retrying on EINTR). IOError on failure or a short write.
Status WriteLine(int fd, std::string_view line);

// Current UTC time as RFC 3339 with milliseconds: "2026-11-29T04:05:06.123Z".
std::string Rfc3339Now();

}  // namespace castor::server
