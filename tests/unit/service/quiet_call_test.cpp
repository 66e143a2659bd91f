// Quieting through the whole hook call (issue 13): a patient story overridden on the feedback endpoint's store,
// called again, is quiet; a critical card never is; a store that cannot be read shows every card and counts it;
// two replicas share one PostgreSQL store.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/test/unit_test.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "cards/card.hpp"
#include "cards/knowledge_model.hpp"
#include "service/feedback/feedback_store.hpp"
#include "service/feedback/quiet_book.hpp"
#include "service/hook_call.hpp"
#include "service/ops/metrics.hpp"
#include "service/services.hpp"
#include "tests/support/postgres_server.hpp"

using namespace nmo::service;
namespace fs = std::filesystem;

namespace {

constexpr std::int64_t kNow = 1795478400;  // 2026-11-24T00:00:00Z, the stories' "now"
constexpr std::int64_t kDay = 86400;

std::string read(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::shared_ptr<const nmo::cards::KnowledgeBase> knowledge() {
  static const auto kb = [] {
    std::vector<nmo::cards::KnowledgeFile> files;
    for (const auto& e : fs::directory_iterator(fs::path(NMO_SOURCE_DIR) / "config/knowledge")) {
      if (e.path().extension() == ".json") files.push_back({e.path().filename().string(), read(e.path())});
    }
    auto loaded = nmo::cards::load_knowledge(files);
    BOOST_REQUIRE(loaded.ok());
    return *loaded;
  }();
  return kb;
}

// A story request (tests/fixtures/stories) with its hookInstance replaced: a later chart opening.
std::string story(const std::string& name, const std::string& hook_instance) {
  std::string text = read(fs::path(NMO_FIXTURES_DIR) / "stories" / (name + ".json"));
  const std::string key = "\"hookInstance\": \"";
  const auto at = text.find(key);
  BOOST_REQUIRE(at != std::string::npos);
  text.replace(at + key.size(), 36, hook_instance);
  return text;
}

// The same story for another patient (its id in context, the Patient resource and every reference).
std::string for_patient(std::string text, const std::string& id) {
  for (const std::string& from : {std::string("\"patientId\": \"pat\""), std::string("\"id\": \"pat\""),
                                  std::string("\"Patient/pat\"")}) {
    std::string to = from;
    to.replace(to.rfind("pat"), 3, id);
    for (auto at = text.find(from); at != std::string::npos; at = text.find(from, at + to.size())) {
      text.replace(at, from.size(), to);
    }
  }
  return text;
}

// The story without fhirServer (and without fhirAuthorization, which needs it).
std::string without_fhir_server(std::string text) {
  const std::string key = "\"fhirServer\": \"https://fhir.example.org/r4\",";
  const auto at = text.find(key);
  BOOST_REQUIRE(at != std::string::npos);
  text.erase(at, key.size());
  BOOST_REQUIRE(text.find("fhirAuthorization") == std::string::npos);
  return text;
}

struct TempDir {
  std::string path;
  TempDir() {
    std::string tmpl = (fs::temp_directory_path() / "nmo-quiet-XXXXXX").string();
    BOOST_REQUIRE(::mkdtemp(tmpl.data()) != nullptr);
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path, ec);
  }
};

// One replica: a runtime whose quiet book reads `quiet`, and the feedback store its feedback route writes.
struct Replica {
  Runtime runtime;
  std::shared_ptr<feedback::FeedbackStore> feedback;
  Replica(std::shared_ptr<feedback::FeedbackStore> feedback_store, std::shared_ptr<feedback::QuietStore> quiet,
          std::chrono::milliseconds refresh = std::chrono::milliseconds(5000))
      : feedback(std::move(feedback_store)) {
    runtime.knowledge = knowledge();
    feedback::QuietSettings settings;
    settings.refresh = refresh;
    settings.key = "a shared secret of every replica";
    runtime.quiet = std::make_shared<feedback::QuietBook>(std::move(quiet), runtime.knowledge, settings);
  }
  HookOutcome call(const std::string& service, const std::string& body, std::int64_t now = kNow,
                   const std::string& caller = "unsigned") {
    auto outcome = call_hook(*find_service(service), body, runtime, now, caller);
    BOOST_REQUIRE_MESSAGE(outcome.ok(), (outcome.ok() ? std::string() : outcome.problem().message));
    return *outcome;
  }
  // Feedback as the route stores it: the rule from the card uuid.
  void override_card(const std::string& card_uuid, const std::string& rule, const std::string& code,
                     const std::string& outcome = "overridden") {
    feedback::FeedbackRecord r;
    r.service_id = "nmosd-patient-view";
    r.rule = rule;
    r.entry.card = card_uuid;
    r.entry.outcome = outcome;
    if (outcome == "accepted") r.entry.accepted_suggestions = {"s-1"};
    if (!code.empty()) r.entry.override_system = runtime.knowledge->override_system();
    r.entry.override_code = code;
    r.entry.outcome_timestamp = "2026-11-24T09:30:00Z";
    r.received_at = "2026-11-24T09:30:01Z";
    feedback->put({r});
  }
};

// The uuid of the card of `rule` in a response body.
std::string uuid_of(const HookOutcome& outcome, const std::string& rule) {
  for (std::size_t i = 0; i < outcome.rules.size(); ++i) {
    if (outcome.rules[i] != rule) continue;
    std::size_t at = 0;
    for (std::size_t n = 0; n <= i; ++n) at = outcome.body.find("\"uuid\":\"", at) + 8;
    return outcome.body.substr(at, 36);
  }
  BOOST_FAIL("no card of " + rule);
  return {};
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : ",") + s;
  return out;
}

