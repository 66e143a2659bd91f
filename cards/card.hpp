#pragma once
// A CDS Hooks 2.0 card (§CDS Service Response) as plain data, and its JSON form.

#include <string>
#include <string_view>
#include <vector>

#include "fhir/patient_record.hpp"

namespace nmo::cards {

enum class Indicator { info, warning, critical };  // ordered by severity

struct Action {
  std::string type;           // create | update | delete
  std::string description;
  std::string resource_json;  // full FHIR resource as compact JSON, for create/update; empty for delete
  std::string resource_id;    // relative reference "Type/id", for delete
};

struct Suggestion {
  std::string label;
  std::string uuid;
  bool is_recommended = false;
  std::vector<Action> actions;
};

struct Link {
  std::string label;
  std::string url;
  std::string type = "absolute";  // absolute | smart
};

struct Source {
  std::string label;
  std::string url;
  fhir::Coding topic;  // omitted when code is empty
};

struct Card {
  std::string rule_id;  // e.g. "NMOSD-05"; not part of the JSON
  std::string fact_digest;  // the facts that fired it (cards/quiet.hpp); not part of the JSON
  std::string uuid;
  std::string summary;  // < 140 characters
  std::string detail;   // GitHub-flavoured Markdown
  Indicator indicator = Indicator::info;
  Source source;
  std::vector<Suggestion> suggestions;
  std::string selection_behavior;  // at-most-one | any; required when suggestions exist
  std::vector<fhir::Coding> override_reasons;
  std::vector<Link> links;
};

/// {"cards":[...]}: optional members without a value are omitted, never null or empty (§JSON rules).
std::string write_response(const std::vector<Card>& cards);

const char* indicator_name(Indicator indicator);

/// The number at the end of a rule id ("NMOSD-05" → 5); 0 when there is none or it exceeds 65535.
unsigned rule_number(std::string_view rule_id);

/// The rule number a card uuid issued by this engine carries (see detail::card_uuid: octets 14-15, checked by
/// octets 12-13), whichever replica issued it; 0 when `uuid` is not a card uuid of ours.
unsigned rule_number_of_card_uuid(std::string_view uuid);

}  // namespace nmo::cards
