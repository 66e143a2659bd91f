#include "service/feedback/feedback.hpp"

#include <boost/test/unit_test.hpp>

using nmo::service::feedback::is_rfc3339;
using nmo::service::feedback::parse_feedback;

BOOST_AUTO_TEST_SUITE(feedback)

const nmo::fhir::JsonLimits kLimits{};

BOOST_AUTO_TEST_CASE(accepted_with_suggestions_is_valid) {
  auto f = parse_feedback(R"({"feedback":[{"card":"c1","outcome":"accepted","acceptedSuggestions":[{"id":"s1"}],
                              "outcomeTimestamp":"2026-11-24T10:00:00Z"}]})",
                          kLimits);
  BOOST_REQUIRE(f.ok());
  BOOST_TEST(f->at(0).accepted_suggestions.at(0) == "s1");
}

BOOST_AUTO_TEST_CASE(sandbox_override_without_display_or_comment_is_valid) {
  auto f = parse_feedback(R"({"feedback":[{"card":"c1","outcome":"overridden",
                              "overrideReason":{"reason":{"code":"x","system":"y"}},
                              "outcomeTimestamp":"2026-11-24T10:00:00.5+01:00"}]})",
                          kLimits);
  BOOST_REQUIRE(f.ok());
  BOOST_TEST(f->at(0).override_code == "x");
}

BOOST_AUTO_TEST_CASE(errors_name_the_member) {
  const auto path = [](const char* body) {
    auto f = parse_feedback(body, kLimits);
    return f.ok() ? std::string("ok") : f.problem().path;
  };
  BOOST_TEST(path("{}") == "feedback");
  BOOST_TEST(path(R"({"feedback":[]})") == "feedback");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"maybe","outcomeTimestamp":"2026-11-24T10:00:00Z"}]})") ==
             "feedback[0].outcome");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"accepted","outcomeTimestamp":"2026-11-24T10:00:00Z"}]})") ==
             "feedback[0].acceptedSuggestions");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"overridden","outcomeTimestamp":"yesterday"}]})") ==
             "feedback[0].outcomeTimestamp");
  BOOST_TEST(path(R"({"feedback":[{"outcome":"overridden","outcomeTimestamp":"2026-11-24T10:00:00Z"}]})") ==
             "feedback[0].card");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"accepted","acceptedSuggestions":[{}],
                      "outcomeTimestamp":"2026-11-24T10:00:00Z"}]})") == "feedback[0].acceptedSuggestions[0].id");
}

// Issue 11 item 9: a NUL or another control character in feedback is refused with 400 naming the member (the
// PostgreSQL store cannot hold NUL in text at all, and the report and logs are text); a comment keeps its tabs
// and line breaks.
BOOST_AUTO_TEST_CASE(nul_and_control_characters_are_refused_naming_the_member) {
  const auto path = [](const std::string& body) {
    auto f = parse_feedback(body, kLimits);
    return f.ok() ? std::string("ok") : f.problem().path;
  };
  const std::string ts = R"("outcomeTimestamp":"2026-11-24T10:00:00Z")";
  BOOST_TEST(path(R"({"feedback":[{"card":"c\u0000x","outcome":"overridden",)" + ts + "}]}") == "feedback[0].card");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"accepted","acceptedSuggestions":[{"id":"s\u001b"}],)" +
                  ts + "}]}") == "feedback[0].acceptedSuggestions[0].id");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"reason":{"code":"a\u0000"}},)" +
                  ts + "}]}") == "feedback[0].overrideReason.reason.code");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"userComment":"cut\u0000here"},)" +
                  ts + "}]}") == "feedback[0].overrideReason.userComment");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"userComment":"a\u007fb"},)" +
                  ts + "}]}") == "feedback[0].overrideReason.userComment");
  BOOST_TEST(path(R"({"feedback":[{"card":"c","outcome":"overridden","overrideReason":{"userComment":"line 1\n\tline 2\r\n"},)" +
                  ts + "}]}") == "ok");
}

BOOST_AUTO_TEST_CASE(rfc3339_accepts_zones_and_fractions_and_rejects_the_rest) {
  BOOST_TEST(is_rfc3339("2026-11-24T10:00:00Z"));
  BOOST_TEST(is_rfc3339("2026-11-24T10:00:00.123-05:00"));
  BOOST_TEST(!is_rfc3339("2026-11-24T10:00:00"));
  BOOST_TEST(!is_rfc3339("2026-11-24"));
  BOOST_TEST(!is_rfc3339("2026-13-24T10:00:00Z"));
  BOOST_TEST(!is_rfc3339("2026-11-24T10:00:00Zjunk"));
  BOOST_TEST(!is_rfc3339("2026-11-24T10:00:00.Z"));
}

BOOST_AUTO_TEST_SUITE_END()
