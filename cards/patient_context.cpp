#include "cards/patient_context.hpp"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <cstdio>

#include "cards/text_match.hpp"

namespace nmo::cards {

namespace detail {

std::vector<const Agent*> match_agents(const fhir::Concept& medication, const KnowledgeBase& kb) {
  std::vector<const Agent*> out;
  auto add = [&](const Agent* a) {
    if (std::find(out.begin(), out.end(), a) == out.end()) out.push_back(a);
  };
  for (const auto& coding : medication.codings) {
    if (const CodeMeaning* m = kb.lookup(coding.system, coding.code); m && m->agent) add(m->agent);
  }
  if (!out.empty()) return out;
  return kb.agents_named(concept_words(medication));
}

std::string concept_words(const fhir::Concept& code) {
  std::size_t size = code.text.size();
  for (const auto& coding : code.codings) size += 3 + coding.display.size();
  std::string text;
  text.reserve(size);
  text.append(code.text);
  for (const auto& coding : code.codings) text.append(" | ").append(coding.display);
  for (char& c : text) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return text;
}

bool concept_in(const fhir::Concept& code, const ValueSet& value_set, const KnowledgeBase& kb, bool use_text) {
  for (const auto& coding : code.codings) {
    if (const CodeMeaning* m = kb.lookup(coding.system, coding.code); m && m->value_set == &value_set) return true;
    if (kb.lookup_prefix(coding.system, coding.code) == &value_set) return true;
  }
  if (!use_text || value_set.text_patterns.empty()) return false;
  return contains_any_word(concept_words(code), value_set.text_patterns);
}

std::string format_date(std::int64_t seconds) {
  // Howard Hinnant's civil_from_days.
  std::int64_t z = (seconds >= 0 ? seconds : seconds - (kDay - 1)) / kDay + 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const std::int64_t y0 = static_cast<std::int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const std::int64_t y = y0 + (m <= 2 ? 1 : 0);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld-%02u-%02u", static_cast<long long>(y), m, d);
  return buf;
}

std::string markdown_text(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    if (c == '\n' || c == '\r') {
      out += ' ';
      continue;
    }
    if (std::string_view("\\`*_{}[]()<>#+!|~").find(c) != std::string_view::npos) out += '\\';
    out += c;
  }
  return out;
}

std::optional<double> amount_mg_in_text(std::string_view text) {
  const std::string t = to_lower(text);
  std::optional<double> best;
  for (std::size_t i = 0; i < t.size(); ++i) {
    if (!std::isdigit(static_cast<unsigned char>(t[i])) ||
        (i > 0 && (std::isalnum(static_cast<unsigned char>(t[i - 1])) || t[i - 1] == '.' || t[i - 1] == '/')))
      continue;
    std::size_t j = i;
    double value = 0;
    while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) value = value * 10 + (t[j++] - '0');
    if (j < t.size() && t[j] == '.') {
      double scale = 0.1;
      ++j;
      while (j < t.size() && std::isdigit(static_cast<unsigned char>(t[j]))) {
        value += (t[j++] - '0') * scale;
        scale /= 10;
      }
    }
    while (j < t.size() && t[j] == ' ') ++j;
    double factor = 0;
    std::size_t unit_end = j;
    if (t.compare(j, 2, "mg") == 0) {
      factor = 1;
      unit_end = j + 2;
    } else if (t.compare(j, 1, "g") == 0) {
      factor = 1000;
      unit_end = j + 1;
    }
    if (factor == 0) continue;
    if (unit_end < t.size() && (std::isalpha(static_cast<unsigned char>(t[unit_end])) || t[unit_end] == '/'))
      continue;  // mg/ml, gram...
    const double mg = value * factor;
    if (!best || mg > *best) best = mg;
    i = unit_end;
  }
  return best;
}

}  // namespace detail

