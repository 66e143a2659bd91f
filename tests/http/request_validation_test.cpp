// Request validation (issue 2, item 7): each bad request is a 400 OperationOutcome naming the JSON path of the
// offending member, and never internal detail.
#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

constexpr int kMaxDepth = 64;

ServerConfig depth_limited() {
  ServerConfig c;
  c.json_max_depth = kMaxDepth;
  return c;
}

struct ValidationServer {
  ServerProcess server{depth_limited()};

  HttpResponse call(const std::string& service, const std::string& body) {
    return exchange(server.port(), post_json("/cds-services/" + service, body));
  }
  static std::string patient_view() { return read_fixture("requests/patient-view-empty-chart.json"); }
  static std::string order_select() {
    return read_fixture("requests/order-select-empty-chart-drug-not-yet-picked.json");
  }
  static std::string order_sign() { return read_fixture("requests/order-sign-empty-chart-drug-not-yet-picked.json"); }
  static std::string without(const std::string& json, const char* member) {
    return edit_json(json, [member](rapidjson::Document& d) { d.RemoveMember(member); });
  }
  static std::string without_context(const std::string& json, const char* member) {
    return edit_json(json, [member](rapidjson::Document& d) { d["context"].RemoveMember(member); });
  }
  /// `json` with a member `deep` holding `depth` nested arrays inserted at the top level.
  static std::string with_nesting(const std::string& json, int depth) {
    const auto brace = json.find('{');
    return json.substr(0, brace + 1) + "\"deep\":" + std::string(static_cast<std::size_t>(depth), '[') +
           std::string(static_cast<std::size_t>(depth), ']') + "," + json.substr(brace + 1);
  }
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(request_validation, ValidationServer)

BOOST_AUTO_TEST_CASE(invalid_json_is_400) {
  check_operation_outcome(call("nmosd-patient-view", R"({"hook":"patient-view","context":)"), 400);
}

BOOST_AUTO_TEST_CASE(a_body_that_is_not_a_json_object_is_400) {
  check_operation_outcome(call("nmosd-patient-view", "[1,2,3]"), 400);
}

BOOST_AUTO_TEST_CASE(an_empty_body_is_400) { check_operation_outcome(call("nmosd-patient-view", ""), 400); }

BOOST_AUTO_TEST_CASE(invalid_utf8_is_400) {
  const std::string body =
      edit_json(patient_view(), [](rapidjson::Document& d) { d.AddMember("note", "PLACEHOLDER", d.GetAllocator()); });
  std::string bad = body;
  bad.replace(bad.find("PLACEHOLDER"), 11, "\xC3\x28\xFF");
  check_operation_outcome(call("nmosd-patient-view", bad), 400);
}

BOOST_AUTO_TEST_CASE(missing_hook_is_400_at_hook) {
  check_operation_outcome(call("nmosd-patient-view", without(patient_view(), "hook")), 400, "hook");
}

BOOST_AUTO_TEST_CASE(hook_of_another_service_is_400_at_hook) {
  check_operation_outcome(call("nmosd-patient-view", order_sign()), 400, "hook");
}

BOOST_AUTO_TEST_CASE(hook_not_a_string_is_400_at_hook) {
  const auto body = edit_json(patient_view(), [](rapidjson::Document& d) { d["hook"].SetInt(7); });
  check_operation_outcome(call("nmosd-patient-view", body), 400, "hook");
}

BOOST_AUTO_TEST_CASE(hook_instance_not_a_uuid_is_400_at_hook_instance) {
  const auto body =
      edit_json(patient_view(), [](rapidjson::Document& d) { d["hookInstance"].SetString("not-a-uuid"); });
  check_operation_outcome(call("nmosd-patient-view", body), 400, "hookInstance");
}

BOOST_AUTO_TEST_CASE(missing_hook_instance_is_400_at_hook_instance) {
  check_operation_outcome(call("nmosd-patient-view", without(patient_view(), "hookInstance")), 400, "hookInstance");
}

BOOST_AUTO_TEST_CASE(missing_context_is_400_at_context) {
  check_operation_outcome(call("nmosd-patient-view", without(patient_view(), "context")), 400, "context");
}

BOOST_AUTO_TEST_CASE(context_not_an_object_is_400_at_context) {
  const auto body = edit_json(patient_view(), [](rapidjson::Document& d) { d["context"].SetString("patient"); });
  check_operation_outcome(call("nmosd-patient-view", body), 400, "context");
}

BOOST_AUTO_TEST_CASE(missing_patient_id_is_400_at_context_patient_id) {
  check_operation_outcome(call("nmosd-patient-view", without_context(patient_view(), "patientId")), 400,
                          "context.patientId");
}

BOOST_AUTO_TEST_CASE(patient_id_a_number_is_400_at_context_patient_id) {
  const auto body = edit_json(patient_view(), [](rapidjson::Document& d) { d["context"]["patientId"].SetInt(42); });
  check_operation_outcome(call("nmosd-patient-view", body), 400, "context.patientId");
}

BOOST_AUTO_TEST_CASE(missing_user_id_is_400_at_context_user_id) {
  check_operation_outcome(call("nmosd-patient-view", without_context(patient_view(), "userId")), 400, "context.userId");
}

BOOST_AUTO_TEST_CASE(missing_user_id_in_order_sign_is_400_at_context_user_id) {
  check_operation_outcome(call("nmosd-order-sign", without_context(order_sign(), "userId")), 400, "context.userId");
}

BOOST_AUTO_TEST_CASE(order_select_without_selections_is_400_at_context_selections) {
  check_operation_outcome(call("nmosd-order-select", without_context(order_select(), "selections")), 400,
                          "context.selections");
}

BOOST_AUTO_TEST_CASE(order_select_with_selections_not_an_array_is_400_at_context_selections) {
  const auto body = edit_json(order_select(), [](rapidjson::Document& d) {
    d["context"]["selections"].SetString("MedicationRequest/request-123");
  });
  check_operation_outcome(call("nmosd-order-select", body), 400, "context.selections");
}

BOOST_AUTO_TEST_CASE(order_sign_without_draft_orders_is_400_at_context_draft_orders) {
  check_operation_outcome(call("nmosd-order-sign", without_context(order_sign(), "draftOrders")), 400,
                          "context.draftOrders");
}

BOOST_AUTO_TEST_CASE(order_select_without_draft_orders_is_400_at_context_draft_orders) {
  check_operation_outcome(call("nmosd-order-select", without_context(order_select(), "draftOrders")), 400,
                          "context.draftOrders");
}

// CDS Hooks 2.0 §HTTP Request: fhirServer is "Conditional ... required if fhirAuthorization is present".
BOOST_AUTO_TEST_CASE(fhir_authorization_without_fhir_server_is_400_at_fhir_server) {
  const auto body = edit_json(patient_view(), [](rapidjson::Document& d) {
    rapidjson::Document auth(&d.GetAllocator());
    auth.Parse(R"({"access_token":"opaque","token_type":"Bearer","expires_in":300,
                   "scope":"user/Patient.read","subject":"cds-service"})");
    d.AddMember("fhirAuthorization", rapidjson::Value(auth, d.GetAllocator()), d.GetAllocator());
  });
  const auto response = call("nmosd-patient-view", body);
  check_operation_outcome(response, 400, "fhirServer");
  BOOST_CHECK(response.body.find("opaque") == std::string::npos);  // the token is never echoed
}

BOOST_AUTO_TEST_CASE(duplicate_keys_are_400) {
  std::string body = patient_view();
  body.insert(body.find('{') + 1, R"("hook":"order-sign",)");
  check_operation_outcome(call("nmosd-patient-view", body), 400);
}

BOOST_AUTO_TEST_CASE(nesting_deeper_than_json_max_depth_is_400) {
  check_operation_outcome(call("nmosd-patient-view", with_nesting(patient_view(), kMaxDepth * 4)), 400);
}

BOOST_AUTO_TEST_CASE(nesting_well_within_json_max_depth_in_an_unknown_member_is_accepted) {
  check_cards_response(call("nmosd-patient-view", with_nesting(patient_view(), kMaxDepth / 2)));
}

BOOST_AUTO_TEST_CASE(very_deep_nesting_does_not_crash_the_server) {
  check_operation_outcome(call("nmosd-patient-view", with_nesting(patient_view(), 30000)), 400);
  check_cards_response(call("nmosd-patient-view", patient_view()));
}

BOOST_AUTO_TEST_SUITE_END()
