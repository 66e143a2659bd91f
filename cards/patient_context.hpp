#pragma once
// What the rules need to know about the patient, computed once per evaluate() from the record and the knowledge.
// Holds pointers into the PatientRecord and the KnowledgeBase: valid while both live.

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "cards/hook_input.hpp"
#include "cards/knowledge_model.hpp"
#include "fhir/patient_record.hpp"

namespace nmo::cards {

enum class Serostatus { unknown, positive, negative };
enum class ResultValue { indeterminate, positive, negative };

/// A counted laboratory result (status final/amended/corrected) of a value set the engine reads.
struct LabResult {
  const ValueSet* value_set = nullptr;
  const fhir::Observation* observation = nullptr;
  fhir::Time time;
  ResultValue value = ResultValue::indeterminate;
  bool cell_based = false;  // AQP4 only
  std::string method;       // of the code (cell_based | elisa | unspecified), "" when not known
  bool low_positive = false;  // positive, not cell-based, and low (words or value / cut-off below the threshold)
};

/// A medication of a known agent: from the chart, or a draft order under judgement.
struct AgentUse {
  const Agent* agent = nullptr;
  const fhir::MedicationUse* use = nullptr;
  bool drafted = false;              // a draft order this hook judges (order-select: selected; order-sign: all)
  bool active = false;               // chart: active/on-hold (or no status) and not ended before now
  fhir::Time start;                  // start, else authored
  fhir::Time end;                    // end when recorded
  bool for_other_condition = false;  // reason given and none of it is NMOSD
  std::string reference() const;     // "Type/id"
};

/// An attack: an NMOSD Condition in recurrence/relapse, or a methylprednisolone course at the attack dose.
struct AttackEvent {
  std::int64_t time = 0;
  bool relapse = false;  // not the index attack (see knowledge report, "Attack and relapse signals")
  bool steroid_course = false;
  std::string evidence;  // one Markdown line
};

struct PatientContext {
  std::int64_t now = 0;
  Hook hook = Hook::patient_view;

  bool nmosd = false;
  std::vector<const fhir::Condition*> nmosd_conditions;
  std::string nmosd_evidence;  // Markdown line for the first counted NMOSD Condition (says when it matched by text)
  fhir::Time nmosd_first;  // earliest onset/recorded of a counted NMOSD Condition
  bool ms = false;
  bool mogad = false;

  Serostatus aqp4 = Serostatus::unknown;
  std::vector<LabResult> labs;  // every counted result of a lab value set, oldest first
  bool aqp4_cell_based = false;
  bool aqp4_low_positive_only = false;  // every positive AQP4 result is a low-positive non-cell-based one (item 3)
  bool mog_tested = false;
  Serostatus mog = Serostatus::unknown;  // any positive → positive; else negative when a negative exists

  std::vector<AgentUse> chart;       // every chart medication of a known agent
  std::vector<AgentUse> drafted;     // drafts under judgement, of a known agent
  std::vector<AttackEvent> attacks;  // oldest first

  bool pregnant = false;
  bool pregnancy_confirmed = false;  // review of issue 12, defect 2: not only by an unverified code prefix
  std::string pregnancy_evidence;
  bool pregnancy_planned = false;  // issue 12 item 6: a reason for NMOSD-15 counselling, not a pregnancy
  std::string pregnancy_planned_evidence;
  // Issue 12 item 4: meningococcal protection for a complement-inhibitor patient (ACIP windows), doses given at
  // least `vaccination_min_days_before` ago; the lines say what is missing or does not count.
  bool men_acwy_protected = false;
  bool men_b_protected = false;
  std::vector<std::string> meningococcal_evidence;

  std::optional<int> age_years;
  std::string sex;

  std::vector<std::string> aqp4_evidence;  // Markdown lines behind `aqp4`

  /// Active chart uses of an agent of `cls`.
  std::vector<const AgentUse*> active_of(AgentClass cls) const;
  /// The active chart use of `agent` (not for another condition); nullptr when the patient does not receive it.
  const AgentUse* receiving(const Agent& agent) const;
  /// The latest relapse in [since, now] while `use` covered it: at least `min_on_seconds` after its start and not
  /// after its end (active: now); nullptr when none. Review of issue 12, defect 6: every attack is considered, so a
  /// recent relapse is found behind an earlier one (NMOSD-04, NMOSD-16 and failed() share it).
  const AttackEvent* relapse_on(const AgentUse& use, std::int64_t since = INT64_MIN,
                                std::int64_t min_on_seconds = 0) const;
  /// A relapse happened on `agent` (issue 12 item 11: treatment failure).
  bool failed(const Agent& agent) const;
  /// Latest counted result of `value_set_id` taken in [now - lookback, now]; nullptr when none.
  const LabResult* latest_lab(std::string_view value_set_id, std::int64_t lookback_seconds) const;
};

/// Builds the context. Never throws on odd data: what cannot be read is ignored.
PatientContext build_context(const HookInput& input, const fhir::PatientRecord& record, const KnowledgeBase& kb);

namespace detail {
/// Agents named by a medication: codes first (RxNorm ingredient/brand/biosimilar, ATC, SNOMED substance), then
/// ingredient and brand names in the text and coding displays (case-insensitive, word boundaries).
std::vector<const Agent*> match_agents(const fhir::Concept& medication, const KnowledgeBase& kb);
/// True when the concept has a code of `value_set` (or a prefix of it), or, if `use_text`, its text patterns.
bool concept_in(const fhir::Concept& code, const ValueSet& value_set, const KnowledgeBase& kb, bool use_text);
/// A concept's text and each coding's display in lower case, joined by " | " (text patterns never hold a '|').
std::string concept_words(const fhir::Concept& code);
/// Methylprednisolone at or above the attack dose, route intravenous or not stated; `route` gets the route text.
bool attack_dose_steroid(const AgentUse& use, const KnowledgeBase& kb, std::string* route);
/// "2024-05-01" for a time in seconds since the epoch (UTC).
std::string format_date(std::int64_t seconds);
/// Text from the record made safe inside Markdown (escapes the characters that start Markdown syntax).
std::string markdown_text(std::string_view text);
/// Largest "N mg" / "N g" amount in the text, in mg.
std::optional<double> amount_mg_in_text(std::string_view text);
constexpr std::int64_t kDay = 86400;
}  // namespace detail

}  // namespace nmo::cards
