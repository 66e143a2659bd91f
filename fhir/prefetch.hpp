#pragma once
// Prefetch templates (CDS Hooks 2.0 §Prefetch Template): only root-level context tokens ({{context.patientId}},
// {{context.encounterId}}, {{context.userId}}) and the user tokens ({{userPractitionerId}},
// {{userPractitionerRoleId}}, {{userPatientId}}, {{userRelatedPersonId}}). Values substituted URL-encoded.

#include <string>
#include <string_view>

#include "fhir/problem.hpp"

namespace nmo::fhir {

struct PrefetchContext {
  std::string patient_id;    // bare id
  std::string user_id;       // "Type/id"; the spec says userId is already Type/id
  std::string encounter_id;  // may be empty
};

/// Renders `tmpl`. A token it does not know, or one whose value is empty (e.g. no encounter), is a Problem of
/// kind missing_data naming the token; the template is then not fetchable.
Result<std::string> render_prefetch(std::string_view tmpl, const PrefetchContext& ctx);

/// True when every token in `tmpl` is one the 2.0 rules allow (used to check the service's own templates).
bool prefetch_template_valid(std::string_view tmpl);

}  // namespace nmo::fhir
