#include "cards/card_builder.hpp"

#include <algorithm>

#include "cards/json_writer.hpp"
#include "cards/text_match.hpp"
#include "fhir/json.hpp"

namespace nmo::cards::detail {

namespace {

std::uint64_t fmix64(std::uint64_t k) {  // MurmurHash3 finaliser
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  k ^= k >> 33;
  return k;
}

std::uint64_t rotl(std::uint64_t x, int r) { return (x << r) | (x >> (64 - r)); }

void key(JsonWriter& w, std::string_view k) { w.text(k); }
void str(JsonWriter& w, std::string_view s) { w.text(s); }

void codeable_concept(JsonWriter& w, const fhir::Coding* coding, std::string_view text) {
  w.StartObject();
  if (coding) {
    key(w, "coding");
    w.StartArray();
    w.StartObject();
    key(w, "system");
    str(w, coding->system);
    key(w, "code");
    str(w, coding->code);
    if (!coding->display.empty()) {
      key(w, "display");
      str(w, coding->display);
    }
    w.EndObject();
    w.EndArray();
  }
  if (!text.empty()) {
    key(w, "text");
    str(w, text);
  }
  w.EndObject();
}

fhir::FhirVersion version_of(const RuleEnv& env) {
  fhir::FhirVersion v = env.input.fhir_version;
  if (v == fhir::FhirVersion::unknown) v = env.record.version;
  return v == fhir::FhirVersion::unknown ? fhir::FhirVersion::r4 : v;
}

void patient_ref(JsonWriter& w, const RuleEnv& env, std::string_view member) {
  if (env.input.patient_id.empty()) return;
  key(w, member);
  w.StartObject();
  key(w, "reference");
  str(w, "Patient/" + env.input.patient_id);
  w.EndObject();
}

// The medication of a request: R5 medication.concept (CodeableReference), else medicationCodeableConcept.
void medication_member(JsonWriter& w, fhir::FhirVersion v, const fhir::Coding* coding, std::string_view text) {
  if (v == fhir::FhirVersion::r5) {
    key(w, "medication");
    w.StartObject();
    key(w, "concept");
    codeable_concept(w, coding, text);
    w.EndObject();
  } else {
    key(w, "medicationCodeableConcept");
    codeable_concept(w, coding, text);
  }
}

// DSTU2 MedicationOrder / STU3, R4 MedicationRequest / R5 MedicationRequest.medication.concept.
std::string medication_resource(const RuleEnv& env, const fhir::Coding* coding, std::string_view text) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  const fhir::FhirVersion v = version_of(env);
  w.StartObject();
  key(w, "resourceType");
  str(w, v == fhir::FhirVersion::dstu2 ? "MedicationOrder" : "MedicationRequest");
  key(w, "status");
  str(w, "draft");
  if (v == fhir::FhirVersion::dstu2) {
    patient_ref(w, env, "patient");
    key(w, "medicationCodeableConcept");
    codeable_concept(w, coding, text);
  } else {
    key(w, "intent");
    str(w, "order");
    patient_ref(w, env, "subject");
    medication_member(w, v, coding, text);
  }
  w.EndObject();
  return buf.GetString();
}

// DSTU2 DiagnosticOrder / STU3 ProcedureRequest / R4 ServiceRequest / R5 ServiceRequest.code as CodeableReference.
std::string service_resource(const RuleEnv& env, const fhir::Coding* coding, std::string_view text) {
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  const fhir::FhirVersion v = version_of(env);
  w.StartObject();
  key(w, "resourceType");
  switch (v) {
    case fhir::FhirVersion::dstu2:
      str(w, "DiagnosticOrder");
      break;
    case fhir::FhirVersion::stu3:
      str(w, "ProcedureRequest");
      break;
    default:
      str(w, "ServiceRequest");
      break;
  }
  key(w, "status");
  str(w, "draft");
  if (v == fhir::FhirVersion::dstu2) {
    patient_ref(w, env, "subject");
    key(w, "item");
    w.StartArray();
    w.StartObject();
    key(w, "code");
    codeable_concept(w, coding, text);
    w.EndObject();
    w.EndArray();
  } else {
    key(w, "intent");
    str(w, "order");
    key(w, "code");
    if (v == fhir::FhirVersion::r5) {
      w.StartObject();
      key(w, "concept");
      codeable_concept(w, coding, text);
      w.EndObject();
    } else {
      codeable_concept(w, coding, text);
    }
    patient_ref(w, env, "subject");
  }
  w.EndObject();
  return buf.GetString();
}

Indicator parse_indicator(const std::string& s) {
  if (s == "critical") return Indicator::critical;
  if (s == "warning") return Indicator::warning;
  return Indicator::info;
}

}  // namespace