namespace {

using detail::kDay;

// One piece of pregnancy evidence: a pregnancy Condition, or an hCG / pregnancy-status result.
struct PregnancyEvent {
  std::int64_t time = 0;
  bool pregnant = false;
  std::string evidence;
  bool confirmed = true;  // false: only an unverified code prefix says so (review of issue 12, defect 2)
};

// Review of issue 12, defect 2: a code of `value_set` that is a verified listed code or matches a verified prefix.
bool has_verified_code(const fhir::Concept& code, const ValueSet& value_set, const KnowledgeBase& kb) {
  for (const auto& coding : code.codings) {
    if (const CodeMeaning* m = kb.lookup(coding.system, coding.code); m && m->value_set == &value_set)
      return m->code && m->code->verified;
    const CodePrefix* prefix = nullptr;
    if (kb.lookup_prefix(coding.system, coding.code, &prefix) == &value_set && prefix->verified) return true;
  }
  return false;
}

bool condition_counts(const fhir::Condition& c) {
  // Issue 4 §2: "active and not refuted or entered-in-error"; clinical status absent counts.
  if (c.verification_status == "refuted" || c.verification_status == "entered-in-error") return false;
  return c.clinical_status.empty() || c.clinical_status == "active" || c.clinical_status == "recurrence" ||
         c.clinical_status == "relapse";
}

bool observation_counts(const fhir::Observation& o) {
  // nmosd-knowledge.md §1.3: "Only final/amended/corrected Observations count; entered-in-error never."
  return o.status == "final" || o.status == "amended" || o.status == "corrected";
}

bool concept_has_code(const std::vector<fhir::Concept>& concepts, const std::vector<std::string>& codes) {
  for (const auto& c : concepts) {
    for (const auto& coding : c.codings) {
      if (std::find(codes.begin(), codes.end(), coding.code) != codes.end()) return true;
    }
  }
  return false;
}

ResultValue read_text_result(const std::string& text_lower, const KnowledgeBase& kb) {
  if (text_lower.empty()) return ResultValue::indeterminate;
  if (detail::contains_any_word(text_lower, kb.value_set("result_negative").text_patterns))
    return ResultValue::negative;
  if (detail::contains_any_word(text_lower, kb.value_set("result_positive").text_patterns))
    return ResultValue::positive;
  // A titer "1:N" (N > 0) is positive.
  if (auto colon = text_lower.find("1:"); colon != std::string::npos) {
    const std::size_t d = colon + 2;
    const std::size_t before = text_lower.find_last_not_of(' ', colon == 0 ? std::string::npos : colon - 1);
    if (colon > 0 && before != std::string::npos && text_lower[before] == '<') return ResultValue::negative;  // <1:10
    if (d < text_lower.size() && std::isdigit(static_cast<unsigned char>(text_lower[d])) && text_lower[d] != '0')
      return ResultValue::positive;
  }
  return ResultValue::indeterminate;
}

// nmosd-knowledge.md §1.3 "Reading results".
ResultValue read_result(const fhir::Observation& o, const KnowledgeBase& kb) {
  if (o.value_concept) {
    const ValueSet& pos = kb.value_set("result_positive");
    const ValueSet& neg = kb.value_set("result_negative");
    if (detail::concept_in(*o.value_concept, neg, kb, false)) return ResultValue::negative;
    if (detail::concept_in(*o.value_concept, pos, kb, false)) return ResultValue::positive;
    const std::string text = detail::concept_words(*o.value_concept);
    if (auto v = read_text_result(text, kb); v != ResultValue::indeterminate) return v;
  }
  if (o.value_string) {
    if (auto v = read_text_result(detail::to_lower(*o.value_string), kb); v != ResultValue::indeterminate) return v;
  }
  if (o.value_boolean) return *o.value_boolean ? ResultValue::positive : ResultValue::negative;
  if (o.value_ratio_denominator && *o.value_ratio_denominator > 0) return ResultValue::positive;
  if (concept_has_code(o.interpretation, kb.interpretation_negative())) return ResultValue::negative;
  if (concept_has_code(o.interpretation, kb.interpretation_positive())) return ResultValue::positive;
  for (const auto& i : o.interpretation) {
    if (auto v = read_text_result(detail::to_lower(i.text), kb); v != ResultValue::indeterminate) return v;
  }
  if (o.value_quantity && (o.value_comparator == "<" || o.value_comparator == "<=")) return ResultValue::negative;
  // Issue 12 item 3: a quantity read against its reference range (the normal range): above it is positive.
  if (o.value_quantity && o.reference_high) {
    if (o.value_comparator == ">" || o.value_comparator == ">=")
      return *o.value_quantity >= *o.reference_high ? ResultValue::positive : ResultValue::indeterminate;
    return *o.value_quantity > *o.reference_high ? ResultValue::positive : ResultValue::negative;
  }
  if (o.value_quantity && o.reference_low && o.value_comparator.empty() && *o.value_quantity < *o.reference_low)
    return ResultValue::negative;
  return ResultValue::indeterminate;
}

// All the words of a result: value text, value concept text and displays, interpretation text and displays.
std::string result_words(const fhir::Observation& o) {
  std::string text = o.value_string ? detail::to_lower(*o.value_string) : std::string();
  auto add = [&](const fhir::Concept& c) { text.append(" | ").append(detail::concept_words(c)); };
  if (o.value_concept) add(*o.value_concept);
  for (const auto& i : o.interpretation) add(i);
  return text;
}

// Issue 12 item 3: a positive ELISA that is low: said so in words, or a value below `aqp4_elisa_low_positive_ratio`
// times the upper reference limit (the assay's cut-off). Review of issue 12, defect 4: only an ELISA (by its code or
// the words of its code); a result of unknown method is a positive, not a low positive.
bool is_low_positive(const LabResult& lab, const KnowledgeBase& kb) {
  if (lab.value != ResultValue::positive || lab.cell_based || lab.method != "elisa") return false;
  const fhir::Observation& o = *lab.observation;
  if (detail::contains_any_word(result_words(o), kb.value_set("result_positive").low_positive_text_patterns))
    return true;
  return o.value_quantity && o.reference_high && *o.reference_high > 0 &&
         *o.value_quantity / *o.reference_high < kb.threshold("aqp4_elisa_low_positive_ratio");
}

// Review of issue 12, defect 3: a Condition with no code of any value set the engine knows whose text or display
// asserts NMOSD: named on word boundaries, not negated right before or after, not hedged ("possible", "vs").
bool nmosd_by_text(const fhir::Condition& c, std::string_view text, const ValueSet& nmosd, const KnowledgeBase& kb) {
  for (const auto& coding : c.code.codings) {
    if (kb.lookup(coding.system, coding.code) || kb.lookup_prefix(coding.system, coding.code)) return false;
  }
  return detail::asserted_term(text, nmosd.text_patterns, nmosd.negation_before_text_patterns,
                               nmosd.negation_after_text_patterns, nmosd.hedge_text_patterns);
}

const char* const kLabValueSets[] = {"aqp4", "mog", "hbsag", "anti_hbc", "igg", "tb_igra", "hcg", "pregnancy_status"};

bool medication_active(const fhir::MedicationUse& use, std::int64_t now) {
  const std::string& s = use.status;
  const bool status_ok = s.empty() || s == "active" || s == "on-hold";
  return status_ok && (!use.end || *use.end >= now);
}

bool is_nmosd_text(const std::string& lower) {
  static const std::vector<std::string> kWords = {"neuromyelitis", "nmo", "nmosd", "devic"};
  return detail::contains_any_word(lower, kWords);
}

// Issue 4 §1.3 "not when the order's reason is another condition".
bool for_other_condition(const fhir::MedicationUse& use, const fhir::PatientRecord& record, const KnowledgeBase& kb) {
  if (use.reasons.empty() && use.reason_refs.empty()) return false;
  const ValueSet& nmosd = kb.value_set("nmosd");
  bool known_other = false;
  for (const auto& r : use.reasons) {
    if (detail::concept_in(r, nmosd, kb, false) || is_nmosd_text(detail::to_lower(r.text))) return false;
    known_other = true;
  }
  for (const auto& ref : use.reason_refs) {
    for (const auto& c : record.conditions) {
      if (ref == "Condition/" + c.id || ref == c.id) {
        if (detail::concept_in(c.code, nmosd, kb, false)) return false;
        known_other = true;
      }
    }
  }
  return known_other;
}

}  // namespace

