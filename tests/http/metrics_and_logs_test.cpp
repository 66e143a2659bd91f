// Issue 6: GET /metrics in the Prometheus text format (0.0.4), checked by a strict parser here and by promtool
// when installed; one JSON log line per request with its stage timings, never a token or a patient identifier.
#include <sys/wait.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <regex>
#include <set>
#include <sstream>

#include <boost/test/unit_test.hpp>

#include "tests/http/http_checks.hpp"
#include "tests/http/server_process.hpp"

using namespace nmo::test;

namespace {

struct Sample {
  std::string name;
  std::map<std::string, std::string> labels;
  double value = 0;
};

struct Exposition {
  std::map<std::string, std::string> types;  // family → counter | gauge | histogram | summary | untyped
  std::vector<Sample> samples;
  double value(const std::string& name, const std::map<std::string, std::string>& labels) const {
    for (const auto& s : samples) {
      if (s.name == name && s.labels == labels) return s.value;
    }
    return -1;
  }
};

double parse_value(const std::string& text) {
  if (text == "+Inf") return INFINITY;
  if (text == "-Inf") return -INFINITY;
  if (text == "NaN") return NAN;
  std::size_t used = 0;
  const double v = std::stod(text, &used);
  BOOST_REQUIRE_MESSAGE(used == text.size(), "bad sample value: " << text);
  return v;
}

std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string s = suffix;
    if (name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0) {
      const std::string base = name.substr(0, name.size() - s.size());
      if (types.count(base) && types.at(base) == "histogram") return base;
    }
  }
  return name;
}