namespace {

// Two FNV-1a lanes with different bases, cross-mixed through the MurmurHash3 finaliser: 128 well-mixed bits,
// with RFC 9562 §5.8's version 8 (custom) in the high nibble of octet 6 and variant 10xx in octet 8.
void hash_bytes(std::string_view seed, unsigned char (&bytes)[16]) {
  std::uint64_t h1 = 0xcbf29ce484222325ULL;
  std::uint64_t h2 = 0x84222325cbf29ce4ULL ^ static_cast<std::uint64_t>(seed.size());
  for (unsigned char c : seed) {
    h1 = (h1 ^ c) * 0x100000001b3ULL;
    h2 = (h2 ^ static_cast<unsigned char>(c ^ 0x5c)) * 0x100000001b3ULL;
    h2 = rotl(h2, 29);
  }
  const std::uint64_t a = fmix64(h1 ^ rotl(h2, 31));
  const std::uint64_t b = fmix64(h2 + a * 0x9e3779b97f4a7c15ULL);
  for (int i = 0; i < 8; ++i) {
    bytes[i] = static_cast<unsigned char>(a >> (56 - 8 * i));
    bytes[8 + i] = static_cast<unsigned char>(b >> (56 - 8 * i));
  }
  bytes[6] = static_cast<unsigned char>((bytes[6] & 0x0F) | 0x80);
  bytes[8] = static_cast<unsigned char>((bytes[8] & 0x3F) | 0x80);
}

// 8-4-4-4-12 lower-case hex (issue 14: snprintf took 6,500 instructions a uuid, a tenth of a card).
std::string format_uuid(const unsigned char (&bytes)[16]) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += kHex[bytes[i] >> 4];
    out += kHex[bytes[i] & 0x0F];
  }
  return out;
}

}  // namespace

std::string stable_uuid(std::string_view seed) {
  unsigned char bytes[16];
  hash_bytes(seed, bytes);
  return format_uuid(bytes);
}

// The check in octets 12-13 of a card uuid: 16 bits of a hash of octets 0-11 and the rule number.
std::uint16_t card_check_of(const unsigned char (&bytes)[16], unsigned rule_number) {
  std::uint64_t x = 0x6e6d6f2d63647321ULL ^ rule_number;
  for (int i = 0; i < 12; ++i) x = fmix64(x ^ (static_cast<std::uint64_t>(bytes[i]) << (8 * (i % 8))));
  return static_cast<std::uint16_t>(x >> 48);
}

std::string card_uuid(std::string_view seed, unsigned rule_number) {
  unsigned char bytes[16];
  hash_bytes(seed, bytes);
  rule_number &= 0xFFFF;
  const std::uint16_t check = card_check_of(bytes, rule_number);
  bytes[12] = static_cast<unsigned char>(check >> 8);
  bytes[13] = static_cast<unsigned char>(check & 0xFF);
  bytes[14] = static_cast<unsigned char>(rule_number >> 8);
  bytes[15] = static_cast<unsigned char>(rule_number & 0xFF);
  return format_uuid(bytes);
}

const char* hook_name(Hook hook) {
  switch (hook) {
    case Hook::patient_view:
      return "patient-view";
    case Hook::order_select:
      return "order-select";
    case Hook::order_sign:
      return "order-sign";
  }
  return "patient-view";
}

bool rule_applies(const RuleEnv& env, std::string_view rule_id) {
  const auto& hooks = env.kb.rule(rule_id).hooks;
  return std::find(hooks.begin(), hooks.end(), hook_name(env.input.hook)) != hooks.end();
}

