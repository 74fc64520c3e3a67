// Status and Result<T>: errors as values, with a canonical code and a message carrying context.
// No exception crosses a folder boundary in castor; code that calls throwing libraries wraps them.
#pragma once

#include <cassert>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace castor {

enum class StatusCode {
  kOk = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kCorruption,
  kIOError,
  kUnavailable,
  kPermissionDenied,
  kUnauthenticated,
  kResourceExhausted,
  kFailedPrecondition,
  kOutOfRange,
  kUnimplemented,
  kInternal,
  kCancelled,
  kDeadlineExceeded,
};

// Returns a stable lower-case name ("not_found", "corruption", ...).
std::string_view StatusCodeName(StatusCode code);

// An error code plus a human-readable message. Cheap to copy when OK. Safe to share read-only.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string message) : code_(code), message_(std::move(message)) {}

  static Status OK() { return Status(); }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  const std::string& message() const { return message_; }

  // "corruption: xorb 3fa2…: chunk 17: unknown compression scheme 9".
  std::string ToString() const;

  // Returns a copy whose message is "context: message" (no-op when OK).
  Status WithContext(std::string_view context) const;

  bool operator==(const Status& o) const { return code_ == o.code_ && message_ == o.message_; }

 private:
  StatusCode code_ = StatusCode::kOk;
  std::string message_;
};

Status InvalidArgument(std::string msg);
Status NotFound(std::string msg);
Status AlreadyExists(std::string msg);
Status Corruption(std::string msg);
Status IOError(std::string msg);
Status Unavailable(std::string msg);
Status PermissionDenied(std::string msg);
Status Unauthenticated(std::string msg);
Status ResourceExhausted(std::string msg);
Status FailedPrecondition(std::string msg);
Status OutOfRange(std::string msg);
Status Unimplemented(std::string msg);
Status Internal(std::string msg);
Status Cancelled(std::string msg);
Status DeadlineExceeded(std::string msg);

// IOError from an errno value: "what: strerror(err)".
Status ErrnoError(std::string_view what, int err);

// Either a T or a non-OK Status.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : v_(std::move(status)) {  // NOLINT
    assert(!std::get<Status>(v_).ok());
  }

  bool ok() const { return std::holds_alternative<T>(v_); }
  const Status& status() const {
    static const Status kOk;
    return ok() ? kOk : std::get<Status>(v_);
  }
  T& value() & { return std::get<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace castor

#define CASTOR_CONCAT_INNER_(a, b) a##b
#define CASTOR_CONCAT_(a, b) CASTOR_CONCAT_INNER_(a, b)

// Returns the Status from the enclosing function if `expr` is not OK.
#define CASTOR_RETURN_IF_ERROR(expr)           \
  do {                                         \
    ::castor::Status _castor_st = (expr);      \
    if (!_castor_st.ok()) return _castor_st;   \
  } while (0)

// `CASTOR_ASSIGN_OR_RETURN(auto x, F());` declares x from a Result or returns its error.
#define CASTOR_ASSIGN_OR_RETURN(lhs, expr) \
  CASTOR_ASSIGN_OR_RETURN_IMPL_(CASTOR_CONCAT_(_castor_res_, __LINE__), lhs, expr)
#define CASTOR_ASSIGN_OR_RETURN_IMPL_(res, lhs, expr) \
  auto res = (expr);                                  \
  if (!res.ok()) return res.status();                 \
  lhs = std::move(res).value()