// The text exposition format, strictly: every line is a HELP, a TYPE or a sample; metric and label names match
// the format's grammar; label values use only the \\, \" and \n escapes; a family's TYPE comes once, before its
// samples, which are contiguous; no series repeats; histograms have ascending le buckets ending in +Inf,
// cumulative counts, and _count equal to the +Inf bucket; counters are non-negative.
Exposition parse_exposition(const std::string& text) {
  BOOST_REQUIRE_MESSAGE(!text.empty() && text.back() == '\n', "the exposition must end with a line feed");
  static const std::regex name_re("[a-zA-Z_:][a-zA-Z0-9_:]*");
  static const std::regex label_name_re("[a-zA-Z_][a-zA-Z0-9_]*");
  Exposition out;
  std::set<std::string> finished, seen_series, helped;
  std::string current;
  std::istringstream in(text);
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    BOOST_REQUIRE_MESSAGE(!line.empty(), "line " << line_no << " is empty");
    if (line[0] == '#') {
      std::istringstream ls(line);
      std::string hash, kind, name;
      ls >> hash >> kind >> name;
      BOOST_REQUIRE_MESSAGE(hash == "#" && (kind == "HELP" || kind == "TYPE"), "line " << line_no << ": " << line);
      BOOST_REQUIRE_MESSAGE(std::regex_match(name, name_re), "line " << line_no << ": bad name " << name);
      if (kind == "TYPE") {
        std::string type, rest;
        ls >> type;
        BOOST_REQUIRE_MESSAGE(!(ls >> rest), "line " << line_no << ": trailing text");
        BOOST_REQUIRE_MESSAGE(type == "counter" || type == "gauge" || type == "histogram" || type == "summary" ||
                                  type == "untyped",
                              "line " << line_no << ": bad type " << type);
        BOOST_REQUIRE_MESSAGE(!out.types.count(name), "line " << line_no << ": second TYPE for " << name);
        BOOST_REQUIRE_MESSAGE(!finished.count(name), "line " << line_no << ": TYPE after samples of " << name);
        out.types[name] = type;
      } else {
        BOOST_REQUIRE_MESSAGE(helped.insert(name).second, "line " << line_no << ": second HELP for " << name);
      }
      continue;
    }
    // name{label="value",...} value
    std::size_t pos = 0;
    while (pos < line.size() && line[pos] != '{' && line[pos] != ' ') ++pos;
    Sample s;
    s.name = line.substr(0, pos);
    BOOST_REQUIRE_MESSAGE(std::regex_match(s.name, name_re), "line " << line_no << ": bad name " << s.name);
    if (pos < line.size() && line[pos] == '{') {
      ++pos;
      while (pos < line.size() && line[pos] != '}') {
        std::size_t eq = line.find('=', pos);
        BOOST_REQUIRE_MESSAGE(eq != std::string::npos, "line " << line_no << ": label without =");
        const std::string lname = line.substr(pos, eq - pos);
        BOOST_REQUIRE_MESSAGE(std::regex_match(lname, label_name_re), "line " << line_no << ": label " << lname);
        BOOST_REQUIRE_MESSAGE(eq + 1 < line.size() && line[eq + 1] == '"', "line " << line_no << ": unquoted");
        std::string value;
        std::size_t i = eq + 2;
        for (; i < line.size() && line[i] != '"'; ++i) {
          if (line[i] == '\\') {
            BOOST_REQUIRE_MESSAGE(i + 1 < line.size(), "line " << line_no << ": dangling escape");
            const char e = line[++i];
            BOOST_REQUIRE_MESSAGE(e == '\\' || e == '"' || e == 'n', "line " << line_no << ": escape \\" << e);
            value += e == 'n' ? '\n' : e;
          } else {
            value += line[i];
          }
        }
        BOOST_REQUIRE_MESSAGE(i < line.size(), "line " << line_no << ": unterminated label value");
        BOOST_REQUIRE_MESSAGE(s.labels.emplace(lname, value).second, "line " << line_no << ": repeated label");
        pos = i + 1;
        if (pos < line.size() && line[pos] == ',') ++pos;
      }
      BOOST_REQUIRE_MESSAGE(pos < line.size(), "line " << line_no << ": unterminated label set");
      ++pos;
    }
    BOOST_REQUIRE_MESSAGE(pos < line.size() && line[pos] == ' ', "line " << line_no << ": no value");
    const std::string rest = line.substr(pos + 1);
    const std::string value_text = rest.substr(0, rest.find(' '));
    s.value = parse_value(value_text);
    if (rest.find(' ') != std::string::npos) {  // an optional timestamp: an integer
      const std::string ts = rest.substr(rest.find(' ') + 1);
      BOOST_REQUIRE_MESSAGE(std::regex_match(ts, std::regex("-?[0-9]+")), "line " << line_no << ": timestamp");
    }
    const std::string family = family_of(s.name, out.types);
    if (family != current) {
      BOOST_REQUIRE_MESSAGE(!finished.count(family), "line " << line_no << ": samples of " << family << " split");
      if (!current.empty()) finished.insert(current);
      current = family;
    }
    BOOST_REQUIRE_MESSAGE(out.types.count(family), "line " << line_no << ": sample before TYPE of " << family);
    std::string series = s.name;
    for (const auto& [k, v] : s.labels) series += "|" + k + "=" + v;
    BOOST_REQUIRE_MESSAGE(seen_series.insert(series).second, "line " << line_no << ": repeated series");
    if (out.types[family] == "counter") BOOST_REQUIRE_MESSAGE(s.value >= 0, "line " << line_no << ": negative");
    out.samples.push_back(std::move(s));
  }
  // Histograms.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    for (const auto& s : out.samples) {
      if (s.name != family + "_bucket") continue;
      BOOST_REQUIRE_MESSAGE(s.labels.count("le"), family << ": bucket without le");
      auto labels = s.labels;
      labels.erase("le");
      buckets[labels].emplace_back(parse_value(s.labels.at("le")), s.value);
    }
    for (const auto& [labels, list] : buckets) {
      BOOST_REQUIRE_MESSAGE(!list.empty() && std::isinf(list.back().first), family << ": no +Inf bucket");
      for (std::size_t i = 1; i < list.size(); ++i) {
        BOOST_REQUIRE_MESSAGE(list[i].first > list[i - 1].first, family << ": le not ascending");
        BOOST_REQUIRE_MESSAGE(list[i].second >= list[i - 1].second, family << ": buckets not cumulative");
      }
      BOOST_REQUIRE_MESSAGE(out.value(family + "_count", labels) == list.back().second,
                            family << ": _count differs from the +Inf bucket");
      BOOST_REQUIRE_MESSAGE(out.value(family + "_sum", labels) >= 0, family << ": no _sum");
    }
  }
  return out;
}

