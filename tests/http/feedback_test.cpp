// CDS Hooks 2.0 §Feedback: POST {base}/cds-services/{id}/feedback, validated (issue 2, item 5); 200 on success.
#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

struct FeedbackServer {
  ServerProcess server;

  HttpResponse send(const std::string& body, const std::string& service = "nmosd-patient-view") {
    return exchange(server.port(), post_json("/cds-services/" + service + "/feedback", body));
  }
};

constexpr const char* kAccepted = R"({"feedback":[{"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d","outcome":"accepted",
  "acceptedSuggestions":[{"id":"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}],"outcomeTimestamp":"2026-11-24T10:00:00Z"}]})";

std::string accepted_with(const std::function<void(rapidjson::Document&)>& edit) { return edit_json(kAccepted, edit); }

rapidjson::Value& first(rapidjson::Document& d) { return d["feedback"][0]; }

}  // namespace

BOOST_FIXTURE_TEST_SUITE(feedback, FeedbackServer)

BOOST_AUTO_TEST_CASE(accepted_with_its_suggestion_is_200) {
  BOOST_CHECK_EQUAL(send(kAccepted).status, 200);
  BOOST_CHECK_EQUAL(send(kAccepted, "nmosd-order-sign").status, 200);
  BOOST_CHECK_EQUAL(send(kAccepted, "nmosd-order-select").status, 200);
}

// CDS Hooks reference §7: the sandbox sends overrideReason as {reason:{code, system}} only.
BOOST_AUTO_TEST_CASE(overridden_with_the_sandboxs_reason_shape_is_200) {
  const auto response = send(R"({"feedback":[{"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d","outcome":"overridden",
    "overrideReason":{"reason":{"code":"x","system":"y"}},"outcomeTimestamp":"2026-11-24T10:00:00Z"}]})");
  BOOST_CHECK_EQUAL(response.status, 200);
}

BOOST_AUTO_TEST_CASE(overridden_without_a_reason_is_200) {
  const auto response = send(R"({"feedback":[{"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d","outcome":"overridden",
    "outcomeTimestamp":"2026-11-24T10:00:00Z"}]})");
  BOOST_CHECK_EQUAL(response.status, 200);
}

BOOST_AUTO_TEST_CASE(a_batch_with_repeats_and_unknown_members_is_200) {
  const auto response = send(R"({"extension":{"x":1},"feedback":[
    {"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d","outcome":"accepted","extension":{"y":2},
     "acceptedSuggestions":[{"id":"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}],"outcomeTimestamp":"2026-11-24T10:00:00Z"},
    {"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d","outcome":"accepted",
     "acceptedSuggestions":[{"id":"7a8b9c0d-1e2f-4a3b-8c4d-5e6f7a8b9c0d"}],"outcomeTimestamp":"2026-11-24T10:00:00Z"},
    {"card":"1f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d","outcome":"overridden",
     "overrideReason":{"reason":{"code":"x","system":"y","display":"Not now"},"userComment":"later"},
     "outcomeTimestamp":"2026-11-24T10:00:05.123Z"}]})");
  BOOST_CHECK_EQUAL(response.status, 200);
}

BOOST_AUTO_TEST_CASE(outcome_maybe_is_400_at_feedback_0_outcome) {
  check_operation_outcome(send(accepted_with([](auto& d) { first(d)["outcome"].SetString("maybe"); })), 400,
                          "feedback[0].outcome");
}

BOOST_AUTO_TEST_CASE(missing_outcome_is_400_at_feedback_0_outcome) {
  check_operation_outcome(send(accepted_with([](auto& d) { first(d).RemoveMember("outcome"); })), 400,
                          "feedback[0].outcome");
}

BOOST_AUTO_TEST_CASE(accepted_without_accepted_suggestions_is_400_at_feedback_0_accepted_suggestions) {
  check_operation_outcome(send(accepted_with([](auto& d) { first(d).RemoveMember("acceptedSuggestions"); })), 400,
                          "feedback[0].acceptedSuggestions");
}

BOOST_AUTO_TEST_CASE(missing_card_is_400_at_feedback_0_card) {
  check_operation_outcome(send(accepted_with([](auto& d) { first(d).RemoveMember("card"); })), 400, "feedback[0].card");
}

// Issue 11 item 9: a NUL cut the card at bind time, so two different cards became one row, both acknowledged.
BOOST_AUTO_TEST_CASE(a_nul_or_control_character_in_feedback_is_400_naming_the_member) {
  const std::string ts = R"("outcomeTimestamp":"2026-11-24T10:00:00Z")";
  check_operation_outcome(send(R"({"feedback":[{"card":"same\u0000a","outcome":"overridden",)" + ts + "}]}"), 400,
                          "feedback[0].card");
  check_operation_outcome(
      send(R"({"feedback":[{"card":"c2","outcome":"overridden","overrideReason":{"userComment":"x\u0007"},)" + ts +
           "}]}"),
      400, "feedback[0].overrideReason.userComment");
}

BOOST_AUTO_TEST_CASE(missing_feedback_array_is_400_at_feedback) {
  check_operation_outcome(send(R"({"extension":{}})"), 400, "feedback");
}

BOOST_AUTO_TEST_CASE(feedback_not_an_array_is_400_at_feedback) {
  check_operation_outcome(send(R"({"feedback":{"card":"0f5d3b2a-6c1e-4f7a-9b8d-1e2f3a4b5c6d"}})"), 400, "feedback");
}

BOOST_AUTO_TEST_CASE(bad_timestamp_is_400_at_feedback_0_outcome_timestamp) {
  check_operation_outcome(send(accepted_with([](auto& d) { first(d)["outcomeTimestamp"].SetString("yesterday"); })),
                          400, "feedback[0].outcomeTimestamp");
}

BOOST_AUTO_TEST_CASE(an_error_in_the_second_item_names_index_1) {
  const auto body = edit_json(kAccepted, [](rapidjson::Document& d) {
    rapidjson::Value copy(d["feedback"][0], d.GetAllocator());
    copy["outcome"].SetString("maybe");
    d["feedback"].PushBack(copy, d.GetAllocator());
  });
  check_operation_outcome(send(body), 400, "feedback[1].outcome");
}

BOOST_AUTO_TEST_CASE(invalid_json_is_400) { check_operation_outcome(send(R"({"feedback":[)"), 400); }

BOOST_AUTO_TEST_SUITE_END()
