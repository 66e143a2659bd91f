#define BOOST_TEST_MODULE nmo_service_http
#include <boost/test/unit_test.hpp>
