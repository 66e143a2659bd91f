// Issue 10, "Patient safety on the data path": never another patient's data, never a partial chart read as
// complete. The hook call (begin_hook, gather_call) against an in-test FHIR server.
#include "service/hook_call.hpp"

#include <boost/test/unit_test.hpp>

#include <future>

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include "service/fetch/fhir_client.hpp"
#include "service/fetch/gather.hpp"
#include "service/ops/metrics.hpp"
#include "service/services.hpp"
#include "tests/unit/service/fetch/fake_fhir_server.hpp"

using namespace nmo::service;
using nmo::fhir::ProblemKind;
using nmo::test::FakeFhirServer;
using nmo::test::FakeReply;
using nmo::test::FakeRequest;
using namespace std::chrono_literals;

namespace {

constexpr const char* kEmpty = R"({"resourceType":"Bundle","type":"searchset"})";

// A patient-view call for patient "pat" with all six keys prefetched (empty searchsets and the Patient).
std::string full_call() {
  return std::string(R"({"hook":"patient-view","hookInstance":"d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",)") +
         R"("context":{"userId":"Practitioner/1","patientId":"pat"},"prefetch":{)" +
         R"("patient":{"resourceType":"Patient","id":"pat","gender":"female","birthDate":"1980-01-01"},)" +
         R"("conditions":)" + kEmpty + R"(,"medications":)" + kEmpty + R"(,"observations":)" + kEmpty +
         R"(,"immunizations":)" + kEmpty + R"(,"procedures":)" + kEmpty + "}}";
}

rapidjson::Value json_value(const std::string& text, rapidjson::Document::AllocatorType& a) {
  rapidjson::Document d;
  d.Parse(text.c_str(), text.size());
  BOOST_REQUIRE(!d.HasParseError());
  return rapidjson::Value(d, a);
}

// `body` with member `name` of `object` (a '.'-separated path of objects: "", "context", "prefetch") set to `json`
// (JSON text); json == "" removes it.
std::string with(const std::string& body, const std::string& object, const std::string& name, const std::string& json) {
  rapidjson::Document doc;
  doc.Parse(body.c_str(), body.size());
  rapidjson::Value* target = &doc;
  if (!object.empty()) target = &doc[object.c_str()];
  target->RemoveMember(name.c_str());
  if (!json.empty()) {
    target->AddMember(rapidjson::Value(name.c_str(), doc.GetAllocator()), json_value(json, doc.GetAllocator()),
                      doc.GetAllocator());
  }
  rapidjson::StringBuffer out;
  rapidjson::Writer<rapidjson::StringBuffer> w(out);
  doc.Accept(w);
  return out.GetString();
}

std::string bundle(const std::string& entries, const std::string& next = {}) {
  std::string b = R"({"resourceType":"Bundle","type":"searchset","entry":[)" + entries + "]";
  if (!next.empty()) b += R"(,"link":[{"relation":"next","url":")" + next + R"("}])";
  return b + "}";
}

std::string observation(const std::string& id, const std::string& subject) {
  return R"({"resource":{"resourceType":"Observation","id":")" + id + R"(","status":"final",)" +
         (subject.empty() ? "" : R"("subject":{"reference":")" + subject + R"("},)") +
         R"("code":{"coding":[{"system":"http://loinc.org","code":"63439-4"}]},"valueString":"positive"}})";
}

std::string medication(const std::string& id, const std::string& subject) {
  return R"({"resource":{"resourceType":"MedicationRequest","id":")" + id +
         R"(","status":"active","intent":"order","subject":{"reference":")" + subject +
         R"("},"medicationCodeableConcept":{"coding":[{"system":"http://www.nlm.nih.gov/research/umls/rxnorm","code":"1256"}]}}})";
}

