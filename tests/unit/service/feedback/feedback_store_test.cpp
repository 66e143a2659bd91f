// Both feedback stores behind one interface, against real databases: an SQLite file and a private PostgreSQL
// cluster (tests/support/postgres_server.hpp; skipped with a message only when PostgreSQL is absent outside CI).
#include "service/feedback/feedback_store.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include <boost/test/unit_test.hpp>

#include "tests/support/postgres_server.hpp"

using namespace nmo::service::feedback;

namespace {

namespace fs = std::filesystem;

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "nmo-store-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

FeedbackRecord accepted(const std::string& card, const std::string& rule) {
  FeedbackRecord r;
  r.service_id = "nmosd-order-select";
  r.rule = rule;
  r.entry.card = card;
  r.entry.outcome = "accepted";
  r.entry.accepted_suggestions = {"s-1", "s-2"};
  r.entry.outcome_timestamp = "2026-11-24T10:00:00Z";
  return r;
}

FeedbackRecord overridden(const std::string& card, const std::string& rule, const std::string& code,
                          const std::string& display = {}) {
  FeedbackRecord r;
  r.service_id = "nmosd-order-select";
  r.rule = rule;
  r.entry.card = card;
  r.entry.outcome = "overridden";
  r.entry.override_system = "https://nmo-cds.example.org/CodeSystem/override-reason";
  r.entry.override_code = code;
  r.entry.override_display = display;
  r.entry.user_comment = code.empty() ? "" : "a comment";
  r.entry.outcome_timestamp = "2026-11-24T10:00:05.123+01:00";
  return r;
}

// The behaviour both stores share.
void check_store(const std::function<std::unique_ptr<FeedbackStore>()>& open) {
  {
    auto store = open();
    const auto fresh = store->put({accepted("card-1", "NMOSD-03"), overridden("card-2", "NMOSD-03", "access", "No")});
    BOOST_TEST(fresh == std::vector<bool>({true, true}));
    // Repeated feedback for a card is acknowledged and not stored again, also within one batch.
    const auto again = store->put({overridden("card-1", "NMOSD-03", "x"), overridden("card-3", "NMOSD-05", ""),
                                   overridden("card-3", "NMOSD-05", "")});
    BOOST_TEST(again == std::vector<bool>({false, true, false}));
  }
  auto reopened = open();  // what was put is there after the store is closed and opened again
  const auto all = reopened->all();
  BOOST_REQUIRE_EQUAL(all.size(), 3u);
  BOOST_TEST(all[0].entry.card == "card-1");
  BOOST_TEST(all[0].entry.outcome == "accepted");
  BOOST_TEST(all[0].entry.accepted_suggestions == std::vector<std::string>({"s-1", "s-2"}));
  BOOST_TEST(all[0].service_id == "nmosd-order-select");
  BOOST_TEST(all[0].rule == "NMOSD-03");
  BOOST_TEST(!all[0].received_at.empty());
  BOOST_TEST(all[1].entry.override_code == "access");
  BOOST_TEST(all[1].entry.override_display == "No");
  BOOST_TEST(all[1].entry.user_comment == "a comment");
  BOOST_TEST(all[1].entry.outcome_timestamp == "2026-11-24T10:00:05.123+01:00");
  BOOST_TEST(all[2].rule == "NMOSD-05");

  // Concurrent writers: every new card is stored exactly once.
  std::vector<std::thread> threads;
  std::atomic<int> fresh_count{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&reopened, &fresh_count] {
      for (int i = 0; i < 10; ++i) {
        for (bool f : reopened->put({accepted("concurrent-" + std::to_string(i), "NMOSD-01")})) fresh_count += f;
      }
    });
  }
  for (auto& t : threads) t.join();
  BOOST_TEST(fresh_count.load() == 10);
  BOOST_TEST(reopened->all().size() == 13u);
}

