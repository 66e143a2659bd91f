#pragma once
// CDS Hooks 2.0 §Feedback: {"feedback":[{card, outcome, acceptedSuggestions, overrideReason, outcomeTimestamp}]}.
// Validated here; durable storage is issue #6.

#include <string>
#include <string_view>
#include <vector>

#include "fhir/json.hpp"
#include "fhir/problem.hpp"

namespace nmo::service::feedback {

struct FeedbackEntry {
  std::string card;     // the card's uuid
  std::string outcome;  // accepted | overridden
  std::vector<std::string> accepted_suggestions;
  std::string override_system, override_code, override_display, user_comment;
  std::string outcome_timestamp;
};

/// Problems carry the JSON path ("feedback[0].outcome").
fhir::Result<std::vector<FeedbackEntry>> parse_feedback(std::string_view body, const fhir::JsonLimits& limits);

/// RFC 3339 date-time (with seconds and a zone): 2026-11-24T10:00:00Z, 2026-11-24T10:00:00.123+01:00.
bool is_rfc3339(std::string_view text);

}  // namespace nmo::service::feedback