namespace detail {
bool attack_dose_steroid(const AgentUse& u, const KnowledgeBase& kb, std::string* route_text) {
  if (!u.agent->acute_attack_steroid) return false;
  const fhir::MedicationUse& m = *u.use;
  std::optional<double> dose = m.dose_mg;
  if (!dose) {
    std::string text = m.medication.text;
    text.append(" ").append(m.dosage_text);
    for (const auto& c : m.medication.codings) text.append(" ").append(c.display);
    dose = detail::amount_mg_in_text(text);
  }
  if (!dose || *dose < kb.threshold("ivmp_min_dose_mg")) return false;
  std::string route = detail::to_lower(m.route.text);
  for (const auto& c : m.route.codings) route.append(" ").append(detail::to_lower(c.display));
  if (route_text) *route_text = route.empty() ? "route not stated" : detail::markdown_text(route);
  if (route.find_first_not_of(' ') == std::string::npos) {
    // No stated route: IV unless the dosage text says otherwise.
    const std::string dosage = detail::to_lower(m.dosage_text);
    return dosage.empty() || detail::contains_any_word(dosage, kb.route_iv_patterns()) ||
           dosage.find("oral") == std::string::npos;
  }
  return detail::contains_any_word(route, kb.route_iv_patterns());
}
}  // namespace detail

std::string AgentUse::reference() const { return use->resource_type + "/" + use->id; }

