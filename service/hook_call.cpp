#include "service/hook_call.hpp"

#include <strings.h>

#include <array>
#include <cctype>
#include <cstddef>
#include <chrono>
#include <future>
#include <optional>

#include "cards/card.hpp"
#include "cards/engine.hpp"
#include "fhir/prefetch.hpp"
#include "fhir/record_reader.hpp"
#include "service/feedback/quiet_book.hpp"
#include "service/fetch/gather.hpp"
#include "service/ops/log.hpp"
#include "service/ops/metrics.hpp"
#include "service/quieting.hpp"

namespace nmo::service {
namespace {

using fhir::Problem;
using fhir::ProblemKind;

Problem invalid(std::string path, std::string message) {
  return fhir::make_problem(ProblemKind::invalid, std::move(path), std::move(message));
}

std::string str(const rapidjson::Value& v) { return std::string(v.GetString(), v.GetStringLength()); }

const rapidjson::Value* member(const rapidjson::Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

// An optional member: JSON null means absent (Jackson-based clients, e.g. the Da Vinci CRD reference client, send
// explicit nulls for every optional member). A required member that is null is still refused by its check.
const rapidjson::Value* optional_member(const rapidjson::Value& obj, const char* name) {
  const rapidjson::Value* v = member(obj, name);
  return v == nullptr || v->IsNull() ? nullptr : v;
}

// A required, non-empty string member.
std::optional<Problem> require_string(const rapidjson::Value& obj, const char* name, const std::string& path,
                                      std::string* out) {
  const rapidjson::Value* v = member(obj, name);
  if (v == nullptr) return invalid(path, path + " is required");
  if (!v->IsString() || v->GetStringLength() == 0) return invalid(path, path + " must be a non-empty string");
  if (out != nullptr) *out = str(*v);
  return std::nullopt;
}

// Hook context per the CDS Hooks library (patient-view, order-select, order-sign).
std::optional<Problem> read_context(const ServiceDef& service, const rapidjson::Value& context,
                                    cards::HookInput& input) {
  if (auto p = require_string(context, "userId", "context.userId", &input.user_id)) return p;
  if (auto p = require_string(context, "patientId", "context.patientId", &input.patient_id)) return p;
  if (const rapidjson::Value* enc = optional_member(context, "encounterId")) {
    if (!enc->IsString()) return invalid("context.encounterId", "context.encounterId must be a string");
    input.encounter_id = str(*enc);
  }
  if (service.hook == cards::Hook::patient_view) return std::nullopt;

  const rapidjson::Value* drafts = member(context, "draftOrders");
  if (drafts == nullptr) return invalid("context.draftOrders", "context.draftOrders is required");
  if (!drafts->IsObject()) return invalid("context.draftOrders", "context.draftOrders must be a FHIR Bundle");
  if (service.hook == cards::Hook::order_select) {
    const rapidjson::Value* sel = optional_member(context, "selections");
    if (sel == nullptr) return invalid("context.selections", "context.selections is required");
    if (!sel->IsArray()) return invalid("context.selections", "context.selections must be an array of strings");
    for (rapidjson::SizeType i = 0; i < sel->Size(); ++i) {
      const auto& s = (*sel)[i];
      const std::string path = fhir::path_index("context.selections", i);
      if (!s.IsString() || s.GetStringLength() == 0) return invalid(path, path + " must be a non-empty string");
      input.selections.push_back(str(s));
    }
  }
  return std::nullopt;
}

std::optional<Problem> check_fhir_access(const rapidjson::Value& doc, PendingCall& call) {
  const rapidjson::Value* server = optional_member(doc, "fhirServer");
  if (server != nullptr && (!server->IsString() || server->GetStringLength() == 0)) {
    return invalid("fhirServer", "fhirServer must be a non-empty string");
  }
  if (server != nullptr) call.fhir_server = str(*server);
  const rapidjson::Value* auth = optional_member(doc, "fhirAuthorization");
  if (auth == nullptr) return std::nullopt;
  // CDS Hooks 2.0 §HTTP Request: "fhirServer ... REQUIRED if fhirAuthorization is provided".
  if (server == nullptr) return invalid("fhirServer", "fhirServer is required when fhirAuthorization is present");
  if (!auth->IsObject()) return invalid("fhirAuthorization", "fhirAuthorization must be an object");
  const rapidjson::Value* token = member(*auth, "access_token");
  if (token == nullptr || !token->IsString() || token->GetStringLength() == 0) {
    return invalid("fhirAuthorization.access_token", "fhirAuthorization.access_token must be a non-empty string");
  }
  // The token is written into a header line: anything but an RFC 6750 §2.1 b64token could end that line and
  // smuggle headers or whole requests to the FHIR server.
  if (!fetch::is_b64token(std::string_view(token->GetString(), token->GetStringLength()))) {
    return invalid("fhirAuthorization.access_token",
                   "fhirAuthorization.access_token must be an RFC 6750 b64token ([A-Za-z0-9-._~+/]+=*)");
  }
  const rapidjson::Value* type = member(*auth, "token_type");
  // CDS Hooks 2.0 §fhirAuthorization: token_type "Bearer"; RFC 6749 §5.1: case-insensitive.
  if (type == nullptr || !type->IsString() || type->GetStringLength() != 6 ||
      strncasecmp(type->GetString(), "bearer", 6) != 0) {
    return invalid("fhirAuthorization.token_type", "fhirAuthorization.token_type must be Bearer");
  }
  call.access_token = str(*token);
  return std::nullopt;
}

// A template that reads the patient itself ("Patient/{{context.patientId}}").
bool is_patient_read(std::string_view tmpl) {
  return tmpl.rfind("Patient/", 0) == 0 && tmpl.find('?') == std::string_view::npos;
}

// The answer to the patient read must be the patient's own Patient resource (an id is required when fetched).
bool is_the_patient(const rapidjson::Value& v, const fhir::Subject& subject, bool require_id) {
  if (!v.IsObject()) return false;
  const rapidjson::Value* type = member(v, "resourceType");
  if (type == nullptr || !type->IsString() || std::string_view(type->GetString()) != "Patient") return false;
  const rapidjson::Value* id = optional_member(v, "id");
  if (id == nullptr) return !require_id;
  return id->IsString() && str(*id) == subject.patient_id;
}

// Resources of another patient were dropped from `key`: counted and logged with the key and count only.
void note_foreign(const std::string& key, const fhir::Subject& subject) {
  if (subject.foreign == 0) return;
  ops::metrics::record_foreign_resources(key, subject.foreign);
  ops::log::write(ops::log::Level::warn, "foreign_resources",
                  {{"key", key}, {"count", static_cast<std::int64_t>(subject.foreign)}});
}

// The `next` link of a prefetched searchset (CDS Hooks 2.0 §Prefetch: a client may paginate): page 1 only.
fhir::Result<std::string> next_link(const rapidjson::Value& value, const std::string& path) {
  const rapidjson::Value* type = value.IsObject() ? member(value, "resourceType") : nullptr;
  if (type == nullptr || !type->IsString() || std::string_view(type->GetString()) != "Bundle") return std::string();
  const rapidjson::Value* links = optional_member(value, "link");
  if (links == nullptr || !links->IsArray()) return std::string();
  for (rapidjson::SizeType i = 0; i < links->Size(); ++i) {
    const auto& link = (*links)[i];
    const rapidjson::Value* relation = link.IsObject() ? member(link, "relation") : nullptr;
    if (relation == nullptr || !relation->IsString() || std::string_view(relation->GetString()) != "next") continue;
    const std::string url_path = fhir::path_index(path + ".link", i) + ".url";
    const rapidjson::Value* url = member(link, "url");
    if (url == nullptr || !url->IsString() || !fetch::parse_url(str(*url))) {
      return invalid(url_path, url_path + " must be an absolute http(s) URL without control characters");
    }
    return str(*url);
  }
  return std::string();
}

// Prefetch as sent, read into the record. Keys the client left out, or answered with an OperationOutcome, are
// listed in call.missing, to be fetched from fhirServer by gather() (CDS Hooks 2.0 §Prefetch: "the CDS Service
// ... MUST ... obtain the data itself"); so is a patient key answered with anything but this patient's Patient.
// A paged searchset's next link goes to call.next_pages. Resources of another patient are dropped.
std::optional<Problem> read_prefetch(const ServiceDef& service, const rapidjson::Value& doc, PendingCall& call) {
  fhir::PatientRecord& record = call.record;
  const rapidjson::Value* prefetch = optional_member(doc, "prefetch");
  if (prefetch != nullptr && !prefetch->IsObject()) return invalid("prefetch", "prefetch must be an object");
  for (const auto& [key, tmpl] : service.prefetch) {
    const rapidjson::Value* value = prefetch == nullptr ? nullptr : member(*prefetch, key.c_str());
    const std::string path = "prefetch." + key;
    fhir::Subject subject = fhir::subject_of(call.input.patient_id, call.fhir_server);
    switch (fhir::classify_prefetch(value)) {
      case fhir::PrefetchState::absent:
      case fhir::PrefetchState::operation_outcome:
        call.missing.emplace_back(key, tmpl);
        break;
      case fhir::PrefetchState::null_value:
        break;
      case fhir::PrefetchState::empty:
      case fhir::PrefetchState::data: {
        if (is_patient_read(tmpl) && !is_the_patient(*value, subject, false)) {
          call.missing.emplace_back(key, tmpl);  // another patient, another type or a Bundle: never evaluated
          break;
        }
        auto next = next_link(*value, path);
        if (!next) return next.problem();
        if (!next->empty()) call.next_pages.emplace_back(key, std::move(*next));
        if (auto p = fhir::read_resources(*value, path, record, subject)) return p;
        note_foreign(key, subject);
        break;
      }
    }
  }
  return std::nullopt;
}

}  // namespace

bool is_uuid(std::string_view t) {
  if (t.size() != 36) return false;
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? t[i] != '-' : std::isxdigit(static_cast<unsigned char>(t[i])) == 0) return false;
  }
  return true;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }

}  // namespace

