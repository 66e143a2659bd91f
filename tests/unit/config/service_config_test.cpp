#include "config/service_config.hpp"

#include <boost/test/unit_test.hpp>

using nmo::config::parse_config;

BOOST_AUTO_TEST_SUITE(service_config)

BOOST_AUTO_TEST_CASE(empty_text_gives_secure_local_defaults) {
  auto c = parse_config("");
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->listen_address == "127.0.0.1");
  BOOST_TEST(c->listen_port == 8080u);
  BOOST_TEST(c->limits.max_body_bytes == 8u * 1024 * 1024);
  BOOST_TEST(c->cors_allowed_origins.size() == 1u);
  BOOST_TEST(c->cors_allowed_origins[0] == "*");
}

BOOST_AUTO_TEST_CASE(nested_keys_are_read) {
  auto c = parse_config(R"({"listen":{"port":9090},"limits":{"max_body_bytes":65536},
                            "cors":{"allowed_origins":["https://sandbox.cds-hooks.org"]},"log_level":"debug"})");
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->listen_port == 9090u);
  BOOST_TEST(c->limits.max_body_bytes == 65536u);
  BOOST_TEST(c->cors_allowed_origins[0] == "https://sandbox.cds-hooks.org");
  BOOST_TEST(c->log_level == "debug");
}