std::string metric_line(const std::string& name) {
  const std::string text = ops::metrics::render();
  const auto at = text.find("\n" + name + " ");
  return at == std::string::npos ? "" : text.substr(at + 1, text.find('\n', at + 1) - at - 1);
}

class FailingStore final : public feedback::QuietStore {
 public:
  void record(const std::vector<feedback::IssuedCard>&, const std::vector<feedback::WeekTally>&) override {
    throw feedback::FeedbackStoreError("down");
  }
  std::vector<feedback::WeekTally> tallies() override { throw feedback::FeedbackStoreError("down"); }
  std::vector<feedback::OverrideRow> overrides(std::int64_t) override { throw feedback::FeedbackStoreError("down"); }
  void prune(std::int64_t, std::int64_t) override { throw feedback::FeedbackStoreError("down"); }
  std::string describe() const override { return "failing"; }
};

// A store that fails with something other than FeedbackStoreError (a bad row, a bug, no memory).
class ThrowingStore final : public feedback::QuietStore {
 public:
  void record(const std::vector<feedback::IssuedCard>&, const std::vector<feedback::WeekTally>&) override {
    throw std::runtime_error("stoll");
  }
  std::vector<feedback::WeekTally> tallies() override { throw std::runtime_error("stoll"); }
  std::vector<feedback::OverrideRow> overrides(std::int64_t) override { throw std::runtime_error("stoll"); }
  void prune(std::int64_t, std::int64_t) override { throw std::runtime_error("stoll"); }
  std::string describe() const override { return "throwing"; }
};

// Counts what the book writes and how often it reads the overrides again.
class CountingStore final : public feedback::QuietStore {
 public:
  void record(const std::vector<feedback::IssuedCard>& cards, const std::vector<feedback::WeekTally>&) override {
    ++writes;
    if (down) throw feedback::FeedbackStoreError("down");
    recorded += cards.size();
  }
  std::vector<feedback::WeekTally> tallies() override { return {}; }
  std::vector<feedback::OverrideRow> overrides(std::int64_t) override {
    ++reads;
    return {};
  }
  void prune(std::int64_t, std::int64_t) override {}
  std::string describe() const override { return "counting"; }
  std::atomic<std::size_t> recorded{0}, reads{0}, writes{0};
  std::atomic<bool> down{false};
};

