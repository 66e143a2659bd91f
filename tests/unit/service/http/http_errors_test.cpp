#include "service/http/http_errors.hpp"

#include <boost/test/unit_test.hpp>

#include <rapidjson/document.h>

using nmo::fhir::make_problem;
using nmo::fhir::ProblemKind;
using nmo::service::http::problem_response;

BOOST_AUTO_TEST_SUITE(http_errors)

BOOST_AUTO_TEST_CASE(invalid_input_is_400_operation_outcome_with_path) {
  auto r = problem_response(make_problem(ProblemKind::invalid, "context.patientId", "context.patientId is required",
                                         "secret internal detail"));
  BOOST_TEST(r.status == 400);
  rapidjson::Document d;
  d.Parse(r.body.c_str());
  BOOST_REQUIRE(!d.HasParseError());
  BOOST_TEST(std::string(d["resourceType"].GetString()) == "OperationOutcome");
  BOOST_TEST(std::string(d["issue"][0]["expression"][0].GetString()) == "context.patientId");
  BOOST_TEST(r.body.find("secret") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(status_follows_the_kind) {
  BOOST_TEST(problem_response(make_problem(ProblemKind::missing_data, "", "m")).status == 412);
  BOOST_TEST(problem_response(make_problem(ProblemKind::too_large, "", "m")).status == 413);
  BOOST_TEST(problem_response(make_problem(ProblemKind::media_type, "", "m")).status == 415);
  BOOST_TEST(problem_response(make_problem(ProblemKind::not_found, "", "m")).status == 404);
  BOOST_TEST(problem_response(make_problem(ProblemKind::method, "", "m")).status == 405);
}

BOOST_AUTO_TEST_CASE(internal_errors_and_401_say_nothing_specific) {
  auto internal = problem_response(make_problem(ProblemKind::internal, "x", "vector::at out of range", "detail"));
  BOOST_TEST(internal.status == 500);
  BOOST_TEST(internal.body.find("vector") == std::string::npos);
  auto unauthorized = problem_response(make_problem(ProblemKind::unauthorized, "", "expired token", "exp"));
  BOOST_TEST(unauthorized.status == 401);
  BOOST_TEST(unauthorized.body.find("expired") == std::string::npos);
}

BOOST_AUTO_TEST_SUITE_END()
