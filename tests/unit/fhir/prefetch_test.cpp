#include "fhir/prefetch.hpp"

#include <boost/test/unit_test.hpp>

#include <string>

namespace nmo::fhir {
namespace {

PrefetchContext practitioner_context() {
  PrefetchContext ctx;
  ctx.patient_id = "smart-1288992";
  ctx.user_id = "Practitioner/COREPRACTITIONER1";
  return ctx;
}

std::string rendered(std::string_view tmpl, const PrefetchContext& ctx) {
  auto out = render_prefetch(tmpl, ctx);
  BOOST_REQUIRE_MESSAGE(out.ok(), std::string(tmpl) + ": " + (out.ok() ? "" : out.problem().message));
  return *out;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(prefetch)

BOOST_AUTO_TEST_CASE(patient_id_is_substituted) {
  BOOST_TEST(rendered("Condition?patient={{context.patientId}}&category=problem-list-item", practitioner_context()) ==
             "Condition?patient=smart-1288992&category=problem-list-item");
  BOOST_TEST(rendered("Patient/{{context.patientId}}", practitioner_context()) == "Patient/smart-1288992");
}

BOOST_AUTO_TEST_CASE(substituted_values_are_url_encoded_with_the_unreserved_set) {
  PrefetchContext ctx = practitioner_context();
  ctx.patient_id = "a b&c=d/e?f#g%h~i_j.k-l\xC3\xA9";
  BOOST_TEST(rendered("Observation?patient={{context.patientId}}", ctx) ==
             "Observation?patient=a%20b%26c%3Dd%2Fe%3Ff%23g%25h~i_j.k-l%C3%A9");
}

BOOST_AUTO_TEST_CASE(user_id_is_already_type_slash_id) {
  BOOST_TEST(rendered("MedicationRequest?requester={{context.userId}}", practitioner_context()) ==
             "MedicationRequest?requester=Practitioner/COREPRACTITIONER1");
}

BOOST_AUTO_TEST_CASE(user_practitioner_id_is_the_id_part_of_user_id) {
  BOOST_TEST(rendered("Practitioner/{{userPractitionerId}}", practitioner_context()) ==
             "Practitioner/COREPRACTITIONER1");
}

BOOST_AUTO_TEST_CASE(user_tokens_follow_the_type_of_user_id) {
  PrefetchContext ctx = practitioner_context();
  ctx.user_id = "PractitionerRole/role 1";
  BOOST_TEST(rendered("PractitionerRole/{{userPractitionerRoleId}}", ctx) == "PractitionerRole/role%201");
  ctx.user_id = "Patient/p1";
  BOOST_TEST(rendered("Patient/{{userPatientId}}", ctx) == "Patient/p1");
  ctx.user_id = "RelatedPerson/r1";
  BOOST_TEST(rendered("RelatedPerson/{{userRelatedPersonId}}", ctx) == "RelatedPerson/r1");
}

BOOST_AUTO_TEST_CASE(user_token_of_another_type_is_missing_data) {
  auto out = render_prefetch("Patient/{{userPatientId}}", practitioner_context());
  BOOST_REQUIRE(!out.ok());
  BOOST_TEST((out.problem().kind == ProblemKind::missing_data));
  BOOST_TEST(out.problem().message.find("{{userPatientId}}") != std::string::npos);
}

BOOST_AUTO_TEST_CASE(missing_encounter_is_missing_data_naming_the_token) {
  auto out = render_prefetch("Encounter/{{context.encounterId}}", practitioner_context());
  BOOST_REQUIRE(!out.ok());
  BOOST_TEST((out.problem().kind == ProblemKind::missing_data));
  BOOST_TEST(out.problem().message.find("{{context.encounterId}}") != std::string::npos);
  PrefetchContext ctx = practitioner_context();
  ctx.encounter_id = "e1";
  BOOST_TEST(rendered("Encounter/{{context.encounterId}}", ctx) == "Encounter/e1");
}

BOOST_AUTO_TEST_CASE(unknown_or_nested_token_is_a_problem) {
  for (const char* tmpl : {"MedicationRequest?_id={{context.draftOrders.MedicationRequest.id}}",
                           "Patient/{{context.selections}}", "Patient/{{patientId}}"}) {
    auto out = render_prefetch(tmpl, practitioner_context());
    BOOST_REQUIRE(!out.ok());
    BOOST_TEST((out.problem().kind == ProblemKind::missing_data));
  }
}

BOOST_AUTO_TEST_CASE(unterminated_token_is_invalid) {
  auto out = render_prefetch("Patient/{{context.patientId", practitioner_context());
  BOOST_REQUIRE(!out.ok());
  BOOST_TEST((out.problem().kind == ProblemKind::invalid));
}

BOOST_AUTO_TEST_CASE(template_without_tokens_is_unchanged) {
  BOOST_TEST(rendered("Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|121191", practitioner_context()) ==
             "Medication?code=http://www.nlm.nih.gov/research/umls/rxnorm|121191");
}

BOOST_AUTO_TEST_CASE(template_validity_accepts_only_2_0_tokens) {
  BOOST_TEST(prefetch_template_valid("Patient/{{context.patientId}}"));
  BOOST_TEST(prefetch_template_valid("Condition?patient={{context.patientId}}&encounter={{context.encounterId}}"));
  BOOST_TEST(prefetch_template_valid("Practitioner/{{userPractitionerId}}"));
  BOOST_TEST(prefetch_template_valid("Observation?patient={{context.patientId}}&code=http://loinc.org|43638-6"));
  BOOST_TEST(!prefetch_template_valid("MedicationRequest?_id={{context.draftOrders.MedicationRequest.id}}"));
  BOOST_TEST(!prefetch_template_valid("Patient/{{context.patientId"));
  BOOST_TEST(!prefetch_template_valid("Patient/{{context.patientid}}"));
  BOOST_TEST(!prefetch_template_valid("Patient/{{ context.patientId }}"));
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace nmo::fhir
