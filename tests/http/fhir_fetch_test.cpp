// Fetching prefetch data from the EHR's FHIR server (issue 3, "Done when"): the real nmo-cds binary against a
// real FHIR server implementation, @medplum/fhir-router over its in-memory repository (tests/fhir-server/,
// installed with `npm ci`), loaded with the R4 story patients and paging two entries at a time. A call with no
// prefetch at all, only fhirServer and a bearer token, must give the same cards as the call with full prefetch.
#include <boost/test/unit_test.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <iostream>
#include <stdexcept>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;
namespace fs = std::filesystem;

namespace {

constexpr const char* kToken = "fetch-test-token-4b9c1d";

// `node tests/fhir-server/server.js` as a child process on 127.0.0.1:0, stopped by pid.
class NodeFhirServer {
 public:
  NodeFhirServer() {
    const fs::path dir = fs::path(source_dir()) / "tests" / "fhir-server";
    if (!fs::exists(dir / "node_modules" / "@medplum" / "fhir-router")) {
      throw std::runtime_error("the test FHIR server is not installed: run `npm ci` in " + dir.string() +
                               " (scripts/test.sh does)");
    }
    const std::string stories = (fs::path(source_dir()) / "tests" / "fixtures" / "stories").string();
    int fds[2];
    if (pipe(fds) != 0) throw std::runtime_error("pipe failed");
    pid_ = fork();
    if (pid_ < 0) throw std::runtime_error("fork failed");
    if (pid_ == 0) {
      dup2(fds[1], STDOUT_FILENO);
      dup2(fds[1], STDERR_FILENO);
      close(fds[0]);
      close(fds[1]);
      if (chdir(dir.c_str()) != 0) _exit(127);
      execlp("node", "node", "server.js", "--stories", stories.c_str(), "--page-size", "2", "--token", kToken,
             static_cast<char*>(nullptr));
      _exit(127);
    }
    close(fds[1]);
    out_ = fds[0];
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (port_ == 0 && std::chrono::steady_clock::now() < until) {
      pollfd p{out_, POLLIN, 0};
      if (poll(&p, 1, 200) <= 0) continue;
      char buf[512];
      const ssize_t n = read(out_, buf, sizeof buf);
      if (n <= 0) break;
      output_.append(buf, static_cast<std::size_t>(n));
      const auto at = output_.find("listening ");
      if (at != std::string::npos && output_.find('\n', at) != std::string::npos) {
        port_ = std::stoi(output_.substr(at + 10));
      }
    }
    if (port_ == 0) {
      stop();
      throw std::runtime_error("the test FHIR server did not start: " + output_);
    }
  }
  ~NodeFhirServer() { stop(); }
  NodeFhirServer(const NodeFhirServer&) = delete;
  NodeFhirServer& operator=(const NodeFhirServer&) = delete;

  std::uint16_t port() const { return static_cast<std::uint16_t>(port_); }
  /// The base URL serving `story` (a file name in tests/fixtures/stories without .json).
  std::string base(const std::string& story) const {
    return "http://127.0.0.1:" + std::to_string(port_) + "/" + story;
  }

 private:
  void stop() {
    if (pid_ > 0) {
      kill(pid_, SIGTERM);
      int status = 0;
      for (int i = 0; i < 100 && waitpid(pid_, &status, WNOHANG) == 0; ++i) usleep(50000);
      if (waitpid(pid_, &status, WNOHANG) == 0) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
      }
      pid_ = -1;
    }
    if (out_ >= 0) close(out_);
    out_ = -1;
  }

  pid_t pid_ = -1;
  int out_ = -1;
  int port_ = 0;
  std::string output_;
};