Card make_card(const RuleEnv& env, std::string_view rule_id, std::string_view discriminator,
               const std::vector<std::string>& evidence, std::string_view indicator_key, std::string_view agent) {
  const RuleText& rule = env.kb.rule(rule_id);
  Card card;
  card.rule_id = rule.id;
  const std::string& key = env.input.patient_key;
  card.uuid = card_uuid(env.input.hook_instance + "|" + (key.empty() ? "" : key + "|") + rule.id + "|" +
                            std::string(discriminator),
                        rule_number(rule.id));
  card.fact_digest = fact_digest(env, rule.id, discriminator);
  const std::string ind_key = indicator_key.empty() ? hook_name(env.input.hook) : std::string(indicator_key);
  auto it = rule.indicator.find(ind_key);
  card.indicator = parse_indicator(it != rule.indicator.end() ? it->second : "info");
  const auto variant = rule.summary_variants.find(std::string(indicator_key));
  const std::string& summary = variant != rule.summary_variants.end()                   ? variant->second
                               : indicator_key == "low" && !rule.summary_low.empty() ? rule.summary_low
                                                                                     : rule.summary;
  card.summary = fill(summary, "{agent}", agent.empty() ? std::string_view("Therapy") : agent);
  if (utf8_length(card.summary) >= 140) card.summary = fill(summary, "{agent}", "Several drugs");  // CDS Hooks: < 140

  std::string d;
  if (!evidence.empty()) {
    d += "**In this record:**\n\n";
    for (const auto& line : evidence) d += "- " + line + "\n";
    d += "\n";
  }
  d += rule.detail + "\n\n";
  d += env.kb.standing_advice() + "\n\n";
  d += "**Evidence:** ";
  for (std::size_t i = 0; i < rule.evidence.size(); ++i) {
    const Citation& c = env.kb.citation(rule.evidence[i]);
    d += (i ? "; " : "") + ("[" + c.label + "](" + c.url + ")");
  }
  d += "\n\n_Rule " + rule.id + ", knowledge " + env.kb.version() + " (reviewed " + env.kb.review_date() +
       "); not yet clinically signed off._";
  card.detail = std::move(d);

  const Citation& primary = env.kb.citation(rule.links.empty() ? rule.evidence.front() : rule.links.front());
  card.source.label = env.kb.source_label() + " " + env.kb.version();
  card.source.url = primary.url;
  card.source.topic = fhir::Coding{env.kb.rule_system(), rule.id, rule.title};
  for (const auto& id : rule.links) {
    const Citation& c = env.kb.citation(id);
    card.links.push_back(Link{c.label, c.url, "absolute"});
  }
  for (const auto& code : rule.override_reasons) card.override_reasons.push_back(*env.kb.override_reason(code));
  return card;
}

void add_suggestion(Card& card, std::string label, bool is_recommended, std::vector<Action> actions,
                    std::string_view selection_behavior) {
  Suggestion s;
  s.label = std::move(label);
  s.uuid = stable_uuid(card.uuid + "|suggestion|" + std::to_string(card.suggestions.size()));
  s.is_recommended = is_recommended;
  s.actions = std::move(actions);
  card.suggestions.push_back(std::move(s));
  if (card.selection_behavior.empty()) card.selection_behavior = std::string(selection_behavior);
}

std::string agent_list(const std::vector<const Agent*>& agents) {
  std::vector<std::string> names;
  for (const Agent* a : agents) {
    std::string n = names.empty() ? a->name : detail::to_lower(a->name);
    if (std::find(names.begin(), names.end(), n) == names.end()) names.push_back(std::move(n));
  }
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " and " : ", ") + names[i];
  return out;
}

std::string fill(std::string_view label, std::string_view placeholder, std::string_view value) {
  std::string out(label);
  if (auto pos = out.find(placeholder); pos != std::string::npos) out.replace(pos, placeholder.size(), value);
  return out;
}

const KnownCode* preferred_code(const std::vector<KnownCode>& codes, std::string_view system) {
  const KnownCode* first = nullptr;
  const KnownCode* unverified_ingredient = nullptr;  // before a brand or product code (review of issue 12, defect 11)
  for (const auto& c : codes) {
    if (c.system != system) continue;
    const bool ingredient = c.kind.empty() || c.kind == "ingredient";
    if (c.verified && ingredient) return &c;
    if (ingredient && !unverified_ingredient) unverified_ingredient = &c;
    if (!first) first = &c;
  }
  return unverified_ingredient ? unverified_ingredient : first;
}

namespace {
// A lab with cell-based codes (AQP4-IgG, MOG-IgG) is ordered by one, the assay the guidelines ask for; verified
// first. Review of issue 12, defect 11: 43638-6 has no method, so it is no longer what a cell-based order sends.
const KnownCode* lab_order_code(const ValueSet& lab) {
  const KnownCode* cell_based = nullptr;
  for (const auto& c : lab.codes) {
    if (c.system != kLoinc || c.method != "cell_based") continue;
    if (c.verified) return &c;
    if (!cell_based) cell_based = &c;
  }
  return cell_based ? cell_based : preferred_code(lab.codes, kLoinc);
}
}  // namespace

Action create_medication(const RuleEnv& env, const Agent& agent) {
  const KnownCode* code = preferred_code(agent.codes, kRxNorm);
  fhir::Coding coding;
  if (code) coding = fhir::Coding{code->system, code->code, code->display};
  return Action{"create",
                "Draft order for " + agent.name + " (RxNorm ingredient; complete dose and schedule)",
                medication_resource(env, code ? &coding : nullptr, agent.name),
                {}};
}

Action create_medication_text(const RuleEnv& env, std::string_view text, std::string_view description) {
  return Action{"create", std::string(description), medication_resource(env, nullptr, text), {}};
}

Action create_lab_order(const RuleEnv& env, const ValueSet& lab, std::string_view description) {
  const KnownCode* code = lab_order_code(lab);
  fhir::Coding coding;
  if (code) coding = fhir::Coding{code->system, code->code, code->display};
  return Action{"create",
                std::string(description),
                service_resource(env, code ? &coding : nullptr, code ? std::string_view(code->display) : lab.title),
                {}};
}

