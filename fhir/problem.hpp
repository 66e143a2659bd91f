#pragma once
// Expected failures as values. A Problem carries a kind (mapped to an HTTP status in one place in service/),
// the JSON path of the offending element, a public message (safe to return to the caller) and an internal
// detail (for the log only; never sent).

#include <string>
#include <utility>
#include <variant>

namespace nmo::fhir {

enum class ProblemKind {
  invalid,          // malformed or wrong input            → 400
  not_found,        // unknown route or service            → 404
  method,           // method not allowed                  → 405
  too_large,        // body over the limit                 → 413
  media_type,       // wrong Content-Type                  → 415
  missing_data,     // data needed can't be had            → 412
  unauthorized,     // authentication failed               → 401
  upstream,         // the FHIR server failed us           → 412 (data could not be obtained)
  unavailable,      // over capacity or stopping           → 503
  internal,         // a bug                               → 500
};

struct Problem {
  ProblemKind kind = ProblemKind::invalid;
  std::string path;     // JSON path, e.g. "prefetch.conditions.entry[3].resource.code"; empty if none
  std::string message;  // public
  std::string detail;   // internal, log only
};

inline Problem make_problem(ProblemKind kind, std::string path, std::string message, std::string detail = {}) {
  return Problem{kind, std::move(path), std::move(message), std::move(detail)};
}

/// A value or the Problem that prevented it.
template <class T>
class Result {
 public:
  Result(T value) : v_(std::move(value)) {}              // NOLINT(google-explicit-constructor)
  Result(Problem problem) : v_(std::move(problem)) {}    // NOLINT(google-explicit-constructor)
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  T& value() { return std::get<0>(v_); }
  const T& value() const { return std::get<0>(v_); }
  T& operator*() { return value(); }
  const T& operator*() const { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  const Problem& problem() const { return std::get<1>(v_); }

 private:
  std::variant<T, Problem> v_;
};

}  // namespace nmo::fhir
