#define BOOST_TEST_MODULE nmo_service_auth
#include <boost/test/unit_test.hpp>
