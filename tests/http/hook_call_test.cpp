// CDS Hooks 2.0 §Calling a CDS Service: valid calls answered 200 with a cards array (issue 2, item 7).
#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

struct HookCallServer {
  ServerProcess server;
};

}  // namespace

BOOST_FIXTURE_TEST_SUITE(hook_call, HookCallServer)

// CDS Hooks 2.0 §HTTP Response: "If your CDS Service has no decision support for the user, your service should
// return a 200 HTTP response with an empty array of cards".
BOOST_AUTO_TEST_CASE(patient_view_of_an_empty_chart_answers_exactly_no_cards) {
  const auto response = exchange(server.port(), post_json("/cds-services/nmosd-patient-view",
                                                          read_fixture("requests/patient-view-empty-chart.json")));
  check_cards_response(response);
  BOOST_CHECK(parse_json(response.body) == parse_json(R"({"cards":[]})"));
}

BOOST_AUTO_TEST_CASE(order_select_with_a_draft_not_yet_naming_a_drug_answers_cards) {
  const auto response =
      exchange(server.port(), post_json("/cds-services/nmosd-order-select",
                                        read_fixture("requests/order-select-empty-chart-drug-not-yet-picked.json")));
  check_cards_response(response);
}

BOOST_AUTO_TEST_CASE(order_sign_with_a_draft_not_yet_naming_a_drug_answers_cards) {
  const auto response =
      exchange(server.port(), post_json("/cds-services/nmosd-order-sign",
                                        read_fixture("requests/order-sign-empty-chart-drug-not-yet-picked.json")));
  check_cards_response(response);
}

// CDS Hooks 2.0: `extension` is allowed almost everywhere; unknown members are ignored, never rejected.
BOOST_AUTO_TEST_CASE(unknown_members_and_extensions_at_top_level_and_in_context_are_ignored) {
  const auto response =
      exchange(server.port(), post_json("/cds-services/nmosd-patient-view",
                                        read_fixture("requests/patient-view-empty-chart-with-extensions.json")));
  check_cards_response(response);
  BOOST_CHECK(parse_json(response.body) == parse_json(R"({"cards":[]})"));
}

BOOST_AUTO_TEST_CASE(content_type_with_a_charset_parameter_is_accepted) {
  auto request = post_json("/cds-services/nmosd-patient-view", read_fixture("requests/patient-view-empty-chart.json"));
  request.headers = {{"Content-Type", "application/json; charset=utf-8"}};
  check_cards_response(exchange(server.port(), request));
}

BOOST_AUTO_TEST_CASE(an_encounter_id_in_context_is_accepted) {
  const auto body = edit_json(read_fixture("requests/patient-view-empty-chart.json"),
                              [](auto& doc) { doc["context"].AddMember("encounterId", "enc-1", doc.GetAllocator()); });
  check_cards_response(exchange(server.port(), post_json("/cds-services/nmosd-patient-view", body)));
}

BOOST_AUTO_TEST_CASE(the_same_call_twice_answers_the_same_cards) {
  const auto body = read_fixture("requests/order-sign-empty-chart-drug-not-yet-picked.json");
  const auto first = exchange(server.port(), post_json("/cds-services/nmosd-order-sign", body));
  const auto second = exchange(server.port(), post_json("/cds-services/nmosd-order-sign", body));
  check_cards_response(first);
  check_cards_response(second);
  BOOST_CHECK(parse_json(first.body) == parse_json(second.body));
}

BOOST_AUTO_TEST_SUITE_END()