std::string promtool() {
  for (const char* p : {"/usr/bin/promtool", "/usr/local/bin/promtool"}) {
    if (std::filesystem::exists(p)) return p;
  }
  return {};
}

// Issues one card, posts feedback for it, and reads discovery: something in every family fed by this branch.
void exercise(const ServerProcess& server, const std::string& story_edit_patient = {}) {
  std::string story = read_fixture("stories/aqp4_positive_azathioprine_drafted.json");
  if (!story_edit_patient.empty()) {
    // The whole story moves to the other patient: its resources and draft orders must name it (issue 10).
    for (std::size_t at; (at = story.find("\"Patient/pat\"")) != std::string::npos;) {
      story.replace(at, 13, "\"Patient/" + story_edit_patient + "\"");
    }
    story = edit_json(story, [&](rapidjson::Document& d) {
      auto& a = d.GetAllocator();
      d["context"]["patientId"].SetString(story_edit_patient.c_str(), a);
      d["prefetch"]["patient"]["id"].SetString(story_edit_patient.c_str(), a);
      d.RemoveMember("fhirServer");
      d.RemoveMember("fhirAuthorization");
      d.AddMember("fhirServer", "https://ehr.example.org/fhir", a);
      rapidjson::Value auth(rapidjson::kObjectType);
      auth.AddMember("access_token", "secret-access-token-0815", a);
      auth.AddMember("token_type", "Bearer", a);
      auth.AddMember("expires_in", 300, a);
      auth.AddMember("scope", "patient/*.read", a);
      auth.AddMember("subject", "nmo-cds", a);
      d.AddMember("fhirAuthorization", auth, a);
    });
  }
  const auto call = exchange(server.port(), post_json("/cds-services/nmosd-order-select", story));
  BOOST_REQUIRE_EQUAL(call.status, 200);
  const std::string card = parse_json(call.body)["cards"][0]["uuid"].GetString();
  const auto fb = exchange(server.port(), post_json("/cds-services/nmosd-order-select/feedback",
                                                    R"({"feedback":[{"card":")" + card + R"(","outcome":"accepted",
      "acceptedSuggestions":[{"id":"x"}],"outcomeTimestamp":"2026-11-24T10:00:00Z"}]})"));
  BOOST_REQUIRE_EQUAL(fb.status, 200);
  BOOST_REQUIRE_EQUAL(exchange(server.port(), get("/cds-services")).status, 200);
}

}  // namespace

BOOST_AUTO_TEST_SUITE(metrics_and_logs)

