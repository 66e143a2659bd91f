#include "tests/http/http_checks.hpp"

#include <rapidjson/error/en.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <algorithm>
#include <boost/test/unit_test.hpp>
#include <cctype>
#include <fstream>
#include <sstream>

namespace nmo::test {

rapidjson::Document parse_json(std::string_view text) {
  rapidjson::Document doc;
  doc.Parse<rapidjson::kParseIterativeFlag>(text.data(), text.size());
  BOOST_REQUIRE_MESSAGE(!doc.HasParseError(), "not JSON (" << rapidjson::GetParseError_En(doc.GetParseError()) << " at "
                                                           << doc.GetErrorOffset() << "): " << text.substr(0, 400));
  return doc;
}

std::string to_json(const rapidjson::Value& value) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  value.Accept(writer);
  return {buffer.GetString(), buffer.GetSize()};
}

std::string read_fixture(std::string_view relative) {
  const std::string path = std::string(NMO_FIXTURES_DIR) + "/" + std::string(relative);
  std::ifstream in(path, std::ios::binary);
  BOOST_REQUIRE_MESSAGE(in, "cannot read fixture " << path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

std::string edit_json(std::string_view json, const std::function<void(rapidjson::Document&)>& edit) {
  rapidjson::Document doc = parse_json(json);
  edit(doc);
  return to_json(doc);
}

void check_no_internals(const HttpResponse& response) {
  std::string body = response.body;
  std::transform(body.begin(), body.end(), body.begin(), [](unsigned char c) { return std::tolower(c); });
  for (const char* leak : {"what()", "std::", "boost", "rapidjson", "beast", "cpprest", "asio", ".cpp", ".hpp",
                           "exception", "/work/", "/usr/"}) {
    BOOST_CHECK_MESSAGE(body.find(leak) == std::string::npos,
                        "error body leaks internal detail \"" << leak << "\": " << response.body);
  }
}

void check_operation_outcome(const HttpResponse& response, int status, std::string_view path) {
  BOOST_TEST_CONTEXT("response " << response.status << " " << response.body.substr(0, 600)) {
    BOOST_CHECK_EQUAL(response.status, status);
    BOOST_CHECK_MESSAGE(response.header("content-type").find("json") != std::string::npos,
                        "Content-Type is not JSON: \"" << response.header("content-type") << "\"");
    check_no_internals(response);
    rapidjson::Document doc = parse_json(response.body);
    BOOST_REQUIRE(doc.IsObject());
    BOOST_REQUIRE(doc.HasMember("resourceType") && doc["resourceType"].IsString());
    BOOST_CHECK_EQUAL(std::string(doc["resourceType"].GetString()), "OperationOutcome");
    BOOST_REQUIRE(doc.HasMember("issue") && doc["issue"].IsArray() && !doc["issue"].Empty());
    const auto& issue = doc["issue"][0];
    BOOST_REQUIRE(issue.IsObject());
    BOOST_CHECK(issue.HasMember("severity") && issue["severity"].IsString() &&
                std::string_view(issue["severity"].GetString()) == "error");
    BOOST_CHECK(issue.HasMember("code") && issue["code"].IsString() && issue["code"].GetStringLength() > 0);
    BOOST_CHECK(issue.HasMember("diagnostics") && issue["diagnostics"].IsString() &&
                issue["diagnostics"].GetStringLength() > 0);
    if (!path.empty()) {
      bool named = false;
      if (issue.HasMember("expression") && issue["expression"].IsArray()) {
        for (const auto& e : issue["expression"].GetArray()) {
          named = named || (e.IsString() && std::string_view(e.GetString(), e.GetStringLength()) == path);
        }
      }
      BOOST_CHECK_MESSAGE(named, "issue.expression does not name \"" << path << "\"");
    }
  }
}

void check_cards_response(const HttpResponse& response) {
  BOOST_TEST_CONTEXT("response " << response.status << " " << response.body.substr(0, 600)) {
    BOOST_REQUIRE_EQUAL(response.status, 200);
    BOOST_CHECK(response.header("content-type").find("application/json") != std::string::npos);
    rapidjson::Document doc = parse_json(response.body);
    BOOST_REQUIRE(doc.IsObject());
    BOOST_REQUIRE(doc.HasMember("cards") && doc["cards"].IsArray());
    for (const auto& card : doc["cards"].GetArray()) {
      BOOST_TEST_CONTEXT("card " << to_json(card)) {
        BOOST_REQUIRE(card.IsObject());
        BOOST_CHECK(card.HasMember("uuid") && card["uuid"].IsString());
        BOOST_CHECK(card.HasMember("summary") && card["summary"].IsString() && card["summary"].GetStringLength() > 0 &&
                    card["summary"].GetStringLength() < 140);
        BOOST_CHECK(card.HasMember("indicator") && card["indicator"].IsString());
        if (card.HasMember("indicator") && card["indicator"].IsString()) {
          const std::string_view indicator = card["indicator"].GetString();
          BOOST_CHECK(indicator == "info" || indicator == "warning" || indicator == "critical");
        }
        BOOST_CHECK(card.HasMember("source") && card["source"].IsObject() && card["source"].HasMember("label"));
        if (card.HasMember("suggestions")) BOOST_CHECK(card.HasMember("selectionBehavior"));
      }
    }
  }
}

}  // namespace nmo::test
