#pragma once
// The one place that maps failures to HTTP: status by Problem kind, an OperationOutcome body built from the
// public message and path only. The internal detail never leaves the process (the caller logs it).

#include <string_view>

#include "fhir/problem.hpp"
#include "service/http/transport.hpp"

namespace nmo::service::http {

int status_for(fhir::ProblemKind kind);

/// CDS Hooks 3.0 ballot: "non-2xx responses SHOULD carry an OperationOutcome"; 2.0 allows any body.
HttpResponse problem_response(const fhir::Problem& problem);

/// A Problem of `kind` with only a public message (for transport-level failures).
HttpResponse error_response(fhir::ProblemKind kind, std::string_view message);

}  // namespace nmo::service::http
