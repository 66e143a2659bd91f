// The shared jti replay table (issue 11 item 5) against the private PostgreSQL cluster: two replicas, each with
// its own connection, see one another's keys; an expired key is taken over.
#include "service/feedback/replay_table.hpp"

#include <boost/test/unit_test.hpp>
#include <chrono>

#include "service/feedback/feedback_store.hpp"
#include "tests/support/postgres_server.hpp"

using namespace nmo::service::feedback;

BOOST_AUTO_TEST_SUITE(replay_table)

BOOST_AUTO_TEST_CASE(a_key_remembered_by_one_replica_is_refused_by_another_until_it_expires) {
  nmo::test::PostgresServer* pg = nmo::test::shared_postgres();
  if (pg == nullptr) {
    BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries not installed");
    return;
  }
  const std::string url = pg->create_database("replay_test");
  auto one = open_postgres_replay_table(url);
  auto two = open_postgres_replay_table(url);  // another replica
  BOOST_TEST(one->insert_if_absent("k1", 1100, 1000));
  BOOST_TEST(!one->insert_if_absent("k1", 1100, 1001));
  BOOST_TEST(!two->insert_if_absent("k1", 1100, 1002));
  BOOST_TEST(two->insert_if_absent("k2", 1100, 1002));
  BOOST_TEST(!two->insert_if_absent("k1", 1100, 1100));  // live until its expiry
  BOOST_TEST(two->insert_if_absent("k1", 1300, 1101));   // expired: taken over
  BOOST_TEST(!one->insert_if_absent("k1", 1300, 1102));
  // UNLOGGED (relpersistence 'u'): no WAL per request.
  BOOST_TEST(pg->psql("replay_test", "SELECT relpersistence FROM pg_class WHERE relname = 'nmo_auth_replay'")
                 .find('u') != std::string::npos);

  // The cost per call, for the README (not asserted): fresh keys, one connection, loopback.
  constexpr int kCalls = 2000;
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < kCalls; ++i) one->insert_if_absent("bench-" + std::to_string(i), 5000, 1200);
  const double us =
      std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count() / kCalls;
  BOOST_TEST_MESSAGE("replay table: " << us << " us per insert_if_absent (loopback PostgreSQL)");
}

BOOST_AUTO_TEST_CASE(an_unreachable_database_is_an_error_without_the_password) {
  BOOST_CHECK_EXCEPTION(open_postgres_replay_table("postgresql://nmo:s3cret@127.0.0.1:1/nmo?connect_timeout=5"),
                        FeedbackStoreError,
                        [](const FeedbackStoreError& e) { return std::string(e.what()).find("s3cret") == std::string::npos; });
}

BOOST_AUTO_TEST_SUITE_END()
