#define BOOST_TEST_MODULE nmo_service_fetch
#include <boost/test/unit_test.hpp>