FakeReply reply(std::string body, int status = 200) {
  FakeReply r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

// A server for patient "pat": its Patient, every search empty.
FakeReply chart(const FakeRequest& r) {
  if (r.target.rfind("/fhir/Patient/", 0) == 0) {
    return reply(R"({"resourceType":"Patient","id":"pat","gender":"female","birthDate":"1980-01-01"})");
  }
  return reply(kEmpty);
}

struct Fixture {
  Runtime runtime;
  explicit Fixture(std::vector<std::string> allowed = {}) {
    runtime.config.fhir.allowed_servers = std::move(allowed);
    runtime.config.fhir.request_deadline_ms = 2000;
    runtime.config.fhir.call_timeout_ms = 2000;
    runtime.fhir_client = std::make_shared<fetch::FhirClient>(fetch::fhir_client_options(runtime.config));
  }
  nmo::fhir::Result<PendingCall> begin(const std::string& body, const char* service = "nmosd-patient-view") {
    return begin_hook(*find_service(service), body, runtime, 1700000000);
  }
  nmo::fhir::Result<PendingCall> run(const std::string& body, const char* service = "nmosd-patient-view") {
    auto call = begin(body, service);
    if (!call) return call.problem();
    std::promise<nmo::fhir::Result<PendingCall>> promise;
    auto future = promise.get_future();
    gather_call(std::move(*call), runtime,
                [&promise](nmo::fhir::Result<PendingCall> r) { promise.set_value(std::move(r)); });
    BOOST_REQUIRE(future.wait_for(30s) == std::future_status::ready);
    return future.get();
  }
};

// The call pointing at `server` with a bearer token and nothing prefetched.
std::string fetching_call(const std::string& server, const std::string& token = "tok-123") {
  std::string body = with(full_call(), "", "prefetch", "");
  body = with(body, "", "fhirServer", "\"" + server + "\"");
  return with(body, "", "fhirAuthorization",
              R"({"access_token":")" + token +
                  R"(","token_type":"Bearer","expires_in":300,"scope":"patient/*.read","subject":"cds"})");
}

int kind(const nmo::fhir::Problem& p) { return static_cast<int>(p.kind); }

double metric(const std::string& series) {
  const std::string text = ops::metrics::render();
  const auto at = text.find(series + " ");
  return at == std::string::npos ? 0.0 : std::stod(text.substr(at + series.size() + 1));
}

}  // namespace

BOOST_AUTO_TEST_SUITE(header_injection)

BOOST_AUTO_TEST_CASE(an_access_token_that_is_no_b64token_is_400_naming_it_and_nothing_is_sent) {
  FakeFhirServer server(chart);
  Fixture f({server.base() + "/fhir"});
  const std::string smuggling = R"(tok\r\n\r\nDELETE /fhir/Patient/pat HTTP/1.1\r\nAuthorization: Bearer evil)";
  for (const std::string& token : {smuggling, std::string(R"(tok\nX: 1)"), std::string("a b"),
                                   std::string(R"(tok\u0000)"), std::string("tok=x")}) {
    BOOST_TEST_CONTEXT(token) {
      auto result = f.run(fetching_call(server.base() + "/fhir", token));
      BOOST_REQUIRE(!result.ok());
      BOOST_TEST(kind(result.problem()) == static_cast<int>(ProblemKind::invalid));
      BOOST_TEST(result.problem().path == "fhirAuthorization.access_token");
    }
  }
  BOOST_TEST(server.connections() == 0u);
  BOOST_TEST(server.received() == "");
  BOOST_TEST(f.run(fetching_call(server.base() + "/fhir", "abc-._~+/XYZ09==")).ok());
}

BOOST_AUTO_TEST_CASE(token_type_must_be_bearer_in_any_case) {
  Fixture f;
  const std::string body = fetching_call("https://ehr.example.org/fhir");
  for (const std::string type : {"Bearer", "bearer", "BEARER"}) {
    std::string b = body;
    b.replace(b.find("\"Bearer\""), 8, "\"" + type + "\"");
    BOOST_TEST(f.begin(b).ok(), type);
  }
  for (const std::string type : {"Basic", "MAC", "", "Bearer\\r\\nX: 1"}) {
    std::string b = body;
    b.replace(b.find("\"Bearer\""), 8, "\"" + type + "\"");
    auto call = f.begin(b);
    BOOST_REQUIRE(!call.ok());
    BOOST_TEST(call.problem().path == "fhirAuthorization.token_type");
  }
}

