#define BOOST_TEST_MODULE nmo_fhir
#include <boost/test/unit_test.hpp>