Action create_service_order(const RuleEnv& env, const fhir::Coding* code, std::string_view text,
                            std::string_view description) {
  return Action{"create", std::string(description), service_resource(env, code, text), {}};
}

Action delete_order(const AgentUse& draft, std::string_view description) {
  return Action{"delete", std::string(description), {}, draft.reference()};
}

std::optional<Action> stop_order(const RuleEnv& env, const AgentUse& use, std::string_view description) {
  const fhir::MedicationUse& m = *use.use;
  const fhir::FhirVersion v = version_of(env);
  const bool statement = m.source == fhir::MedicationUse::Source::statement;
  if (statement && v == fhir::FhirVersion::r5) return std::nullopt;
  const char* status = statement && v == fhir::FhirVersion::dstu2 ? "completed" : "stopped";
  // Review of issue 12, defect 9: an update replaces the whole resource, so it is the resource as received with
  // only its status changed, less the server-assigned meta.versionId and meta.lastUpdated (a version check belongs
  // in If-Match, and servers drop them on update). A record built without the received JSON (tests) gets the
  // members the engine read.
  if (!m.json.empty()) {
    if (auto doc = fhir::parse_json(m.json); doc && doc.value().IsObject()) {
      rapidjson::Document& d = doc.value();
      if (d.HasMember("meta") && d["meta"].IsObject()) {
        d["meta"].RemoveMember("versionId");
        d["meta"].RemoveMember("lastUpdated");
        if (d["meta"].ObjectEmpty()) d.RemoveMember("meta");
      }
      if (d.HasMember("status"))
        d["status"].SetString(status, d.GetAllocator());
      else
        d.AddMember("status", rapidjson::Value(status, d.GetAllocator()), d.GetAllocator());
      return Action{"update", std::string(description), fhir::to_json(d), {}};
    }
  }
  rapidjson::StringBuffer buf;
  JsonWriter w(buf);
  w.StartObject();
  key(w, "resourceType");
  str(w, m.resource_type);
  key(w, "id");
  str(w, m.id);
  key(w, "status");
  str(w, status);
  if (!statement && v != fhir::FhirVersion::dstu2) {
    key(w, "intent");
    str(w, m.intent.empty() ? "order" : m.intent);
  }
  patient_ref(w, env, v == fhir::FhirVersion::dstu2 && !statement ? "patient" : "subject");
  const fhir::Coding* coding = m.medication.codings.empty() ? nullptr : &m.medication.codings.front();
  medication_member(w, v, coding, m.medication.text.empty() ? use.agent->name : m.medication.text);
  w.EndObject();
  return Action{"update", std::string(description), buf.GetString(), {}};
}

}  // namespace nmo::cards::detail

namespace nmo::cards {

unsigned rule_number(std::string_view rule_id) {
  std::size_t start = rule_id.size();
  while (start > 0 && rule_id[start - 1] >= '0' && rule_id[start - 1] <= '9') --start;
  if (start == rule_id.size() || rule_id.size() - start > 5) return 0;
  unsigned n = 0;
  for (std::size_t i = start; i < rule_id.size(); ++i) n = n * 10 + static_cast<unsigned>(rule_id[i] - '0');
  return n > 0xFFFF ? 0 : n;
}

unsigned rule_number_of_card_uuid(std::string_view uuid) {
  if (uuid.size() != 36) return 0;
  unsigned char bytes[16];
  std::size_t k = 0;
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (i == 8 || i == 13 || i == 18 || i == 23) {
      if (uuid[i] != '-') return 0;
      continue;
    }
    const char c = uuid[i];
    unsigned v = 0;
    if (c >= '0' && c <= '9') v = static_cast<unsigned>(c - '0');
    else if (c >= 'a' && c <= 'f') v = static_cast<unsigned>(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F') v = static_cast<unsigned>(c - 'A' + 10);
    else return 0;
    if (k % 2 == 0) bytes[k / 2] = static_cast<unsigned char>(v << 4);
    else bytes[k / 2] = static_cast<unsigned char>(bytes[k / 2] | v);
    ++k;
  }
  if ((bytes[6] >> 4) != 8 || (bytes[8] & 0xC0) != 0x80) return 0;  // RFC 9562 §5.8: version 8, variant 10xx
  const unsigned number = (static_cast<unsigned>(bytes[14]) << 8) | bytes[15];
  const std::uint16_t check = static_cast<std::uint16_t>((bytes[12] << 8) | bytes[13]);
  if (number == 0 || detail::card_check_of(bytes, number) != check) return 0;
  return number;
}

}  // namespace nmo::cards