constexpr const char* kFirst = "11111111-1111-4111-8111-111111111111";
constexpr const char* kSecond = "22222222-2222-4222-8222-222222222222";
constexpr const char* kThird = "33333333-3333-4333-8333-333333333333";

}  // namespace

BOOST_AUTO_TEST_SUITE(quiet_call)

BOOST_AUTO_TEST_CASE(a_story_overridden_with_stable_remission_is_quiet_at_the_next_chart_opening) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db));
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));

  const HookOutcome first = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst));
  BOOST_REQUIRE(joined(first.rules) == "NMOSD-03");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));  // the issued card is written
  replica.override_card(uuid_of(first, "NMOSD-03"), "NMOSD-03", "stable-remission");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));  // and the override read back

  const HookOutcome again = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kSecond));
  BOOST_TEST(again.rules.empty());
  BOOST_TEST(joined(again.quieted) == "NMOSD-03");
  BOOST_TEST(again.body == R"({"cards":[]})");

  // 180 days later (stable-remission) it is back, and says it was overridden.
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow + 181 * kDay));
  const HookOutcome later = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kThird),
                                         kNow + 181 * kDay);
  BOOST_TEST(joined(later.rules) == "NMOSD-03");
  BOOST_TEST(later.body.find("Overridden on 2026-11-24: Stable remission on current therapy.") != std::string::npos);

  // The store holds a pseudonym, never the patient id.
  const std::string bytes = read(db) + read(db + "-wal");
  BOOST_TEST(bytes.find(replica.runtime.quiet->pseudonym("unsigned", "https://fhir.example.org/r4", "pat").value_or("none")) != std::string::npos);
  BOOST_TEST(bytes.find("fhir.example.org") == std::string::npos);
}

BOOST_AUTO_TEST_CASE(accepted_feedback_and_an_override_without_reason_quiet_nothing) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db));
  const HookOutcome first = replica.call("nmosd-patient-view", story("aqp4_positive_untreated", kFirst));
  BOOST_REQUIRE(joined(first.rules) == "NMOSD-02");
  const HookOutcome other = replica.call("nmosd-patient-view", story("aqp4_positive_untreated", kSecond));
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  replica.override_card(uuid_of(first, "NMOSD-02"), "NMOSD-02", "", "accepted");
  replica.override_card(uuid_of(other, "NMOSD-02"), "NMOSD-02", "");  // dismissed without a reason
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  const HookOutcome again = replica.call("nmosd-patient-view", story("aqp4_positive_untreated", kThird));
  BOOST_TEST(joined(again.rules) == "NMOSD-02");
  BOOST_TEST(again.quieted.empty());
}

BOOST_AUTO_TEST_CASE(a_critical_story_is_never_quiet) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db));
  const HookOutcome first = replica.call("nmosd-patient-view", story("pregnant_on_mycophenolate", kFirst));
  BOOST_REQUIRE(first.body.find("\"indicator\":\"critical\"") != std::string::npos);
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  for (const auto& rule : first.rules) replica.override_card(uuid_of(first, rule), rule, "specialist-directed");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  const HookOutcome again = replica.call("nmosd-patient-view", story("pregnant_on_mycophenolate", kSecond));
  BOOST_TEST(again.body.find("\"indicator\":\"critical\"") != std::string::npos);
  BOOST_TEST(again.body.find("critical cards are never quieted") != std::string::npos);
  for (const auto& rule : again.quieted) BOOST_TEST(rule != "NMOSD-14");
}