std::vector<const AgentUse*> PatientContext::active_of(AgentClass cls) const {
  std::vector<const AgentUse*> out;
  for (const auto& u : chart) {
    if (u.active && u.agent->agent_class == cls) out.push_back(&u);
  }
  return out;
}

const AgentUse* PatientContext::receiving(const Agent& agent) const {
  for (const auto& u : chart)
    if (u.active && u.agent == &agent && !u.for_other_condition) return &u;
  return nullptr;
}

const AttackEvent* PatientContext::relapse_on(const AgentUse& u, std::int64_t since, std::int64_t min_on_seconds) const {
  if (!u.start) return nullptr;
  const std::optional<std::int64_t> end = u.end ? u.end : (u.active ? std::optional<std::int64_t>(now) : std::nullopt);
  if (!end) return nullptr;
  const AttackEvent* latest = nullptr;
  for (const auto& ev : attacks) {
    if (!ev.relapse || ev.time < since || ev.time > now || ev.time > *end) continue;
    if (ev.time - *u.start < min_on_seconds) continue;
    if (!latest || ev.time >= latest->time) latest = &ev;
  }
  return latest;
}

bool PatientContext::failed(const Agent& agent) const {
  for (const auto& u : chart)
    if (u.agent == &agent && relapse_on(u)) return true;
  return false;
}

const LabResult* PatientContext::latest_lab(std::string_view value_set_id, std::int64_t lookback_seconds) const {
  const LabResult* best = nullptr;
  for (const auto& lab : labs) {
    if (lab.value_set->id != value_set_id || !lab.time) continue;
    if (*lab.time > now || *lab.time < now - lookback_seconds) continue;
    if (!best || *lab.time >= *best->time) best = &lab;
  }
  return best;
}