// The R4 stories (their prefetch is the patient data the FHIR server holds), by file name without .json.
std::vector<std::string> r4_stories() {
  std::vector<std::string> names;
  for (const auto& e : fs::directory_iterator(fs::path(source_dir()) / "tests" / "fixtures" / "stories")) {
    if (e.path().extension() != ".json") continue;
    auto doc = parse_json(read_fixture("stories/" + e.path().filename().string()));
    if (!doc.HasMember("fhirServer")) continue;
    const std::string server = doc["fhirServer"].GetString();
    if (server.size() >= 3 && server.compare(server.size() - 3, 3, "/r4") == 0) names.push_back(e.path().stem());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string service_for(const std::string& hook) { return "/cds-services/nmosd-" + hook; }

// The story's request with no prefetch at all, only fhirServer and a bearer token.
std::string without_prefetch(const std::string& body, const std::string& fhir_server, const std::string& token) {
  return edit_json(body, [&](rapidjson::Document& doc) {
    auto& a = doc.GetAllocator();
    doc.RemoveMember("prefetch");
    doc.RemoveMember("fhirAuthorization");
    doc["fhirServer"].SetString(fhir_server.c_str(), static_cast<rapidjson::SizeType>(fhir_server.size()), a);
    rapidjson::Value auth(rapidjson::kObjectType);
    auth.AddMember("access_token", rapidjson::Value(token.c_str(), a), a);
    auth.AddMember("token_type", "Bearer", a);
    auth.AddMember("expires_in", 300, a);
    auth.AddMember("scope", "patient/*.read", a);
    auth.AddMember("subject", "nmo-cds", a);
    doc.AddMember("fhirAuthorization", auth, a);
  });
}

struct FetchServers {
  NodeFhirServer fhir;
  std::vector<std::string> stories = r4_stories();
  ServerProcess server{ServerConfig{}, {"NMO_FHIR_ALLOWED_SERVERS=" + allowed(), "NMO_LOG_LEVEL=debug",
                                        "NMO_FHIR_REQUEST_DEADLINE_MS=5000", "NMO_FHIR_CALL_TIMEOUT_MS=5000"}};

  std::string allowed() const {
    std::string list;
    for (const auto& s : stories) list += (list.empty() ? "" : ",") + fhir.base(s);
    return list;
  }
  std::string hook_of(const std::string& body) { return parse_json(body)["hook"].GetString(); }

  // The story's request without prefetch (fhirServer and token set), then every searchset key prefetched as
  // page 1 of that search on the test FHIR server (page size 2: with a `next` link whenever there is more), the
  // way a client that paginates prefetch sends it. `paged` collects the keys that came with a next link.
  std::string with_paged_prefetch(const std::string& story, std::vector<std::string>& paged) {
    const std::string body = read_fixture("stories/" + story + ".json");
    const std::string patient = parse_json(body)["context"]["patientId"].GetString();
    const auto discovery = parse_json(exchange(server.port(), get("/cds-services")).body);
    const std::string id = "nmosd-" + hook_of(body);
    std::vector<std::pair<std::string, std::string>> pages;  // key → page 1
    for (const auto& service : discovery["services"].GetArray()) {
      if (id != service["id"].GetString()) continue;
      for (const auto& m : service["prefetch"].GetObject()) {
        std::string query = m.value.GetString();
        if (query.rfind("Patient/", 0) == 0) continue;  // the patient read: not a search
        query.replace(query.find("{{context.patientId}}"), 21, patient);
        HttpRequest request = get("/" + story + "/" + query);
        request.headers.emplace_back("Authorization", std::string("Bearer ") + kToken);
        const auto page = exchange(fhir.port(), request);
        BOOST_REQUIRE_EQUAL(page.status, 200);
        if (page.body.find("\"relation\":\"next\"") != std::string::npos) paged.push_back(m.name.GetString());
        pages.emplace_back(m.name.GetString(), page.body);
      }
    }
    return edit_json(without_prefetch(body, fhir.base(story), kToken), [&](rapidjson::Document& doc) {
      auto& a = doc.GetAllocator();
      rapidjson::Value prefetch(rapidjson::kObjectType);
      for (const auto& [key, page] : pages) {
        rapidjson::Document d(&a);
        d.Parse(page.c_str(), page.size());
        prefetch.AddMember(rapidjson::Value(key.c_str(), a), rapidjson::Value(d, a), a);
      }
      doc.AddMember("prefetch", prefetch, a);
    });
  }
};

// The cards of a response with each card uuid cut to its rule number (its last 4 hex digits) and the suggestion
// uuids (seeded by the card's) left out: a card uuid is seeded by the patient pseudonym, which includes
// fhirServer, so the same chart from another FHIR server has other uuids (and the same cards otherwise).
rapidjson::Document cards_of(std::string_view body) {
  rapidjson::Document doc = parse_json(body);
  if (!doc.IsObject() || !doc.HasMember("cards") || !doc["cards"].IsArray()) return doc;
  for (auto& card : doc["cards"].GetArray()) {
    if (!card.IsObject() || !card.HasMember("uuid") || !card["uuid"].IsString()) continue;
    const std::string uuid = card["uuid"].GetString();
    const std::string rule = uuid.size() == 36 ? uuid.substr(32) : uuid;
    card["uuid"].SetString(rule.c_str(), static_cast<rapidjson::SizeType>(rule.size()), doc.GetAllocator());
    if (!card.HasMember("suggestions") || !card["suggestions"].IsArray()) continue;
    for (auto& s : card["suggestions"].GetArray()) {
      if (s.IsObject()) s.RemoveMember("uuid");
    }
  }
  return doc;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

BOOST_FIXTURE_TEST_SUITE(fhir_fetch, FetchServers)

BOOST_AUTO_TEST_CASE(every_story_without_prefetch_gives_the_same_cards_as_with_full_prefetch) {
  BOOST_REQUIRE(stories.size() >= 10u);
  for (const auto& story : stories) {
    BOOST_TEST_CONTEXT(story) {
      const std::string body = read_fixture("stories/" + story + ".json");
      const std::string target = service_for(hook_of(body));
      const auto prefetched = exchange(server.port(), post_json(target, body));
      const auto fetched = exchange(server.port(), post_json(target, without_prefetch(body, fhir.base(story), kToken)));
      check_cards_response(prefetched);
      check_cards_response(fetched);
      BOOST_CHECK(cards_of(fetched.body) == cards_of(prefetched.body));
    }
  }
  BOOST_TEST(server.output().find(kToken) == std::string::npos);
}

// Issue 10 item 4: page 1 of a paged prefetch is not the chart. Its next pages are fetched from fhirServer.
BOOST_AUTO_TEST_CASE(a_paged_prefetch_is_completed_from_fhir_server_with_the_same_cards_as_full_prefetch) {
  std::size_t paged_keys = 0;
  for (const auto& story : stories) {
    BOOST_TEST_CONTEXT(story) {
      const std::string body = read_fixture("stories/" + story + ".json");
      const std::string target = service_for(hook_of(body));
      std::vector<std::string> paged;
      const std::string paged_body = with_paged_prefetch(story, paged);
      paged_keys += paged.size();
      for (const auto& key : paged) BOOST_TEST_MESSAGE(story << ": " << key << " paged");
      const auto full = exchange(server.port(), post_json(target, body));
      const auto completed = exchange(server.port(), post_json(target, paged_body));
      check_cards_response(full);
      check_cards_response(completed);
      BOOST_CHECK(cards_of(completed.body) == cards_of(full.body));
    }
  }
  BOOST_TEST(paged_keys >= 2u);  // the test means something only if some prefetch really was paged
}

BOOST_AUTO_TEST_CASE(a_paged_prefetch_without_a_usable_fhir_server_is_412_naming_the_key) {
  const std::string story = "relapses_after_two_high_efficacy_agents";
  std::vector<std::string> paged;
  const std::string body = with_paged_prefetch(story, paged);
  BOOST_REQUIRE(!paged.empty());
  const std::string no_server = edit_json(body, [](rapidjson::Document& doc) {
    doc.RemoveMember("fhirServer");
    doc.RemoveMember("fhirAuthorization");
  });
  const std::string not_allowed = edit_json(body, [&](rapidjson::Document& doc) {
    const std::string other = fhir.base("not-allowed");
    doc["fhirServer"].SetString(other.c_str(), static_cast<rapidjson::SizeType>(other.size()), doc.GetAllocator());
  });
  for (const std::string& request : {no_server, not_allowed}) {
    const auto response = exchange(server.port(), post_json(service_for(hook_of(request)), request));
    check_operation_outcome(response, 412, "prefetch");
    for (const auto& key : paged) BOOST_TEST(response.body.find(key) != std::string::npos, key);
  }
}

BOOST_AUTO_TEST_CASE(a_token_the_fhir_server_rejects_gives_412_that_never_repeats_it) {
  const std::string story = "aqp4_positive_on_azathioprine";
  const std::string body = read_fixture("stories/" + story + ".json");
  const std::string wrong = "wrong-token-d41d8cd98f";
  const auto response =
      exchange(server.port(), post_json(service_for("patient-view"), without_prefetch(body, fhir.base(story), wrong)));
  check_operation_outcome(response, 412, "prefetch");
  BOOST_TEST(response.body.find("401") != std::string::npos);
  BOOST_TEST(response.body.find(wrong) == std::string::npos);
  BOOST_TEST(server.wait_for_output("\"status\":412"));  // its log line is written: now look for the token
  BOOST_TEST(server.output().find(wrong) == std::string::npos);
}

BOOST_AUTO_TEST_CASE(a_fhir_server_not_on_the_allowlist_gives_412_without_being_contacted) {
  const std::string body = read_fixture("stories/aqp4_positive_untreated.json");
  const auto response = exchange(server.port(), post_json(service_for("patient-view"),
                                                          without_prefetch(body, fhir.base("not-allowed"), kToken)));
  check_operation_outcome(response, 412, "prefetch");
  BOOST_TEST(response.body.find("allowlist") != std::string::npos);
}

// The extra latency of the fetch path, measured (no assertion on time): median of N calls each way, same run.
BOOST_AUTO_TEST_CASE(fetch_path_latency_is_measured_against_the_prefetch_path) {
  const std::string story = "relapses_after_two_high_efficacy_agents";  // 6 keys, 2 of them paged
  const std::string body = read_fixture("stories/" + story + ".json");
  const std::string bare = without_prefetch(body, fhir.base(story), kToken);
  const std::string target = service_for("patient-view");
  std::vector<double> with_prefetch, with_fetch;
  constexpr int kCalls = 30;
  for (int i = 0; i < kCalls + 3; ++i) {
    for (int which = 0; which < 2; ++which) {
      const auto start = std::chrono::steady_clock::now();
      const auto response = exchange(server.port(), post_json(target, which == 0 ? body : bare));
      const double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
      BOOST_REQUIRE_EQUAL(response.status, 200);
      if (i >= 3) (which == 0 ? with_prefetch : with_fetch).push_back(ms);  // 3 warm-up rounds
    }
  }
  const double a = median(with_prefetch), b = median(with_fetch);
  std::cout << "fhir_fetch latency (" << kCalls << " calls each, median): prefetch " << a << " ms, fetch " << b
            << " ms, extra " << (b - a) << " ms\n";
  BOOST_TEST_MESSAGE("fetch path extra latency (median): " << (b - a) << " ms");
}

BOOST_AUTO_TEST_SUITE_END()