BOOST_AUTO_TEST_CASE(a_store_that_cannot_be_read_shows_every_card_and_counts_it) {
  Replica replica(nullptr, std::make_shared<FailingStore>());
  BOOST_TEST(!replica.runtime.quiet->sync(kNow));
  const std::string before = metric_line("nmo_quiet_fail_open_total");
  const HookOutcome outcome = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst));
  BOOST_TEST(joined(outcome.rules) == "NMOSD-03");
  const std::string after = metric_line("nmo_quiet_fail_open_total");
  BOOST_TEST_MESSAGE(before << " → " << after);
  BOOST_TEST(before != after);
  BOOST_TEST(metric_line("nmo_quiet_store_up") == "nmo_quiet_store_up 0");
  BOOST_TEST(ops::metrics::render().find("nmo_quiet_store_errors_total{op=\"reload\"}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_store_throwing_any_exception_fails_open_instead_of_stopping_the_service) {
  Replica replica(nullptr, std::make_shared<ThrowingStore>());
  BOOST_TEST(!replica.runtime.quiet->sync(kNow));
  BOOST_TEST(joined(replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst)).rules) ==
             "NMOSD-03");
  BOOST_TEST(metric_line("nmo_quiet_store_up") == "nmo_quiet_store_up 0");
  replica.runtime.quiet->start();  // the thread survives a sync that throws
  replica.runtime.quiet->poke();
}

BOOST_AUTO_TEST_CASE(overrides_not_read_again_for_three_refresh_intervals_are_not_used) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db), std::chrono::milliseconds(10000));
  const HookOutcome first = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst));
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  replica.override_card(uuid_of(first, "NMOSD-03"), "NMOSD-03", "stable-remission");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  BOOST_TEST(joined(replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kSecond), kNow + 30)
                        .quieted) == "NMOSD-03");
  const std::string before = metric_line("nmo_quiet_fail_open_total");
  const HookOutcome stale =
      replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kThird), kNow + 31);
  BOOST_TEST(joined(stale.rules) == "NMOSD-03");  // the last good read is older than 3 x 10 s: every card shown
  BOOST_TEST(metric_line("nmo_quiet_fail_open_total") != before);
}

BOOST_AUTO_TEST_CASE(two_replicas_share_one_postgres_store) {
  nmo::test::PostgresServer* pg = nmo::test::shared_postgres();
  if (pg == nullptr) {
    BOOST_TEST_MESSAGE("SKIPPED: PostgreSQL server binaries not installed; set CI=true to make this a failure");
    return;
  }
  const std::string url = pg->create_database("quiet_replicas");
  Replica a(feedback::open_postgres_feedback_store(url), feedback::open_postgres_quiet_store(url));
  Replica b(feedback::open_postgres_feedback_store(url), feedback::open_postgres_quiet_store(url));

  // Replica A shows the card; the clinician's feedback lands on replica B.
  const HookOutcome first = a.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst));
  BOOST_REQUIRE(joined(first.rules) == "NMOSD-03");
  BOOST_REQUIRE(a.runtime.quiet->sync(kNow));
  b.override_card(uuid_of(first, "NMOSD-03"), "NMOSD-03", "stable-remission");

  // Both replicas read it back: the next chart opening is quiet whichever replica answers.
  BOOST_REQUIRE(a.runtime.quiet->sync(kNow));
  BOOST_REQUIRE(b.runtime.quiet->sync(kNow));
  BOOST_TEST(a.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kSecond)).rules.empty());
  BOOST_TEST(b.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kThird)).rules.empty());
  BOOST_TEST(pg->psql("quiet_replicas", "SELECT count(*) FROM nmo_issued_cards WHERE patient LIKE 'q-%'")
                 .find('1') != std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_postgres_store_down_at_start_fails_open_without_the_password) {
  Replica replica(nullptr,
                  feedback::open_postgres_quiet_store("postgresql://nmo:s3cret@127.0.0.1:1/nmo?connect_timeout=5"));
  BOOST_TEST(!replica.runtime.quiet->sync(kNow));
  BOOST_TEST(joined(replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst)).rules) ==
             "NMOSD-03");
}