fhir::Result<PendingCall> begin_hook(const ServiceDef& service, std::string_view body, const Runtime& runtime,
                                     std::int64_t now, std::string* hook_instance) {
  const auto start = Clock::now();
  // Parsed in situ (issue 14): strings stay in this thread's copy of the body instead of being copied into the
  // document, whose values go to an arena over a reused buffer. Nothing read from the document outlives it.
  thread_local std::string text;
  // Aligned for the ChunkHeader RapidJSON places at its start (a char array alone may be misaligned: UB).
  alignas(std::max_align_t) thread_local std::array<char, 64 * 1024> arena_buffer;
  text.assign(body);
  rapidjson::MemoryPoolAllocator<> arena(arena_buffer.data(), arena_buffer.size());
  struct Release {  // a large body's copy is not kept by the thread
    ~Release() {
      if (text.capacity() > (1u << 20)) std::string().swap(text);
    }
  } release;
  auto parsed = fhir::parse_json_in_place(text, runtime.json_limits, &arena);
  if (!parsed) return parsed.problem();
  const rapidjson::Document& doc = *parsed;
  if (!doc.IsObject()) return invalid("", "the request body must be a JSON object");

  PendingCall call;
  call.service = &service;
  cards::HookInput& input = call.input;
  input.hook = service.hook;
  input.service_id = service.id;
  input.now = now;

  const rapidjson::Value* instance = member(doc, "hookInstance");
  const bool instance_ok =
      instance != nullptr && instance->IsString() &&
      is_uuid(std::string_view(instance->GetString(), instance->GetStringLength()));
  if (instance_ok && hook_instance != nullptr) *hook_instance = str(*instance);  // for the log line, whatever fails

  const rapidjson::Value* hook = member(doc, "hook");
  if (hook == nullptr) return invalid("hook", "hook is required");
  if (!hook->IsString()) return invalid("hook", "hook must be a string");
  if (str(*hook) != service.hook_name) {
    return invalid("hook", "this service answers the " + service.hook_name + " hook");
  }
  if (instance == nullptr) return invalid("hookInstance", "hookInstance is required");
  if (!instance_ok) return invalid("hookInstance", "hookInstance must be a UUID");
  input.hook_instance = str(*instance);

  const rapidjson::Value* context = member(doc, "context");
  if (context == nullptr) return invalid("context", "context is required");
  if (!context->IsObject()) return invalid("context", "context must be an object");
  if (auto p = read_context(service, *context, input)) return *p;
  if (auto p = check_fhir_access(doc, call)) return *p;

  if (auto p = read_prefetch(service, doc, call)) return *p;
  if (service.hook != cards::Hook::patient_view) {
    fhir::Subject subject = fhir::subject_of(input.patient_id, call.fhir_server);
    if (auto p = fhir::read_draft_orders(context->FindMember("draftOrders")->value, "context.draftOrders", call.record,
                                         subject)) {
      return *p;
    }
    // A card on another patient's draft (e.g. "delete this order") would act on the wrong chart.
    if (subject.foreign != 0) {
      return invalid(subject.first_foreign_path,
                     "context.draftOrders holds an order for another patient than context.patientId (" +
                         subject.first_foreign_path + ")");
    }
  }
  call.parse_seconds = seconds_since(start);
  return call;
}

