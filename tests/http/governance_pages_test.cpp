// The governance pages (issue 13 §5) served on the admin listener, never on the public port.
#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

BOOST_AUTO_TEST_SUITE(governance_pages)

BOOST_AUTO_TEST_CASE(the_knowledge_and_feedback_pages_are_served_on_the_admin_listener_only) {
  ServerProcess server;
  for (const char* path : {"/reports/knowledge", "/reports/feedback"}) {
    BOOST_TEST_CONTEXT(path) {
      BOOST_TEST(exchange(server.port(), get(path)).status == 404);
      const auto page = exchange(server.admin_port(), get(path));
      BOOST_TEST(page.status == 200);
      BOOST_TEST(page.header("content-type") == "text/html; charset=utf-8");
      BOOST_TEST(page.body.rfind("<!DOCTYPE html>", 0) == 0);
      BOOST_TEST(page.body.find("<script") == std::string::npos);
    }
  }
  // The knowledge page lists the rules; the feedback page is read from this server's (empty) store.
  BOOST_TEST(exchange(server.admin_port(), get("/reports/knowledge")).body.find("NMOSD-05") != std::string::npos);
  const auto feedback = exchange(server.admin_port(), get("/reports/feedback")).body;
  BOOST_TEST(feedback.find("<title>NMOSD CDS feedback report</title>") != std::string::npos);
  BOOST_TEST(feedback.find("No cards issued and no feedback yet.") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_governance_page_takes_get_only) {
  ServerProcess server;
  const auto response = exchange(server.admin_port(), post_json("/reports/knowledge", "{}"));
  BOOST_TEST(response.status == 405);
  BOOST_TEST(response.header("allow") == "GET, OPTIONS");
}

BOOST_AUTO_TEST_SUITE_END()
