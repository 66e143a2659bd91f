#include "story_support.hpp"

#include <algorithm>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "fhir/json.hpp"
#include "fhir/record_reader.hpp"

namespace nmo::cards::test {

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  if (!out) throw std::runtime_error("cannot write " + path);
  out << text;
}

std::vector<KnowledgeFile> knowledge_files() {
  std::vector<KnowledgeFile> files;
  for (const char* name : {"meta.json", "systems.json", "valuesets.json", "agents.json", "formulary.json",
                           "thresholds.json", "citations.json", "cards.json", "open-items.json"}) {
    files.push_back(KnowledgeFile{name, read_file(std::string(NMO_SOURCE_DIR) + "/config/knowledge/" + name)});
  }
  return files;
}

const KnowledgeBase& knowledge() {
  static const std::shared_ptr<const KnowledgeBase> kb = [] {
    auto loaded = load_knowledge(knowledge_files());
    if (!loaded)
      throw std::runtime_error("knowledge does not load: " + loaded.problem().path + ": " + loaded.problem().message);
    return *loaded;
  }();
  return *kb;
}

std::int64_t utc(int y, int m, int d) {
  // Howard Hinnant's days_from_civil.
  y -= m <= 2;
  const int era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * static_cast<unsigned>(m + (m > 2 ? -3 : 9)) + 2) / 5 + static_cast<unsigned>(d) - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (static_cast<std::int64_t>(era) * 146097 + static_cast<std::int64_t>(doe) - 719468) * 86400;
}

std::int64_t story_now() { return utc(2026, 11, 24); }

namespace {
std::string member_string(const rapidjson::Value& obj, const char* name) {
  if (!obj.IsObject()) return {};
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? it->value.GetString() : std::string();
}
}  // namespace

Story load_story(const std::string& name) {
  const std::string text = read_file(std::string(NMO_FIXTURES_DIR) + "/stories/" + name + ".json");
  auto doc = fhir::parse_json(text);
  if (!doc) throw std::runtime_error(name + ": " + doc.problem().message);
  const rapidjson::Value& req = *doc;
  Story story;
  const std::string hook = member_string(req, "hook");
  story.input.hook = hook == "order-select" ? Hook::order_select
                     : hook == "order-sign" ? Hook::order_sign
                                            : Hook::patient_view;
  story.input.service_id = "nmosd-" + hook;
  story.input.hook_instance = member_string(req, "hookInstance");
  story.input.now = story_now();
  const rapidjson::Value& ctx = req["context"];
  story.input.patient_id = member_string(ctx, "patientId");
  story.input.user_id = member_string(ctx, "userId");
  if (ctx.HasMember("selections")) {
    for (const auto& s : ctx["selections"].GetArray()) story.input.selections.emplace_back(s.GetString());
  }
  if (req.HasMember("prefetch")) {
    for (auto it = req["prefetch"].MemberBegin(); it != req["prefetch"].MemberEnd(); ++it) {
      if (fhir::classify_prefetch(&it->value) != fhir::PrefetchState::data) continue;
      const std::string path = std::string("prefetch.") + it->name.GetString();
      if (auto p = fhir::read_resources(it->value, path, story.record))
        throw std::runtime_error(name + ": " + p->path + ": " + p->message);
    }
  }
  if (ctx.HasMember("draftOrders")) {
    if (auto p = fhir::read_draft_orders(ctx["draftOrders"], "context.draftOrders", story.record))
      throw std::runtime_error(name + ": " + p->path + ": " + p->message);
  }
  story.input.fhir_version =
      story.record.version == fhir::FhirVersion::unknown ? fhir::FhirVersion::r4 : story.record.version;
  return story;
}

std::vector<std::string> rule_ids(const std::vector<Card>& cards) {
  std::vector<std::string> ids;
  for (const auto& c : cards) ids.push_back(c.rule_id);
  return ids;
}

bool fired(const std::vector<Card>& cards, const std::string& rule_id) {
  return std::any_of(cards.begin(), cards.end(), [&](const Card& c) { return c.rule_id == rule_id; });
}

const Card& card_of(const std::vector<Card>& cards, const std::string& rule_id) {
  for (const auto& c : cards)
    if (c.rule_id == rule_id) return c;
  throw std::runtime_error("no card of " + rule_id);
}

fhir::Condition nmosd_condition(std::string id, std::int64_t onset) {
  fhir::Condition c;
  c.id = std::move(id);
  c.code.codings.push_back({"http://snomed.info/sct", "25044007", "Neuromyelitis optica (disorder)"});
  c.clinical_status = "active";
  c.verification_status = "confirmed";
  c.onset = onset ? onset : utc(2021, 3, 10);
  return c;
}

fhir::Observation aqp4_result(std::string id, const std::string& value, std::int64_t when, std::string status) {
  fhir::Observation o;
  o.id = std::move(id);
  o.code.codings.push_back(
      {"http://loinc.org", "43638-6", "Aquaporin 4 water channel IgG Ab [Presence] in Serum or Plasma"});
  o.status = std::move(status);
  o.effective = when;
  o.value_string = value;
  return o;
}

fhir::Observation lab_result(std::string id, const std::string& loinc, std::int64_t when) {
  fhir::Observation o;
  o.id = std::move(id);
  o.code.codings.push_back({"http://loinc.org", loinc, ""});
  o.status = "final";
  o.effective = when;
  o.value_string = "Negative";
  return o;
}

fhir::MedicationUse medication(std::string id, const std::string& rxcui, const std::string& name, std::string status,
                               std::int64_t start) {
  fhir::MedicationUse m;
  m.resource_type = "MedicationRequest";
  m.id = std::move(id);
  if (!rxcui.empty()) m.medication.codings.push_back({"http://www.nlm.nih.gov/research/umls/rxnorm", rxcui, name});
  m.medication.text = name;
  m.status = std::move(status);
  m.intent = "order";
  m.authored = start;
  m.start = start;
  return m;
}

fhir::MedicationUse draft_order(std::string id, const std::string& rxcui, const std::string& name) {
  return medication(std::move(id), rxcui, name, "draft", story_now());
}

fhir::Condition text_condition(const std::string& id, const std::string& text) {
  fhir::Condition c;
  c.id = id;
  c.code.text = text;
  c.clinical_status = "active";
  c.recorded = utc(2026, 10, 1);
  return c;
}

fhir::PatientRecord on_mycophenolate() {
  fhir::PatientRecord r;
  r.patient = fhir::Patient{"pat", utc(1994, 4, 4), "female"};
  r.conditions.push_back(nmosd_condition());
  r.medications.push_back(medication("mmf", "68149", "mycophenolate mofetil", "active", utc(2021, 6, 1)));
  return r;
}

HookInput hook_input(Hook hook, std::vector<std::string> selections) {
  HookInput in;
  in.hook = hook;
  in.hook_instance = "0b0c3c7e-8a6f-4f42-9d0e-5c8f6f0d1a11";
  in.patient_id = "pat";
  in.user_id = "Practitioner/example";
  in.selections = std::move(selections);
  in.now = story_now();
  return in;
}

}  // namespace nmo::cards::test
