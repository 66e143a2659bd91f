#define BOOST_TEST_MODULE nmo_service_feedback
#include <boost/test/unit_test.hpp>