namespace {

struct Dose {
  std::int64_t time = 0;
  std::string family;  // MenB: menb_4c | menb_fhbp | "" (unspecified)
  std::string line;    // "Immunization/x, 2024-01-01"
};

bool has_gap(const std::vector<Dose>& doses, std::int64_t min_gap) {
  return doses.size() >= 2 && doses.back().time - doses.front().time >= min_gap;
}

std::string dose_dates(const std::vector<Dose>& doses) {
  std::string out;
  for (const auto& d : doses) out += (out.empty() ? "" : "; ") + d.line;
  return out;
}

// ACIP (MMWR Recomm Rep 2020;69(RR-9)) for complement-inhibitor patients: MenACWY 2-dose primary series >= 8 weeks
// apart with boosters every 5 years; MenB primary series (MenB-4C 2 doses >= 1 month apart, MenB-FHbp 3 doses)
// with boosters. Doses outside those windows do not count.
void meningococcal_status(PatientContext& ctx, const fhir::PatientRecord& record, const KnowledgeBase& kb) {
  const auto min_before = static_cast<std::int64_t>(kb.threshold("vaccination_min_days_before")) * kDay;
  const ValueSet& acwy = kb.value_set("men_acwy");
  const ValueSet& b = kb.value_set("men_b");
  const ValueSet& both = kb.value_set("men_acwy_b");
  const ValueSet& not_counted = kb.value_set("men_not_counted");
  std::vector<Dose> acwy_doses, b_doses;
  for (const auto& imm : record.immunizations) {
    if (imm.not_given || !(imm.status.empty() || imm.status == "completed") || !imm.occurrence) continue;
    if (*imm.occurrence > ctx.now - min_before) continue;
    const std::string line = "Immunization/" + detail::markdown_text(imm.id) + ", " + detail::format_date(*imm.occurrence);
    const bool is_both = detail::concept_in(imm.vaccine, both, kb, false);
    const bool coded = is_both || detail::concept_in(imm.vaccine, acwy, kb, false) ||
                       detail::concept_in(imm.vaccine, b, kb, false);
    if (detail::concept_in(imm.vaccine, not_counted, kb, !coded)) {
      const KnownCode* code = nullptr;
      for (const auto& c : imm.vaccine.codings)
        if (const CodeMeaning* m = kb.lookup(c.system, c.code); m && m->value_set == &not_counted) code = m->code;
      ctx.meningococcal_evidence.push_back((code ? code->display : detail::markdown_text(imm.vaccine.text)) + " (" +
                                           line + ") does not count as MenACWY or MenB protection");
      continue;
    }
    std::string family;
    for (const auto& c : imm.vaccine.codings) {
      const CodeMeaning* m = kb.lookup(c.system, c.code);
      if (!m || !m->code) continue;
      for (const auto& t : m->code->tags)
        if (t == "menb_4c" || t == "menb_fhbp") family = t;
    }
    if (family.empty() && !coded) {  // a product named in the text (the products are not interchangeable)
      const std::string text = detail::to_lower(imm.vaccine.text);
      if (detail::contains_any_word(text, {"bexsero", "menb-4c", "4cmenb"})) family = "menb_4c";
      if (detail::contains_any_word(text, {"trumenba", "menb-fhbp"})) family = "menb_fhbp";
    }
    const bool combined = is_both || (!coded && detail::concept_in(imm.vaccine, both, kb, true));
    if (combined || detail::concept_in(imm.vaccine, acwy, kb, !coded)) acwy_doses.push_back(Dose{*imm.occurrence, family, line});
    if (combined || detail::concept_in(imm.vaccine, b, kb, !coded)) b_doses.push_back(Dose{*imm.occurrence, family, line});
  }
  auto by_time = [](const Dose& x, const Dose& y) { return x.time < y.time; };
  std::sort(acwy_doses.begin(), acwy_doses.end(), by_time);
  std::sort(b_doses.begin(), b_doses.end(), by_time);

  const auto acwy_gap = static_cast<std::int64_t>(kb.threshold("men_acwy_min_interval_days")) * kDay;
  const auto acwy_booster = static_cast<std::int64_t>(kb.threshold("men_acwy_booster_days")) * kDay;
  if (acwy_doses.empty()) {
    ctx.meningococcal_evidence.push_back("No MenACWY conjugate vaccination documented at least 2 weeks ago");
  } else if (!has_gap(acwy_doses, acwy_gap)) {
    ctx.meningococcal_evidence.push_back("MenACWY: " + std::to_string(acwy_doses.size()) + " dose(s) (" +
                                         dose_dates(acwy_doses) +
                                         "); complement-inhibitor patients need a 2-dose primary series at least "
                                         "8 weeks apart (ACIP)");
  } else if (ctx.now - acwy_doses.back().time > acwy_booster) {
    ctx.meningococcal_evidence.push_back("MenACWY: last dose more than 5 years ago (" + acwy_doses.back().line +
                                         "): a booster is due (ACIP: every 5 years)");
  } else {
    ctx.men_acwy_protected = true;
  }

  const auto b_gap = static_cast<std::int64_t>(kb.threshold("men_b_min_interval_days")) * kDay;
  const auto b_booster = static_cast<std::int64_t>(kb.threshold("men_b_booster_days")) * kDay;
  const auto fhbp_doses = static_cast<std::size_t>(kb.threshold("men_b_fhbp_doses"));
  // Review of issue 12, defect 8: a dose of unknown MenB product (CVX 164, "MenB vaccine") cannot complete a primary
  // series, as an unspecified meningococcal dose (CVX 108) cannot count as MenACWY.
  bool primary = false;
  for (const char* family : {"menb_4c", "menb_fhbp"}) {
    std::vector<Dose> same;
    for (const auto& d : b_doses)
      if (d.family == family) same.push_back(d);
    primary = primary || (std::string(family) == "menb_fhbp" ? same.size() >= fhbp_doses : has_gap(same, b_gap));
  }
  std::size_t unknown_product = 0;
  for (const auto& d : b_doses) unknown_product += d.family.empty() ? 1 : 0;
  if (b_doses.empty()) {
    ctx.meningococcal_evidence.push_back("No MenB vaccination documented at least 2 weeks ago");
  } else if (!primary) {
    ctx.meningococcal_evidence.push_back("MenB: " + std::to_string(b_doses.size()) + " dose(s) (" +
                                         dose_dates(b_doses) +
                                         "); the primary series is incomplete (MenB-4C: 2 doses at least 1 month "
                                         "apart; MenB-FHbp: 3 doses; the products are not interchangeable)" +
                                         (unknown_product > 0 ? std::string("; ") + std::to_string(unknown_product) +
                                                                    " dose(s) of unknown MenB product do not count "
                                                                    "towards a series: record the product"
                                                              : std::string()));
  } else if (ctx.now - b_doses.back().time > b_booster) {
    ctx.meningococcal_evidence.push_back("MenB: last dose more than 3 years ago (" + b_doses.back().line +
                                         "): a booster is due (ACIP: 1 year after the series, then every 2-3 years)");
  } else {
    ctx.men_b_protected = true;
  }
}

}  // namespace

