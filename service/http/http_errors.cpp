#include "service/http/http_errors.hpp"

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

namespace nmo::service::http {

using fhir::ProblemKind;

int status_for(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::invalid: return 400;
    case ProblemKind::unauthorized: return 401;
    case ProblemKind::not_found: return 404;
    case ProblemKind::method: return 405;
    case ProblemKind::missing_data: return 412;
    case ProblemKind::upstream: return 412;
    case ProblemKind::too_large: return 413;
    case ProblemKind::media_type: return 415;
    case ProblemKind::unavailable: return 503;
    case ProblemKind::internal: return 500;
  }
  return 500;
}

namespace {

// FHIR R4 IssueType codes (http://hl7.org/fhir/issue-type).
const char* issue_code(ProblemKind kind) {
  switch (kind) {
    case ProblemKind::invalid: return "invalid";
    case ProblemKind::unauthorized: return "login";
    case ProblemKind::not_found: return "not-found";
    case ProblemKind::method: return "not-supported";
    case ProblemKind::missing_data: return "incomplete";
    case ProblemKind::upstream: return "transient";
    case ProblemKind::too_large: return "too-long";
    case ProblemKind::media_type: return "not-supported";
    case ProblemKind::unavailable: return "throttled";
    case ProblemKind::internal: return "exception";
  }
  return "exception";
}

}  // namespace

HttpResponse problem_response(const fhir::Problem& problem) {
  HttpResponse response;
  response.status = status_for(problem.kind);
  response.content_type = "application/fhir+json";
  if (problem.kind == ProblemKind::unauthorized) {
    // CDS Hooks 2.0 §Trusting CDS Clients: a bare 401; nothing says which check failed.
    response.body = R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"login"}]})";
    return response;
  }
  rapidjson::StringBuffer buf;
  rapidjson::Writer<rapidjson::StringBuffer> w(buf);
  w.StartObject();
  w.Key("resourceType");
  w.String("OperationOutcome");
  w.Key("issue");
  w.StartArray();
  w.StartObject();
  w.Key("severity");
  w.String(problem.kind == ProblemKind::internal ? "fatal" : "error");
  w.Key("code");
  w.String(issue_code(problem.kind));
  const std::string& message = problem.kind == ProblemKind::internal ? std::string("internal error") : problem.message;
  if (!message.empty()) {
    w.Key("diagnostics");
    w.String(message.data(), static_cast<rapidjson::SizeType>(message.size()));
  }
  if (!problem.path.empty() && problem.kind != ProblemKind::internal) {
    w.Key("expression");
    w.StartArray();
    w.String(problem.path.data(), static_cast<rapidjson::SizeType>(problem.path.size()));
    w.EndArray();
  }
  w.EndObject();
  w.EndArray();
  w.EndObject();
  response.body.assign(buf.GetString(), buf.GetSize());
  return response;
}

HttpResponse error_response(ProblemKind kind, std::string_view message) {
  return problem_response(fhir::make_problem(kind, {}, std::string(message)));
}

}  // namespace nmo::service::http