HookOutcome finish_hook(const PendingCall& call, const Runtime& runtime) {
  cards::HookInput input = call.input;
  if (call.record.version != fhir::FhirVersion::unknown) input.fhir_version = call.record.version;
  auto stage = Clock::now();
  HookOutcome outcome;
  if (runtime.quiet) {
    input.patient_key = runtime.quiet->pseudonym(call.caller, call.fhir_server, input.patient_id).value_or("");
  }
  const std::vector<cards::Card> cards =
      quiet_cards(input, cards::evaluate(input, call.record, *runtime.knowledge), runtime, outcome.quieted);
  outcome.evaluate_seconds = seconds_since(stage);
  stage = Clock::now();
  outcome.hook_instance = input.hook_instance;
  outcome.patient_id = input.patient_id;
  outcome.body = cards::write_response(cards);
  for (const auto& c : cards) {
    outcome.rules.push_back(c.rule_id);
    outcome.indicators.emplace_back(cards::indicator_name(c.indicator));
  }
  outcome.write_seconds = seconds_since(stage);
  outcome.parse_seconds = call.parse_seconds;
  outcome.gather_seconds = call.gather_seconds;
  return outcome;
}

namespace {

constexpr std::string_view kMedicationRequestSearch = "MedicationRequest?";
constexpr std::string_view kMedicationOrderSearch = "MedicationOrder?";

std::string join_keys(const std::vector<std::pair<std::string, std::string>>& keys, std::string out = {}) {
  for (const auto& [key, value] : keys) out += (out.empty() ? "" : ", ") + key;
  return out;
}

Problem missing(const PendingCall& call, const std::string& why) {
  std::string what = "prefetch data required by this service is missing (" + join_keys(call.missing) + ")";
  if (call.missing.empty()) what = "prefetch data required by this service is incomplete";
  if (!call.next_pages.empty()) {
    what += std::string(call.missing.empty() ? "" : " or incomplete") +
            " (paged, with next links: " + join_keys(call.next_pages) + ")";
  }
  return fhir::make_problem(ProblemKind::missing_data, "prefetch", what + " and " + why);
}

std::string dstu2_medications(std::string_view query) {
  return std::string(kMedicationOrderSearch) + std::string(query.substr(kMedicationRequestSearch.size()));
}

// The searches for the call's missing keys. DSTU2 has MedicationOrder where later versions have
// MedicationRequest (DSTU2 §MedicationOrder): when the data already read is DSTU2 the medications search goes to
// MedicationOrder; otherwise a server that does not know MedicationRequest is asked for MedicationOrder once.
fhir::Result<std::vector<fetch::Search>> searches_for(const PendingCall& call) {
  std::vector<fetch::Search> searches;
  fhir::PrefetchContext context{call.input.patient_id, call.input.user_id, call.input.encounter_id};
  for (const auto& [key, tmpl] : call.missing) {
    auto query = fhir::render_prefetch(tmpl, context);
    if (!query) return missing(call, "its query cannot be built: " + query.problem().message);
    fetch::Search search{key, std::move(*query), {}, {}};
    if (key == "medications" && search.query.rfind(kMedicationRequestSearch, 0) == 0) {
      if (call.record.version == fhir::FhirVersion::dstu2) {
        search.query = dstu2_medications(search.query);
      } else {
        search.fallback_query = dstu2_medications(search.query);
      }
    }
    searches.push_back(std::move(search));
  }
  // The rest of a paged prefetch, from fhirServer under the same rules as the service's own searches.
  const auto base = fetch::parse_url(call.fhir_server);
  for (const auto& [key, next] : call.next_pages) {
    const auto url = fetch::parse_url(next);
    if (!base || !url || !fetch::is_under_base(*url, *base)) {
      return missing(call, "the next link of prefetch." + key + " is not under fhirServer, so it is not followed");
    }
    searches.push_back(fetch::Search{key, {}, {}, next});
  }
  return searches;
}

// Reads the fetched pages into the call's record; a malformed page is the FHIR server's fault, not the caller's,
// and so is a patient read answered with anyone but the patient.
fhir::Result<PendingCall> read_fetched(PendingCall call, const std::vector<fetch::Fetched>& fetched) {
  for (const fetch::Fetched& key : fetched) {
    bool patient_read = false;
    for (const auto& [name, tmpl] : call.service->prefetch) {
      patient_read = patient_read || (name == key.key && is_patient_read(tmpl));
    }
    fhir::Subject subject = fhir::subject_of(call.input.patient_id, call.fhir_server);
    for (std::size_t p = 0; p < key.pages.size(); ++p) {
      const std::string path =
          key.pages.size() == 1 ? "fetched." + key.key : fhir::path_index("fetched." + key.key + ".page", p);
      if (patient_read && !is_the_patient(*key.pages[p], subject, true)) {
        return fhir::make_problem(
            ProblemKind::upstream, path,
            "fhirServer answered the read of the patient (" + key.key + ") with another patient or resource");
      }
      if (auto problem = fhir::read_resources(*key.pages[p], path, call.record, subject)) {
        problem->kind = ProblemKind::upstream;
        problem->message = "data fetched from fhirServer is malformed: " + problem->message;
        return std::move(*problem);
      }
    }
    note_foreign(key.key, subject);
  }
  call.missing.clear();
  call.next_pages.clear();
  return call;
}

}  // namespace

