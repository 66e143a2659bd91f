#define BOOST_TEST_MODULE nmo_service_ops
#include <boost/test/unit_test.hpp>