PatientContext build_context(const HookInput& input, const fhir::PatientRecord& record, const KnowledgeBase& kb) {
  PatientContext ctx;
  ctx.now = input.now;
  ctx.hook = input.hook;

  // Demographics.
  if (record.patient) {
    ctx.sex = record.patient->gender;
    if (record.patient->birth_date && *record.patient->birth_date <= input.now) {
      ctx.age_years = static_cast<int>((input.now - *record.patient->birth_date) / (kDay * 36524 / 100));
    }
  }

  std::vector<PregnancyEvent> pregnancy_events;
  // Conditions: nmosd-knowledge.md §3 value set NMOSD; issue 4 §2 "active and not refuted or entered-in-error".
  const ValueSet& nmosd = kb.value_set("nmosd");
  for (const auto& c : record.conditions) {
    if (!condition_counts(c)) continue;
    const std::string text = detail::concept_words(c.code);
    const bool by_code = detail::concept_in(c.code, nmosd, kb, false);
    if (by_code || nmosd_by_text(c, text, nmosd, kb)) {
      ctx.nmosd = true;
      ctx.nmosd_conditions.push_back(&c);
      if (ctx.nmosd_evidence.empty()) {
        ctx.nmosd_evidence = "NMOSD recorded (Condition/" + detail::markdown_text(c.id) + ")";
        if (!by_code)
          ctx.nmosd_evidence = "NMOSD recorded as text only (Condition/" + detail::markdown_text(c.id) + " \"" +
                               detail::markdown_text(c.code.text.empty() && !c.code.codings.empty()
                                                         ? c.code.codings[0].display
                                                         : c.code.text) +
                               "\"; matched by its text, no recognised code)";
      }
      for (const fhir::Time& t : {c.onset, c.recorded}) {
        if (t && (!ctx.nmosd_first || *t < *ctx.nmosd_first)) ctx.nmosd_first = t;
      }
    }
    if (detail::concept_in(c.code, kb.value_set("ms"), kb, false)) ctx.ms = true;
    if (detail::concept_in(c.code, kb.value_set("mogad"), kb, false)) ctx.mogad = true;
    // Issue 12 item 6: pregnancy by code (value set "pregnancy") or by text without an exclusion; planning is
    // not pregnancy but a reason for NMOSD-15 counselling.
    const std::string shown = "Condition/" + detail::markdown_text(c.id) + " \"" +
                              detail::markdown_text(c.code.text.empty() && !c.code.codings.empty()
                                                        ? c.code.codings[0].display
                                                        : c.code.text) +
                              "\"";
    // Review of issue 12, defect 1: whole words only, and an exclusion names pregnancy itself.
    const bool mentions = detail::contains_any_word(text, kb.pregnancy_patterns());
    const bool excluded = detail::contains_any_word(text, kb.pregnancy_exclusions());
    const bool planning = detail::contains_any_word(text, kb.pregnancy_planning());
    const ValueSet& pregnancy = kb.value_set("pregnancy");
    const bool coded = detail::concept_in(c.code, pregnancy, kb, false);
    if (coded || (mentions && !excluded)) {
      const std::int64_t t = c.recorded ? *c.recorded : c.onset ? *c.onset : 0;
      const bool confirmed = (mentions && !excluded) || has_verified_code(c.code, pregnancy, kb);
      pregnancy_events.push_back(PregnancyEvent{
          t, true, confirmed ? shown : shown + " (a code matched only by an unverified ICD-10-CM range: confirm)",
          confirmed});
    } else if (mentions && planning && !ctx.pregnancy_planned) {
      ctx.pregnancy_planned = true;
      ctx.pregnancy_planned_evidence = "Pregnancy planned: " + shown;
    }
  }

  // Laboratory results: codes first, then local codes by text.
  std::vector<const ValueSet*> lab_sets;
  for (const char* id : kLabValueSets) lab_sets.push_back(&kb.value_set(id));
  for (const auto& o : record.observations) {
    if (!observation_counts(o)) continue;
    const ValueSet* vs = nullptr;
    for (const auto& coding : o.code.codings) {
      if (const CodeMeaning* m = kb.lookup(coding.system, coding.code);
          m && m->value_set && m->value_set->value_class == "lab") {
        vs = m->value_set;
        break;
      }
    }
    if (!vs) {
      // Codes of each lab value set in turn, else its text patterns (all value sets' in one pass over the words).
      const std::vector<const ValueSet*> named = kb.value_sets_named(detail::concept_words(o.code));
      for (const ValueSet* lab_set : lab_sets) {
        if (detail::concept_in(o.code, *lab_set, kb, false) ||
            std::find(named.begin(), named.end(), lab_set) != named.end()) {
          vs = lab_set;
          break;
        }
      }
    }
    if (!vs) continue;
    LabResult lab{vs, &o, o.effective, read_result(o, kb), false, {}, false};
    for (const auto& coding : o.code.codings) {
      const CodeMeaning* m = kb.lookup(coding.system, coding.code);
      if (m && m->code && lab.method.empty()) lab.method = m->code->method;
    }
    if (vs->id == "aqp4") {
      if (lab.method == "cell_based") lab.cell_based = true;
      for (const auto& coding : o.code.codings) {
        const CodeMeaning* m = kb.lookup(coding.system, coding.code);
        if (m && m->code && std::find(m->code->tags.begin(), m->code->tags.end(), "cell_based") != m->code->tags.end())
          lab.cell_based = true;
      }
      const std::string text = detail::concept_words(o.code);
      if (detail::contains_any_word(text, vs->cell_based_text_patterns)) lab.cell_based = true;
      if (lab.method.empty() && detail::contains_any_word(text, {"elisa", "immunoassay"})) lab.method = "elisa";
      lab.low_positive = is_low_positive(lab, kb);
    }
    ctx.labs.push_back(lab);
  }
  std::stable_sort(ctx.labs.begin(), ctx.labs.end(), [](const LabResult& a, const LabResult& b) {
    return a.time.value_or(INT64_MIN) < b.time.value_or(INT64_MIN);
  });
  // Issue 12 item 6: a recent hCG or pregnancy-status Observation; the latest pregnancy evidence decides.
  const auto recent = static_cast<std::int64_t>(kb.threshold("pregnancy_test_recent_days")) * kDay;
  for (const auto& lab : ctx.labs) {
    const bool hcg = lab.value_set->id == "hcg", status = lab.value_set->id == "pregnancy_status";
    if ((!hcg && !status) || !lab.time || *lab.time > input.now || *lab.time < input.now - recent) continue;
    std::optional<bool> pregnant;
    if (hcg && lab.value != ResultValue::indeterminate) pregnant = lab.value == ResultValue::positive;
    if (status && lab.observation->value_concept) {
      const fhir::Concept& v = *lab.observation->value_concept;
      if (detail::concept_in(v, kb.value_set("not_pregnant"), kb, true)) pregnant = false;
      else if (detail::concept_in(v, kb.value_set("pregnancy"), kb, false) ||
               detail::contains_word(detail::to_lower(v.text), "pregnant"))
        pregnant = true;
    }
    if (!pregnant) continue;
    pregnancy_events.push_back(PregnancyEvent{
        *lab.time, *pregnant,
        std::string(hcg ? "hCG " : "pregnancy status ") + (*pregnant ? (hcg ? "positive" : "pregnant") : (hcg ? "negative" : "not pregnant")) +
            " (Observation/" + detail::markdown_text(lab.observation->id) + ", " + detail::format_date(*lab.time) + ")"});
  }
  std::stable_sort(pregnancy_events.begin(), pregnancy_events.end(),
                   [](const PregnancyEvent& a, const PregnancyEvent& b) { return a.time < b.time; });
  if (!pregnancy_events.empty() && pregnancy_events.back().pregnant) {
    ctx.pregnant = true;
    ctx.pregnancy_confirmed = pregnancy_events.back().confirmed;
    ctx.pregnancy_evidence = pregnancy_events.back().evidence;
  }
  // nmosd-knowledge.md §1.3: "any earlier positive makes the patient AQP4-positive, whatever later results say".
  const LabResult* first_positive = nullptr;
  bool confirmed_positive = false;
  std::size_t negatives = 0;
  for (const auto& lab : ctx.labs) {
    if (lab.value_set->id == "mog") {
      ctx.mog_tested = true;
      if (lab.value == ResultValue::positive)
        ctx.mog = Serostatus::positive;
      else if (lab.value == ResultValue::negative && ctx.mog == Serostatus::unknown)
        ctx.mog = Serostatus::negative;
    }
    if (lab.value_set->id != "aqp4") continue;
    if (lab.cell_based && lab.value != ResultValue::indeterminate) ctx.aqp4_cell_based = true;
    if (lab.value == ResultValue::positive && !first_positive) first_positive = &lab;
    if (lab.value == ResultValue::positive && !lab.low_positive) confirmed_positive = true;
    if (lab.value == ResultValue::negative) ++negatives;
  }
  auto lab_line = [](const LabResult& lab, const char* what) {
    return std::string("AQP4-IgG ") + what + " (Observation/" + lab.observation->id +
           (lab.time ? ", " + detail::format_date(*lab.time) : std::string()) + ")";
  };
  if (first_positive) {
    ctx.aqp4 = Serostatus::positive;
    ctx.aqp4_low_positive_only = !confirmed_positive;
    const LabResult* shown = first_positive;
    for (const auto& lab : ctx.labs) {  // the first confirmed positive, when there is one
      if (confirmed_positive && lab.value_set->id == "aqp4" && lab.value == ResultValue::positive && !lab.low_positive) {
        shown = &lab;
        break;
      }
    }
    ctx.aqp4_evidence.push_back(lab_line(*shown, shown->low_positive
                                                     ? "low-positive, not by cell-based assay: confirm by cell-based assay"
                                                     : shown->cell_based ? "positive, cell-based assay" : "positive"));
    if (negatives > 0)
      ctx.aqp4_evidence.push_back(
          std::to_string(negatives) +
          " negative AQP4-IgG result(s) do not change this: antibodies may fall below detection "
          "after steroids, plasma exchange or immunosuppression.");
  } else if (negatives > 0) {
    ctx.aqp4 = Serostatus::negative;
    for (const auto& lab : ctx.labs) {
      if (lab.value_set->id == "aqp4" && lab.value == ResultValue::negative)
        ctx.aqp4_evidence.push_back(lab_line(lab, lab.cell_based ? "negative, cell-based assay" : "negative"));
    }
  }

  // Medications: chart, then the drafts this hook judges.
  for (const auto& m : record.medications) {
    for (const Agent* a : detail::match_agents(m.medication, kb)) {
      AgentUse u;
      u.agent = a;
      u.use = &m;
      u.active = medication_active(m, input.now);
      u.start = m.start ? m.start : m.authored;
      u.end = m.end;
      u.for_other_condition = for_other_condition(m, record, kb);
      ctx.chart.push_back(u);
    }
  }
  for (const auto& m : record.draft_medications) {
    const std::string ref = m.resource_type + "/" + m.id;
    // Issue 4 §3: "order-select judges the orders named in selections; order-sign judges every draft".
    if (input.hook == Hook::patient_view) continue;
    if (input.hook == Hook::order_select &&
        std::find(input.selections.begin(), input.selections.end(), ref) == input.selections.end())
      continue;
    for (const Agent* a : detail::match_agents(m.medication, kb)) {
      AgentUse u;
      u.agent = a;
      u.use = &m;
      u.drafted = true;
      u.start = m.start ? m.start : m.authored;
      u.for_other_condition = for_other_condition(m, record, kb);
      ctx.drafted.push_back(u);
    }
  }

  // Attack and relapse signals (knowledge report, "Attack and relapse signals").
  // Issue 12 item 7: a relapse is dated by the event, and an NMOSD Condition recorded later than the diagnosis is an
  // attack. Review of issue 12, defect 5: the event date is the onset when there is one; recordedDate (when it was
  // written down, possibly weeks later) only when there is no onset.
  const auto min_after_dx = static_cast<std::int64_t>(kb.threshold("relapse_min_days_after_diagnosis")) * kDay;
  for (const fhir::Condition* c : ctx.nmosd_conditions) {
    const bool relapse_status = c->clinical_status == "recurrence" || c->clinical_status == "relapse";
    const std::int64_t t = c->onset ? *c->onset : c->recorded.value_or(INT64_MIN);
    if (relapse_status) {
      const std::int64_t when = t == INT64_MIN ? input.now : t;
      ctx.attacks.push_back(AttackEvent{when, true, false,
                                        "NMOSD relapse recorded (Condition/" + detail::markdown_text(c->id) +
                                            ", clinical status " + c->clinical_status + ", " +
                                            detail::format_date(when) + ")"});
    } else if (ctx.nmosd_first && c->onset && *c->onset >= *ctx.nmosd_first + min_after_dx) {
      ctx.attacks.push_back(AttackEvent{*c->onset, true, false,
                                        "NMOSD attack recorded later than the diagnosis (Condition/" +
                                            detail::markdown_text(c->id) + ", onset " +
                                            detail::format_date(*c->onset) + ")"});
    }
  }
  for (const auto& u : ctx.chart) {
    if (u.use->status == "entered-in-error" || u.use->status == "cancelled" || !u.start) continue;
    std::string route;
    if (!detail::attack_dose_steroid(u, kb, &route)) continue;
    const bool relapse = ctx.nmosd_first && *u.start >= *ctx.nmosd_first + min_after_dx;
    ctx.attacks.push_back(AttackEvent{
        *u.start, relapse, true,
        "High-dose methylprednisolone (" + u.reference() + ", " + detail::format_date(*u.start) + ", " + route + ")"});
  }
  meningococcal_status(ctx, record, kb);
  std::stable_sort(ctx.attacks.begin(), ctx.attacks.end(),
                   [](const AttackEvent& a, const AttackEvent& b) { return a.time < b.time; });
  return ctx;
}

}  // namespace nmo::cards