void gather_call(PendingCall call, const Runtime& runtime, CallGathered done) {
  if (!call.needs_fetch()) return done(std::move(call));
  if (call.fhir_server.empty()) return done(missing(call, "the request names no fhirServer to fetch it from"));
  if (!runtime.fhir_client || !fetch::fhir_server_allowed(call.fhir_server, runtime.config.fhir.allowed_servers)) {
    return done(missing(call, "fhirServer is not on this service's allowlist (fhir.allowed_servers), so it is not "
                              "contacted"));
  }
  auto searches = searches_for(call);
  if (!searches) return done(searches.problem());
  fetch::FetchPlan plan;
  plan.fhir_server = call.fhir_server;
  plan.access_token = call.access_token;
  plan.searches = std::move(*searches);
  plan.deadline = Clock::now() + std::chrono::milliseconds(runtime.config.fhir.request_deadline_ms);
  plan.call_timeout = std::chrono::milliseconds(runtime.config.fhir.call_timeout_ms);
  auto held = std::make_shared<PendingCall>(std::move(call));
  fetch::gather(std::move(plan), *runtime.fhir_client,
                [held, done = std::move(done)](fhir::Result<std::vector<fetch::Fetched>> fetched) {
                  if (!fetched) return done(fetched.problem());
                  done(read_fetched(std::move(*held), *fetched));
                });
}

fhir::Result<HookOutcome> call_hook(const ServiceDef& service, std::string_view body, const Runtime& runtime,
                                    std::int64_t now, const std::string& caller) {
  auto call = begin_hook(service, body, runtime, now);
  if (!call) return call.problem();
  call->caller = caller;
  std::promise<fhir::Result<PendingCall>> gathered;
  auto future = gathered.get_future();
  const auto start = Clock::now();
  gather_call(std::move(*call), runtime, [&gathered](fhir::Result<PendingCall> result) {
    gathered.set_value(std::move(result));
  });
  auto complete = future.get();
  if (!complete) return complete.problem();
  complete->gather_seconds = seconds_since(start);
  return finish_hook(*complete, runtime);
}

}  // namespace nmo::service
