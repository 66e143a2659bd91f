#define BOOST_TEST_MODULE nmo_service
#include <boost/test/unit_test.hpp>