BOOST_AUTO_TEST_CASE(metrics_are_valid_prometheus_text_with_every_family) {
  ServerProcess server;
  exercise(server);
  const auto response = exchange(server.admin_port(), get("/metrics"));
  BOOST_REQUIRE_EQUAL(response.status, 200);
  BOOST_TEST(response.header("content-type").rfind("text/plain; version=0.0.4", 0) == 0);
  const Exposition e = parse_exposition(response.body);

  BOOST_TEST(e.types.at("nmo_http_requests_total") == "counter");
  BOOST_TEST(e.value("nmo_http_requests_total", {{"service", "nmosd-order-select"}, {"status", "200"}}) == 2);
  BOOST_TEST(e.value("nmo_http_requests_total", {{"service", "discovery"}, {"status", "200"}}) == 1);
  BOOST_TEST(e.types.at("nmo_http_request_duration_seconds") == "histogram");
  BOOST_TEST(e.value("nmo_http_request_duration_seconds_count", {{"service", "nmosd-order-select"}}) == 2);
  for (const char* stage : {"parse", "gather", "evaluate", "write"}) {
    BOOST_TEST(e.value("nmo_stage_duration_seconds_count", {{"stage", stage}}) == 1, stage);
  }
  BOOST_TEST(e.types.at("nmo_fhir_fetch_duration_seconds") == "histogram");
  BOOST_TEST(e.value("nmo_cards_total", {{"rule", "NMOSD-03"}, {"indicator", "warning"}}) == 1);
  BOOST_TEST(e.value("nmo_feedback_total", {{"rule", "NMOSD-03"}, {"outcome", "accepted"}}) == 1);
  BOOST_TEST(e.types.at("nmo_auth_failures_total") == "counter");
  BOOST_TEST(e.value("nmo_metrics_dropped_total", {}) == 0);
  BOOST_TEST(e.types.at("nmo_auth_replay_cache_entries") == "gauge");

  const std::string tool = promtool();
  if (tool.empty()) {
    BOOST_TEST_MESSAGE("promtool not installed (Debian package prometheus): checked by the strict parser only");
    return;
  }
  TempDir dir;
  const std::string file = dir.write("metrics.txt", response.body);
  const std::string command = tool + " check metrics < " + file + " > " + dir.path() + "/promtool.out 2>&1";
  const int status = std::system(command.c_str());
  std::string out;
  if (FILE* f = std::fopen((dir.path() + "/promtool.out").c_str(), "r")) {
    char buf[4096];
    while (std::size_t n = std::fread(buf, 1, sizeof buf, f)) out.append(buf, n);
    std::fclose(f);
  }
  BOOST_TEST(WIFEXITED(status));
  BOOST_TEST(WEXITSTATUS(status) == 0, "promtool check metrics: " << out);
}

BOOST_AUTO_TEST_CASE(one_json_line_per_request_without_tokens_or_patient_identifiers) {
  std::string output;
  {
    ServerProcess server;
    exercise(server, "patient-unique-4711");
    exchange(server.admin_port(), get("/metrics"));
    server.send_signal(SIGTERM);
    BOOST_REQUIRE(server.wait_exit(std::chrono::seconds(15)).has_value());
    output = server.output();
  }
  BOOST_TEST(output.find("secret-access-token-0815") == std::string::npos);
  BOOST_TEST(output.find("patient-unique-4711") == std::string::npos);
  std::istringstream in(output);
  std::vector<std::string> events;
  int requests = 0;
  for (std::string line; std::getline(in, line);) {
    const auto doc = parse_json(line);  // every line is one JSON object
    BOOST_REQUIRE(doc.IsObject());
    BOOST_TEST(doc.HasMember("time"));
    BOOST_TEST(doc.HasMember("level"));
    events.push_back(doc["event"].GetString());
    if (events.back() != "request") continue;
    ++requests;
    BOOST_TEST(doc["status"].GetInt() == 200);
    if (std::string(doc["route"].GetString()) == "service") {
      BOOST_TEST(doc["service"].GetString() == std::string("nmosd-order-select"));
      BOOST_TEST(doc["hookInstance"].GetStringLength() == 36u);
      BOOST_TEST(doc["rules"].GetString() == std::string("NMOSD-03"));
      for (const char* stage : {"ms", "parse_ms", "gather_ms", "evaluate_ms", "write_ms"}) {
        BOOST_TEST((doc.HasMember(stage) && doc[stage].IsNumber() && doc[stage].GetDouble() >= 0), stage);
      }
      BOOST_TEST(std::regex_match(std::string(doc["patient"].GetString()), std::regex("p-[0-9a-f]{16}")));
    }
  }
  BOOST_TEST(requests == 3);  // service, feedback, discovery; /metrics is not logged
  // Start-up lines (a development-mode warning among them) come before "listening"; no request before it.
  const auto listening = std::find(events.begin(), events.end(), "listening");
  BOOST_TEST((listening != events.end()));
  BOOST_TEST((std::find(events.begin(), listening, "request") == listening));
  BOOST_TEST(events.back() == "stopped");
  BOOST_TEST((std::find(events.begin(), events.end(), "stopping") != events.end()));
}

BOOST_AUTO_TEST_SUITE_END()