BOOST_AUTO_TEST_CASE(a_postgres_store_that_accepts_and_never_answers_fails_instead_of_hanging) {
  // A listening socket on 127.0.0.1 that never answers the startup packet: without connect_timeout, libpq waits
  // for ever (and the book's thread with it).
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  BOOST_REQUIRE(fd >= 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  BOOST_REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  BOOST_REQUIRE(::listen(fd, 4) == 0);
  socklen_t len = sizeof addr;
  BOOST_REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
  const std::string url = "postgresql://nmo@127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/nmo";
  Replica replica(nullptr, feedback::open_postgres_quiet_store(url));
  BOOST_TEST(!replica.runtime.quiet->sync(kNow));
  ::close(fd);
}

// Issue 14: under load the queue of issued cards grew for a whole refresh interval (5 s: 30-70 MB at 14,000 calls
// a second, the service's peak RSS above 64 MB). A full batch is written at once, without reading the overrides.
BOOST_AUTO_TEST_CASE(a_full_batch_of_issued_cards_is_written_before_the_refresh_interval) {
  auto store = std::make_shared<CountingStore>();
  feedback::QuietSettings settings;
  settings.refresh = std::chrono::hours(1);
  settings.write_batch = 10;
  feedback::QuietBook book(store, knowledge(), settings);
  book.start();
  std::vector<feedback::IssuedCard> cards(9);
  book.issued(cards, {}, kNow);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  BOOST_TEST(store->recorded.load() == 0u);  // not yet a batch: it waits for the refresh
  book.issued(std::vector<feedback::IssuedCard>(1), {}, kNow);
  for (int i = 0; i < 100 && store->recorded.load() < 10; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  BOOST_TEST(store->recorded.load() == 10u);
  BOOST_TEST(store->reads.load() == 0u);  // writing a batch does not read the overrides again
}

BOOST_AUTO_TEST_CASE(a_store_that_is_down_is_not_written_again_for_every_full_batch) {
  auto store = std::make_shared<CountingStore>();
  store->down = true;
  feedback::QuietSettings settings;
  settings.refresh = std::chrono::hours(1);
  settings.write_batch = 10;
  feedback::QuietBook book(store, knowledge(), settings);
  book.start();
  book.issued(std::vector<feedback::IssuedCard>(10), {}, kNow);
  for (int i = 0; i < 100 && store->writes.load() < 1; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  for (int i = 0; i < 50; ++i) book.issued(std::vector<feedback::IssuedCard>(10), {}, kNow);  // still a full batch
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  BOOST_TEST(store->writes.load() == 1u);  // the cards wait for the next refresh; nothing is lost but the overflow
}

BOOST_AUTO_TEST_CASE(pseudonyms_depend_on_the_key_the_caller_and_the_fhir_server) {
  feedback::QuietSettings one, two;
  one.key = "key one";
  two.key = "key two";
  feedback::QuietBook a(std::make_shared<FailingStore>(), knowledge(), one);
  feedback::QuietBook same(std::make_shared<FailingStore>(), knowledge(), one);
  feedback::QuietBook other(std::make_shared<FailingStore>(), knowledge(), two);
  const std::string iss = "https://ehr.example/issuer";
  const std::string p = a.pseudonym(iss, "https://ehr.example/fhir", "pat").value_or("");
  BOOST_TEST(p.size() == 34u);
  BOOST_TEST(p.find("pat") == std::string::npos);
  BOOST_TEST(same.pseudonym(iss, "https://ehr.example/fhir", "pat").value_or("none") == p);
  BOOST_TEST(other.pseudonym(iss, "https://ehr.example/fhir", "pat").value_or("none") != p);
  BOOST_TEST(a.pseudonym(iss, "https://other.example/fhir", "pat").value_or("none") != p);
  BOOST_TEST(a.pseudonym("https://other.example/issuer", "https://ehr.example/fhir", "pat").value_or("none") != p);
  BOOST_TEST(a.pseudonym("unsigned", "https://ehr.example/fhir", "pat").value_or("none") != p);
}

// Review of issue 14: the pseudonyms stored in existing feedback databases stay valid: HMAC-SHA-256 under the
// book's key of "len:caller" "len:fhirServer" "len:patient", its first 16 bytes in hex (expected values from
// Python's hmac module), whichever book a thread used before and on any thread.
BOOST_AUTO_TEST_CASE(pseudonyms_are_the_hmac_sha256_of_the_fields_under_the_books_key) {
  feedback::QuietSettings one, two, long_key;
  one.key = "key one";
  two.key = "key two";
  long_key.key = std::string(100, 'k');  // longer than SHA-256's block: hashed first
  feedback::QuietBook a(std::make_shared<FailingStore>(), knowledge(), one);
  feedback::QuietBook b(std::make_shared<FailingStore>(), knowledge(), two);
  feedback::QuietBook c(std::make_shared<FailingStore>(), knowledge(), long_key);
  const std::string iss = "https://ehr.example/issuer", fhir = "https://ehr.example/fhir";
  const std::string pa = "q-b7d122e4a7cd1e110915f87c20b86dbf", pb = "q-58aec7c576cac8baa077cc25d233a24b";
  for (int i = 0; i < 2; ++i) {  // each book's key again after another book's on this thread
    BOOST_TEST(a.pseudonym(iss, fhir, "pat").value_or("none") == pa);
    BOOST_TEST(b.pseudonym(iss, fhir, "pat").value_or("none") == pb);
  }
  BOOST_TEST(c.pseudonym("unsigned", fhir, "pat-\xc3\xa9").value_or("none") == "q-430f48f6b53de3fd0f3ff9ec823d5459");
  std::string on_other_thread;
  std::thread([&] { on_other_thread = b.pseudonym(iss, fhir, "pat").value_or("none"); }).join();
  BOOST_TEST(on_other_thread == pb);
}

BOOST_AUTO_TEST_CASE(the_fields_of_a_pseudonym_cannot_run_into_each_other) {
  feedback::QuietSettings s;
  s.key = "key";
  feedback::QuietBook book(std::make_shared<FailingStore>(), knowledge(), s);
  const auto p = [&](std::string_view caller, std::string_view server, std::string_view id) {
    return book.pseudonym(caller, server, id).value_or("none");
  };
  BOOST_TEST(p("iss", "https://ehr/fhir|a", "b") != p("iss", "https://ehr/fhir", "a|b"));
  BOOST_TEST(p("iss|x", "y", "p") != p("iss", "x|y", "p"));
  BOOST_TEST(p("iss", "https://ehr/fhir|a", "b") != "none");
}

BOOST_AUTO_TEST_CASE(no_pseudonym_without_a_caller_a_fhir_server_or_a_patient) {
  feedback::QuietSettings s;
  s.key = "key";
  feedback::QuietBook book(std::make_shared<FailingStore>(), knowledge(), s);
  BOOST_TEST(!book.pseudonym("iss", "", "pat").has_value());
  BOOST_TEST(!book.pseudonym("", "https://ehr/fhir", "pat").has_value());
  BOOST_TEST(!book.pseudonym("iss", "https://ehr/fhir", "").has_value());
}

BOOST_AUTO_TEST_CASE(a_failed_hmac_gives_no_pseudonym_and_is_counted) {
  const std::string before = metric_line("nmo_quiet_pseudonym_errors_total");
  BOOST_TEST(!feedback::pseudonym_of_mac(nullptr, 32).has_value());
  unsigned char mac[32] = {0xab};
  BOOST_TEST(!feedback::pseudonym_of_mac(mac, 0).has_value());
  BOOST_TEST(!feedback::pseudonym_of_mac(mac, 20).has_value());
  BOOST_TEST(feedback::pseudonym_of_mac(mac, 32).value_or("") == "q-ab000000000000000000000000000000");
  BOOST_TEST(metric_line("nmo_quiet_pseudonym_errors_total") != before);
}

BOOST_AUTO_TEST_CASE(an_override_on_another_patients_chart_with_the_same_hook_instance_does_not_quiet_this_one) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db));
  const std::string a_story = story("aqp4_positive_on_azathioprine", kFirst);
  const std::string b_story = for_patient(a_story, "pat-b");  // a client reusing the hookInstance
  BOOST_REQUIRE(b_story.find("Patient/pat-b") != std::string::npos);

  const HookOutcome a = replica.call("nmosd-patient-view", a_story);
  const HookOutcome b = replica.call("nmosd-patient-view", b_story);
  BOOST_REQUIRE(joined(a.rules) == "NMOSD-03");
  BOOST_REQUIRE(joined(b.rules) == "NMOSD-03");
  BOOST_TEST(uuid_of(a, "NMOSD-03") != uuid_of(b, "NMOSD-03"));
  BOOST_TEST(uuid_of(replica.call("nmosd-patient-view", a_story), "NMOSD-03") == uuid_of(a, "NMOSD-03"));  // stable
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  replica.override_card(uuid_of(b, "NMOSD-03"), "NMOSD-03", "stable-remission");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));

  const HookOutcome a_again = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kSecond));
  BOOST_TEST(joined(a_again.rules) == "NMOSD-03");
  BOOST_TEST(a_again.quieted.empty());
  const HookOutcome b_again =
      replica.call("nmosd-patient-view", for_patient(story("aqp4_positive_on_azathioprine", kSecond), "pat-b"));
  BOOST_TEST(joined(b_again.quieted) == "NMOSD-03");  // the override still quiets the chart it was made on
}