// Issue 11 item 9: suggestion ids with commas (and the escape character) come back as they went in.
void check_suggestion_ids_round_trip(FeedbackStore& store) {
  FeedbackRecord r = accepted("card-commas", "NMOSD-01");
  r.entry.accepted_suggestions = {"a,b", "c", "d\\,e", "f\\", ",", "\\"};
  store.put({r});
  const auto all = store.all();
  BOOST_REQUIRE(!all.empty());
  BOOST_TEST(all.back().entry.accepted_suggestions == r.entry.accepted_suggestions);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(feedback_store)

// Issue 11 item 9: text was bound with length -1, so it stopped at a NUL: two different cards became one row
// and comments were cut. (parse_feedback refuses NUL now; the store keeps whatever it is given whole.)
BOOST_AUTO_TEST_CASE(sqlite_binds_text_with_its_length) {
  TempDir dir;
  auto store = open_sqlite_feedback_store(dir.path + "/feedback.db");
  FeedbackRecord a = overridden(std::string("card\0a", 6), "NMOSD-03", "access");
  FeedbackRecord b = overridden(std::string("card\0b", 6), "NMOSD-03", "access");
  a.entry.user_comment = std::string("before\0after", 12);
  BOOST_TEST(store->put({a, b}) == std::vector<bool>({true, true}));
  const auto all = store->all();
  BOOST_REQUIRE_EQUAL(all.size(), 2u);
  BOOST_TEST(all[0].entry.card == a.entry.card);
  BOOST_TEST(all[1].entry.card == b.entry.card);
  BOOST_TEST(all[0].entry.user_comment == a.entry.user_comment);
}

BOOST_AUTO_TEST_CASE(sqlite_round_trips_suggestion_ids_with_commas) {
  TempDir dir;
  auto store = open_sqlite_feedback_store(dir.path + "/feedback.db");
  check_suggestion_ids_round_trip(*store);
}

BOOST_AUTO_TEST_CASE(postgres_round_trips_suggestion_ids_with_commas) {
  nmo::test::PostgresServer* pg = nmo::test::shared_postgres();
  if (pg == nullptr) {
    BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries not installed");
    return;
  }
  auto store = open_postgres_feedback_store(pg->create_database("store_commas"));
  check_suggestion_ids_round_trip(*store);
}

BOOST_AUTO_TEST_CASE(sqlite_stores_durably_once_per_card) {
  TempDir dir;
  const std::string path = dir.path + "/feedback.db";
  check_store([&] { return open_sqlite_feedback_store(path); });
  BOOST_TEST(open_sqlite_feedback_store(path)->describe() == "sqlite " + path);
  // sqlite.org/fileformat.html §1.3: header bytes 18 and 19 are 2 in WAL mode.
  std::ifstream db(path, std::ios::binary);
  char header[20] = {};
  db.read(header, sizeof header);
  BOOST_TEST(header[18] == 2);
  BOOST_TEST(header[19] == 2);
}

BOOST_AUTO_TEST_CASE(sqlite_in_a_missing_directory_is_an_error_naming_it) {
  BOOST_CHECK_EXCEPTION(open_sqlite_feedback_store("/nonexistent-dir/feedback.db"), FeedbackStoreError,
                        [](const FeedbackStoreError& e) {
                          return std::string(e.what()).find("/nonexistent-dir/feedback.db") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(postgres_stores_durably_once_per_card) {
  nmo::test::PostgresServer* pg = nmo::test::shared_postgres();
  if (pg == nullptr) {
    BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries not installed (/usr/lib/postgresql/*/bin); "
                       "install Debian's postgresql package, or set CI=true to make this a failure");
    return;
  }
  const std::string url = pg->create_database("store_test");
  check_store([&] { return open_postgres_feedback_store(url); });
  BOOST_TEST(open_postgres_feedback_store(url)->describe() ==
             "postgres nmo@127.0.0.1:" + std::to_string(pg->port()) + "/store_test");
}

BOOST_AUTO_TEST_CASE(postgres_unreachable_is_an_error_without_the_password) {
  BOOST_CHECK_EXCEPTION(open_postgres_feedback_store("postgresql://nmo:s3cret@127.0.0.1:1/nmo?connect_timeout=5"),
                        FeedbackStoreError, [](const FeedbackStoreError& e) {
                          const std::string m = e.what();
                          return m.find("s3cret") == std::string::npos && m.find("127.0.0.1") != std::string::npos;
                        });
}

BOOST_AUTO_TEST_CASE(redact_url_hides_passwords_in_both_forms) {
  BOOST_TEST(redact_url("postgresql://nmo:s3cret@db:5432/nmo") == "postgresql://nmo:***@db:5432/nmo");
  BOOST_TEST(redact_url("postgresql://nmo@db/nmo?password=s3cret&sslmode=require") ==
             "postgresql://nmo@db/nmo?password=***&sslmode=require");
  BOOST_TEST(redact_url("host=db user=nmo password='a b' dbname=nmo") == "host=db user=nmo password=*** dbname=nmo");
  BOOST_TEST(redact_url("postgresql://db/nmo") == "postgresql://db/nmo");
}

BOOST_AUTO_TEST_CASE(the_report_gives_rates_and_reasons_per_rule) {
  const std::string report = feedback_report({accepted("a", "NMOSD-03"), overridden("b", "NMOSD-03", "access", "No"),
                                              overridden("c", "NMOSD-03", "access", "No"),
                                              overridden("d", "NMOSD-03", "patient-preference"),
                                              overridden("e", "", "")});
  BOOST_TEST_MESSAGE(report);
  BOOST_TEST(report.find("5 entries") != std::string::npos);
  BOOST_TEST(report.find("NMOSD-03          4         1           3       25.0%     75.0%") != std::string::npos);
  BOOST_TEST(report.find("unknown           1         0           1        0.0%    100.0%") != std::string::npos);
  BOOST_TEST(report.find("  2  access (No)") != std::string::npos);
  BOOST_TEST(report.find("  1  patient-preference") != std::string::npos);
  BOOST_TEST(report.find("(no reason given)") != std::string::npos);
  BOOST_TEST(report.find("a comment") == std::string::npos);  // free text is counted, not printed
}

BOOST_AUTO_TEST_SUITE_END()
