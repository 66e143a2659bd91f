#include "fhir/time.hpp"

#include <boost/test/unit_test.hpp>

namespace nmo::fhir {

BOOST_AUTO_TEST_SUITE(fhir_time)

BOOST_AUTO_TEST_CASE(full_date_is_midnight_utc) {
  BOOST_TEST(parse_fhir_time("1970-01-01").value() == 0);
  BOOST_TEST(parse_fhir_time("2020-02-29").value() == 1582934400);
}

BOOST_AUTO_TEST_CASE(partial_dates_are_their_first_day) {
  BOOST_TEST(parse_fhir_time("2020").value() == 1577836800);
  BOOST_TEST(parse_fhir_time("2020-03").value() == 1583020800);
}

BOOST_AUTO_TEST_CASE(date_time_with_zone_is_converted_to_utc) {
  BOOST_TEST(parse_fhir_time("2020-02-10T08:30:00+01:00").value() == 1581319800);
  BOOST_TEST(parse_fhir_time("2020-02-10T07:30:00Z").value() == 1581319800);
  BOOST_TEST(parse_fhir_time("2020-02-10T02:30:00-05:00").value() == 1581319800);
  BOOST_TEST(parse_fhir_time("2020-02-10T07:30:00.123456+00:00").value() == 1581319800);
}

BOOST_AUTO_TEST_CASE(date_time_without_zone_is_read_as_utc) {
  BOOST_TEST(parse_fhir_time("2020-02-10T07:30:00").value() == 1581319800);
}

BOOST_AUTO_TEST_CASE(dates_before_the_epoch_are_negative) {
  BOOST_TEST(parse_fhir_time("1969-12-31").value() == -86400);
}

BOOST_AUTO_TEST_CASE(impossible_or_malformed_values_are_rejected) {
  for (const char* bad :
       {"", "20", "2020-13", "2020-02-30", "2019-02-29", "2020-1-01", "2020-01-01T", "2020-01-01T25:00:00Z",
        "2020-01-01T10:00Z", "2020-01-01T10:00:00+0100", "2020-01-01T10:00:00.Z", "last spring", "2020-01-01 10:00:00Z",
        "0000", "2020-01-01T10:00:00Zjunk"}) {
    BOOST_TEST(!parse_fhir_time(bad).has_value(), bad);
  }
}

BOOST_AUTO_TEST_SUITE_END()

}  // namespace nmo::fhir