// Context values are percent-encoded into the queries: a CR LF in patientId cannot start a header line.
BOOST_AUTO_TEST_CASE(control_characters_in_context_never_reach_the_request_head) {
  FakeFhirServer server(chart);
  Fixture f({server.base() + "/fhir"});
  std::string body = fetching_call(server.base() + "/fhir");
  body = with(body, "context", "patientId", R"("pat\r\nX-Evil: 1")");
  (void)f.run(body);
  const std::string received = server.received();
  BOOST_TEST(received.find("\r\nX-Evil") == std::string::npos);
  BOOST_TEST(received.find("pat%0D%0AX-Evil%3A%201") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(explicit_nulls)

BOOST_AUTO_TEST_CASE(null_for_fhir_authorization_fhir_server_and_optional_context_members_means_absent) {
  Fixture f;
  std::string body = with(full_call(), "", "fhirAuthorization", "null");
  body = with(body, "", "fhirServer", "null");
  body = with(body, "context", "encounterId", "null");
  body = with(body, "context", "selections", "null");
  auto call = f.begin(body);
  BOOST_TEST(call.ok(), (call.ok() ? "" : call.problem().path + ": " + call.problem().message));
  BOOST_TEST(f.begin(with(full_call(), "", "prefetch", "null")).ok());  // then nothing is prefetched...
  auto run = f.run(with(full_call(), "", "prefetch", "null"));
  BOOST_REQUIRE(!run.ok());  // ...and nothing may be fetched: 412, not 400
  BOOST_TEST(kind(run.problem()) == static_cast<int>(ProblemKind::missing_data));
}

BOOST_AUTO_TEST_CASE(a_required_member_that_is_null_stays_400) {
  Fixture f;
  for (const auto& [object, name, path] :
       {std::tuple{"context", "patientId", "context.patientId"}, std::tuple{"context", "userId", "context.userId"},
        std::tuple{"", "hookInstance", "hookInstance"}, std::tuple{"", "context", "context"}}) {
    auto call = f.begin(with(full_call(), object, name, "null"));
    BOOST_REQUIRE(!call.ok());
    BOOST_TEST(call.problem().path == path);
  }
  // order-select: selections is required there.
  std::string select = with(full_call(), "", "hook", R"("order-select")");
  select = with(select, "context", "draftOrders", R"({"resourceType":"Bundle","entry":[]})");
  select = with(select, "context", "selections", "null");
  auto call = f.begin(select, "nmosd-order-select");
  BOOST_REQUIRE(!call.ok());
  BOOST_TEST(call.problem().path == "context.selections");
}

BOOST_AUTO_TEST_CASE(a_failed_call_reports_the_hook_instance_it_could_read) {
  Fixture f;
  std::string hook_instance;
  auto call = begin_hook(*find_service("nmosd-patient-view"), with(full_call(), "context", "patientId", "null"),
                         f.runtime, 1700000000, &hook_instance);
  BOOST_REQUIRE(!call.ok());
  BOOST_TEST(hook_instance == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea");
  hook_instance.clear();
  (void)begin_hook(*find_service("nmosd-patient-view"), with(full_call(), "", "hook", R"("order-sign")"), f.runtime,
                   1700000000, &hook_instance);
  BOOST_TEST(hook_instance == "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea");  // even when an earlier member is wrong
  hook_instance.clear();
  (void)begin_hook(*find_service("nmosd-patient-view"), with(full_call(), "", "hookInstance", R"("not-a-uuid")"),
                   f.runtime, 1700000000, &hook_instance);
  BOOST_TEST(hook_instance == "");
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(patient_identity)

BOOST_AUTO_TEST_CASE(a_prefetched_resource_for_another_patient_is_dropped_and_counted) {
  Fixture f;
  const std::string series = R"(nmo_foreign_resources_total{key="observations"})";
  const double before = metric(series);
  const std::string observations =
      bundle(observation("mine", "Patient/pat") + "," + observation("theirs", "Patient/other") + "," +
             observation("absolute-elsewhere", "https://other.example.org/fhir/Patient/pat") + "," +
             observation("no-subject", ""));
  auto call = f.begin(with(full_call(), "prefetch", "observations", observations));
  BOOST_REQUIRE(call.ok());
  std::vector<std::string> ids;
  for (const auto& o : call->record.observations) ids.push_back(o.id);
  const std::vector<std::string> expected{"mine", "no-subject"};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
  BOOST_TEST(metric(series) == before + 2);
}

BOOST_AUTO_TEST_CASE(references_resolve_relative_absolute_on_fhir_server_or_by_the_bundle_full_url) {
  Fixture f;
  std::string body = with(full_call(), "", "fhirServer", R"("https://ehr.example.org/fhir/")");
  body = with(body, "context", "patientId", R"("Patient/pat")");  // typed, as some clients send it
  const std::string conditions = bundle(
      R"({"fullUrl":"urn:uuid:5e0d","resource":{"resourceType":"Patient","id":"pat"}},)"
      R"({"resource":{"resourceType":"Condition","id":"c1","subject":{"reference":"urn:uuid:5e0d"}}},)"
      R"({"resource":{"resourceType":"Condition","id":"c2","subject":{"reference":"https://ehr.example.org/fhir/Patient/pat"}}},)"
      R"({"resource":{"resourceType":"Condition","id":"c3","subject":{"reference":"Patient/pat/_history/2"}}},)"
      R"({"resource":{"resourceType":"Condition","id":"c4","subject":{"reference":"Patient/pat2"}}},)"
      R"({"resource":{"resourceType":"Condition","id":"c5","patient":{"reference":"Patient/pat"}}})");
  auto call = f.begin(with(body, "prefetch", "conditions", conditions));
  BOOST_REQUIRE(call.ok());
  std::vector<std::string> ids;
  for (const auto& c : call->record.conditions) ids.push_back(c.id);
  const std::vector<std::string> expected{"c1", "c2", "c3", "c5"};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(a_prefetched_patient_with_another_id_or_shape_is_fetched_instead_or_412) {
  FakeFhirServer server(chart);
  Fixture f({server.base() + "/fhir"});
  for (const std::string& patient : {std::string(R"({"resourceType":"Patient","id":"other","gender":"male"})"),
                                     std::string(R"({"resourceType":"Condition","id":"pat"})"),
                                     bundle(R"({"resource":{"resourceType":"Patient","id":"pat"}})")}) {
    BOOST_TEST_CONTEXT(patient) {
      // Without a usable fhirServer: 412, never evaluated.
      auto refused = f.run(with(full_call(), "prefetch", "patient", patient));
      BOOST_REQUIRE(!refused.ok());
      BOOST_TEST(kind(refused.problem()) == static_cast<int>(ProblemKind::missing_data));
      BOOST_TEST(refused.problem().message.find("patient") != std::string::npos);
      // With one: fetched.
      std::string body = with(full_call(), "prefetch", "patient", patient);
      body = with(body, "", "fhirServer", "\"" + server.base() + "/fhir\"");
      auto fetched = f.run(body);
      BOOST_REQUIRE(fetched.ok());
      BOOST_REQUIRE(fetched->record.patient.has_value());
      BOOST_TEST(fetched->record.patient->id == "pat");
      BOOST_TEST(fetched->record.patient->gender == "female");
    }
  }
}

BOOST_AUTO_TEST_CASE(fetched_resources_for_another_patient_are_dropped_and_a_wrong_patient_is_412) {
  FakeFhirServer server([](const FakeRequest& r) {
    if (r.target.rfind("/fhir/Observation?", 0) == 0) {
      return reply(bundle(observation("mine", "Patient/pat") + "," + observation("theirs", "Patient/other")));
    }
    return chart(r);
  });
  Fixture f({server.base() + "/fhir"});
  auto result = f.run(fetching_call(server.base() + "/fhir"));
  BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.problem().message));
  BOOST_REQUIRE(result->record.observations.size() == 1u);
  BOOST_TEST(result->record.observations[0].id == "mine");

  FakeFhirServer liar([](const FakeRequest& r) {
    if (r.target.rfind("/fhir/Patient/", 0) == 0) return reply(R"({"resourceType":"Patient","id":"other"})");
    return chart(r);
  });
  Fixture g({liar.base() + "/fhir"});
  auto wrong = g.run(fetching_call(liar.base() + "/fhir"));
  BOOST_REQUIRE(!wrong.ok());
  BOOST_TEST(kind(wrong.problem()) == static_cast<int>(ProblemKind::upstream));
  BOOST_TEST(wrong.problem().message.find("patient") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_draft_order_for_another_patient_is_400_naming_draft_orders) {
  Fixture f;
  std::string sign = with(full_call(), "", "hook", R"("order-sign")");
  const std::string drafts = R"({"resourceType":"Bundle","entry":[)" + medication("mine", "Patient/pat") + "," +
                             medication("theirs", "Patient/other") + "]}";
  auto call = f.begin(with(sign, "context", "draftOrders", drafts), "nmosd-order-sign");
  BOOST_REQUIRE(!call.ok());
  BOOST_TEST(kind(call.problem()) == static_cast<int>(ProblemKind::invalid));
  BOOST_TEST(call.problem().path.rfind("context.draftOrders", 0) == 0u);
  BOOST_TEST(call.problem().message.find("context.draftOrders") != std::string::npos);
  const std::string own = R"({"resourceType":"Bundle","entry":[)" + medication("mine", "Patient/pat") + "]}";
  BOOST_TEST(f.begin(with(sign, "context", "draftOrders", own), "nmosd-order-sign").ok());
}

BOOST_AUTO_TEST_SUITE_END()

BOOST_AUTO_TEST_SUITE(paged_prefetch)

BOOST_AUTO_TEST_CASE(the_next_pages_of_a_paged_prefetch_are_fetched_from_fhir_server_with_the_token) {
  FakeFhirServer* self = nullptr;
  FakeFhirServer server([&self](const FakeRequest& r) {
    if (r.target == "/fhir/MedicationRequest?patient=pat&page=2") {
      return reply(
          bundle(medication("m2", "Patient/pat"), self->base() + "/fhir/MedicationRequest?patient=pat&page=3"));
    }
    if (r.target == "/fhir/MedicationRequest?patient=pat&page=3") return reply(bundle(medication("m3", "Patient/pat")));
    return reply(R"({"resourceType":"OperationOutcome"})", 404);
  });
  self = &server;
  Fixture f({server.base() + "/fhir"});
  std::string body = with(full_call(), "", "fhirServer", "\"" + server.base() + "/fhir\"");
  body = with(body, "", "fhirAuthorization", R"({"access_token":"tok-123","token_type":"Bearer"})");
  body = with(body, "prefetch", "medications",
              bundle(medication("m1", "Patient/pat"), server.base() + "/fhir/MedicationRequest?patient=pat&page=2"));
  auto result = f.run(body);
  BOOST_REQUIRE_MESSAGE(result.ok(), (result.ok() ? "" : result.problem().message));
  std::vector<std::string> ids;
  for (const auto& m : result->record.medications) ids.push_back(m.id);
  const std::vector<std::string> expected{"m1", "m2", "m3"};
  BOOST_TEST(ids == expected, boost::test_tools::per_element());
  BOOST_REQUIRE(server.requests().size() == 2u);
  BOOST_TEST(server.requests()[0].authorization == "Bearer tok-123");
}

BOOST_AUTO_TEST_CASE(a_paged_prefetch_that_cannot_be_completed_is_412_naming_the_key) {
  FakeFhirServer server(chart);
  const std::string page1 =
      bundle(medication("m1", "Patient/pat"), server.base() + "/fhir/MedicationRequest?patient=pat&page=2");
  struct Case {
    const char* why;
    std::vector<std::string> allowed;
    std::string fhir_server;
    std::string next;
  };
  const std::vector<Case> cases{
      {"no fhirServer", {server.base() + "/fhir"}, "", page1},
      {"fhirServer not allowlisted", {}, server.base() + "/fhir", page1},
      {"next link outside fhirServer",
       {server.base() + "/fhir"},
       server.base() + "/fhir",
       bundle(medication("m1", "Patient/pat"), server.base() + "/other/MedicationRequest?page=2")},
      {"next link on another origin",
       {server.base() + "/fhir"},
       server.base() + "/fhir",
       bundle(medication("m1", "Patient/pat"), "https://elsewhere.example.org/fhir/MedicationRequest?page=2")},
  };
  for (const Case& c : cases) {
    BOOST_TEST_CONTEXT(c.why) {
      Fixture f(c.allowed);
      std::string body = with(full_call(), "prefetch", "medications", c.next);
      if (!c.fhir_server.empty()) body = with(body, "", "fhirServer", "\"" + c.fhir_server + "\"");
      auto result = f.run(body);
      BOOST_REQUIRE(!result.ok());
      BOOST_TEST(kind(result.problem()) == static_cast<int>(ProblemKind::missing_data));
      BOOST_TEST(result.problem().message.find("medications") != std::string::npos);
    }
  }
  BOOST_TEST(server.connections() == 0u);
}

BOOST_AUTO_TEST_CASE(a_prefetched_next_link_with_control_characters_is_400_and_nothing_is_sent) {
  FakeFhirServer server(chart);
  Fixture f({server.base() + "/fhir"});
  std::string body = with(full_call(), "", "fhirServer", "\"" + server.base() + "/fhir\"");
  body = with(body, "prefetch", "medications",
              bundle(medication("m1", "Patient/pat"),
                     server.base() + R"(/fhir/MedicationRequest?page=2\r\nAuthorization: Bearer evil)"));
  auto result = f.run(body);
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(kind(result.problem()) == static_cast<int>(ProblemKind::invalid));
  BOOST_TEST(result.problem().path == "prefetch.medications.link[0].url");
  BOOST_TEST(server.received() == "");
}

BOOST_AUTO_TEST_CASE(a_failing_next_page_is_412_naming_the_key) {
  FakeFhirServer server([](const FakeRequest&) { return reply(R"({"resourceType":"OperationOutcome"})", 500); });
  Fixture f({server.base() + "/fhir"});
  std::string body = with(full_call(), "", "fhirServer", "\"" + server.base() + "/fhir\"");
  body = with(body, "prefetch", "medications",
              bundle(medication("m1", "Patient/pat"), server.base() + "/fhir/MedicationRequest?page=2"));
  auto result = f.run(body);
  BOOST_REQUIRE(!result.ok());
  BOOST_TEST(kind(result.problem()) == static_cast<int>(ProblemKind::upstream));
  BOOST_TEST(result.problem().message.find("medications") != std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