BOOST_AUTO_TEST_CASE(an_override_made_through_one_issuer_does_not_quiet_the_same_patient_id_of_another) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db));
  const HookOutcome first = replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kFirst), kNow,
                                         "https://ehr-one.example");
  BOOST_REQUIRE(joined(first.rules) == "NMOSD-03");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  replica.override_card(uuid_of(first, "NMOSD-03"), "NMOSD-03", "stable-remission");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  BOOST_TEST(replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kSecond), kNow,
                          "https://ehr-two.example")
                 .quieted.empty());
  BOOST_TEST(joined(replica.call("nmosd-patient-view", story("aqp4_positive_on_azathioprine", kThird), kNow,
                                 "https://ehr-one.example")
                        .quieted) == "NMOSD-03");
}

BOOST_AUTO_TEST_CASE(a_call_without_fhir_server_is_neither_recorded_nor_quieted) {
  TempDir dir;
  const std::string db = dir.path + "/feedback.db";
  std::shared_ptr<feedback::FeedbackStore> store = feedback::open_sqlite_feedback_store(db);
  Replica replica(store, feedback::open_sqlite_quiet_store(db));
  const HookOutcome first =
      replica.call("nmosd-patient-view", without_fhir_server(story("aqp4_positive_on_azathioprine", kFirst)));
  BOOST_REQUIRE(joined(first.rules) == "NMOSD-03");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  replica.override_card(uuid_of(first, "NMOSD-03"), "NMOSD-03", "stable-remission");
  BOOST_REQUIRE(replica.runtime.quiet->sync(kNow));
  const HookOutcome again =
      replica.call("nmosd-patient-view", without_fhir_server(story("aqp4_positive_on_azathioprine", kSecond)));
  BOOST_TEST(joined(again.rules) == "NMOSD-03");
  BOOST_TEST(again.quieted.empty());
  BOOST_TEST(feedback::open_sqlite_quiet_store(db)->overrides(0).empty());  // its card was never recorded
}

BOOST_AUTO_TEST_SUITE_END()