BOOST_AUTO_TEST_CASE(unknown_key_is_an_error_naming_it) {
  auto c = parse_config(R"({"limits":{"max_bodybytes":1}})");
  BOOST_REQUIRE(!c.ok());
  BOOST_TEST(c.problem().path == "limits.max_bodybytes");
  BOOST_TEST(c.problem().message.find("limits.max_bodybytes") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(wrong_type_is_an_error_naming_the_key) {
  auto c = parse_config(R"({"listen":{"port":"8080"}})");
  BOOST_REQUIRE(!c.ok());
  BOOST_TEST(c.problem().path == "listen.port");
  auto d = parse_config(R"({"limits":3})");
  BOOST_REQUIRE(!d.ok());
  BOOST_TEST(d.problem().path == "limits");
  auto e = parse_config(R"({"cors":{"allowed_origins":["a",1]}})");
  BOOST_REQUIRE(!e.ok());
  BOOST_TEST(e.problem().path == "cors.allowed_origins[1]");
}

BOOST_AUTO_TEST_CASE(out_of_range_values_are_rejected) {
  BOOST_TEST(!parse_config(R"({"listen":{"port":70000}})").ok());
  BOOST_TEST(!parse_config(R"({"limits":{"max_body_bytes":-1}})").ok());
  BOOST_TEST(!parse_config(R"({"log_level":"chatty"})").ok());
  BOOST_TEST(!parse_config(R"({"public_base_url":"ftp://x"})").ok());
  BOOST_TEST(!parse_config(R"({"public_base_url":"https://x/"})").ok());
}

BOOST_AUTO_TEST_CASE(environment_overrides_the_file) {
  auto c = parse_config(R"({"listen":{"port":9090}})",
                        {{"NMO_LISTEN_PORT", "0"}, {"NMO_LIMITS_MAX_BODY_BYTES", "4096"},
                         {"NMO_CORS_ALLOWED_ORIGINS", "https://a.example,https://b.example"}, {"PATH", "/bin"}});
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->listen_port == 0u);
  BOOST_TEST(c->limits.max_body_bytes == 4096u);
  BOOST_REQUIRE(c->cors_allowed_origins.size() == 2u);
  BOOST_TEST(c->cors_allowed_origins[1] == "https://b.example");
}

BOOST_AUTO_TEST_CASE(bad_environment_value_names_the_variable) {
  auto c = parse_config("", {{"NMO_LISTEN_PORT", "eighty"}});
  BOOST_REQUIRE(!c.ok());
  BOOST_TEST(c.problem().path == "env NMO_LISTEN_PORT");
  auto d = parse_config("", {{"NMO_LISTEN_PROT", "1"}});
  BOOST_REQUIRE(!d.ok());
  BOOST_TEST(d.problem().path == "env NMO_LISTEN_PROT");
}

BOOST_AUTO_TEST_CASE(kubernetes_service_links_are_ignored_but_listed) {
  auto c = parse_config("", {{"NMO_CDS_SERVICE_HOST", "10.0.0.1"}, {"NMO_CDS_SERVICE_PORT", "8080"},
                             {"NMO_CDS_PORT", "tcp://10.0.0.1:8080"}, {"NMO_CDS_PORT_8080_TCP_ADDR", "10.0.0.1"}});
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->ignored_environment.size() == 4u);
  BOOST_TEST(c->listen_port == 8080u);
}

BOOST_AUTO_TEST_CASE(malformed_json_is_an_error) {
  BOOST_TEST(!parse_config("{").ok());
  BOOST_TEST(!parse_config("[]").ok());
}

BOOST_AUTO_TEST_CASE(every_key_is_described_with_its_variable) {
  const std::string text = nmo::config::describe_config_keys();
  BOOST_TEST(text.find("NMO_LIMITS_MAX_BODY_BYTES") != std::string::npos);
  BOOST_TEST(text.find("shutdown_grace_ms") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(feedback_store_defaults_to_sqlite_and_postgres_needs_a_url) {
  auto c = parse_config("");
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->feedback_store == "sqlite");
  BOOST_TEST(c->feedback_sqlite_path == "feedback.db");
  BOOST_TEST(c->log_pseudonym_salt.empty());
  auto pg = parse_config(R"({"feedback":{"store":"postgres"}})");
  BOOST_REQUIRE(!pg.ok());
  BOOST_TEST(pg.problem().path == "feedback.postgres_url");
  auto env = parse_config(R"({"feedback":{"store":"postgres"}})",
                          {{"NMO_FEEDBACK_POSTGRES_URL", "postgresql://nmo:secret@db/nmo"}});
  BOOST_REQUIRE(env.ok());
  BOOST_TEST(env->feedback_postgres_url == "postgresql://nmo:secret@db/nmo");
  auto bad = parse_config(R"({"feedback":{"store":"mysql"}})");
  BOOST_REQUIRE(!bad.ok());
  BOOST_TEST(bad.problem().path == "feedback.store");
}

BOOST_AUTO_TEST_CASE(fetching_is_off_by_default_with_a_500_ms_deadline) {
  auto c = parse_config("");
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->fhir.allowed_servers.empty());
  BOOST_TEST(c->fhir.request_deadline_ms == 500u);
  BOOST_TEST(c->fhir.ca_file.empty());
}

BOOST_AUTO_TEST_CASE(fhir_allowed_servers_take_https_and_loopback_http_from_file_and_environment) {
  auto c = parse_config(R"({"fhir":{"allowed_servers":["https://fhir.example.org/r4","http://127.0.0.1:9000/fhir"],
                            "request_deadline_ms":800}})");
  BOOST_REQUIRE(c.ok());
  BOOST_TEST(c->fhir.allowed_servers.size() == 2u);
  BOOST_TEST(c->fhir.request_deadline_ms == 800u);
  auto e = parse_config("", {{"NMO_FHIR_ALLOWED_SERVERS", "https://a.example/fhir,http://localhost:8081/fhir"}});
  BOOST_REQUIRE(e.ok());
  BOOST_TEST(e->fhir.allowed_servers.size() == 2u);
}

// Issue 10 item 8: --help shows list defaults as JSON arrays; that form must work in the environment too.
BOOST_AUTO_TEST_CASE(list_keys_from_the_environment_take_the_json_array_form_and_the_comma_form) {
  const std::vector<std::string> want{"http://127.0.0.1:8090/fhir", "https://b.example/r4"};
  for (const std::string value :
       {R"(["http://127.0.0.1:8090/fhir","https://b.example/r4"])",
        R"(  [ "http://127.0.0.1:8090/fhir" , "https://b.example/r4" ] )",
        "http://127.0.0.1:8090/fhir,https://b.example/r4", " http://127.0.0.1:8090/fhir , https://b.example/r4 "}) {
    BOOST_TEST_CONTEXT(value) {
      auto c = parse_config("", {{"NMO_FHIR_ALLOWED_SERVERS", value}});
      BOOST_REQUIRE_MESSAGE(c.ok(), (c.ok() ? "" : c.problem().message));
      BOOST_TEST(c->fhir.allowed_servers == want, boost::test_tools::per_element());
    }
  }
  auto empty = parse_config("", {{"NMO_CORS_ALLOWED_ORIGINS", "[]"}});
  BOOST_REQUIRE(empty.ok());
  BOOST_TEST(empty->cors_allowed_origins.empty());
  auto origins = parse_config("", {{"NMO_CORS_ALLOWED_ORIGINS", R"(["https://ehr.example.org"])"}});
  BOOST_REQUIRE(origins.ok());
  BOOST_TEST(origins->cors_allowed_origins == std::vector<std::string>{"https://ehr.example.org"},
             boost::test_tools::per_element());
}

BOOST_AUTO_TEST_CASE(an_unreadable_environment_list_is_an_error_naming_the_value) {
  for (const std::string value : {R"(["http://127.0.0.1:8090/fhir")", R"([1,2])", R"(["a",null])"}) {
    BOOST_TEST_CONTEXT(value) {
      auto c = parse_config("", {{"NMO_FHIR_ALLOWED_SERVERS", value}});
      BOOST_REQUIRE(!c.ok());
      BOOST_TEST(c.problem().message.find("NMO_FHIR_ALLOWED_SERVERS") != std::string::npos);
      BOOST_TEST(c.problem().message.find(value) != std::string::npos);
    }
  }
  auto c = parse_config("", {{"NMO_FHIR_ALLOWED_SERVERS", "http://fhir.example.org/r4"}});
  BOOST_REQUIRE(!c.ok());
  BOOST_TEST(c.problem().message.find("http://fhir.example.org/r4") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(plain_http_fhir_servers_off_loopback_are_rejected) {
  for (const char* server : {"http://fhir.example.org/r4", "http://localhost.evil.test/fhir", "ftp://x/"}) {
    BOOST_TEST_CONTEXT(server) {
      auto c = parse_config(std::string(R"({"fhir":{"allowed_servers":[")") + server + R"("]}})");
      BOOST_REQUIRE(!c.ok());
      BOOST_TEST(c.problem().path == "fhir.allowed_servers");
    }
  }
  BOOST_TEST(!parse_config(R"({"fhir":{"request_deadline_ms":0}})").ok());
}

BOOST_AUTO_TEST_SUITE_END()
