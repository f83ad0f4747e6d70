// Broadcast recipients: CSV validated row by row (E.164, duplicates, missing header), rows named by number.
#include "../src/broadcasts.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::whatsapp;

BOOST_AUTO_TEST_SUITE(broadcast_csv)

BOOST_AUTO_TEST_CASE(valid_rows_are_kept_and_bad_ones_named_by_row) {
    std::vector<Recipient> ok;
    std::vector<RejectedRow> bad;
    parseRecipientsCsv("name,phone\r\nAna,+16505551234\nBo,16505551235\n\"Ruiz, Carla\",+34600111222\nDup,+16505551234\nZero,+0123456789\n", ok, bad);
    BOOST_REQUIRE(ok.size() == 2u);
    BOOST_TEST(ok[0].phone == "16505551234");
    BOOST_TEST(ok[0].name == "Ana");
    BOOST_TEST(ok[1].name == "Ruiz, Carla");
    BOOST_REQUIRE(bad.size() == 3u);
    BOOST_TEST(bad[0].row == 3u);
    BOOST_TEST(bad[1].row == 5u);
    BOOST_TEST(bad[1].reason.find("repeats row 2") != std::string::npos);
    BOOST_TEST(bad[2].row == 6u);
}

BOOST_AUTO_TEST_CASE(a_csv_without_a_phone_column_is_refused) {
    std::vector<Recipient> ok;
    std::vector<RejectedRow> bad;
    parseRecipientsCsv("name,number\nAna,+16505551234\n", ok, bad);
    BOOST_TEST(ok.empty());
    BOOST_REQUIRE(bad.size() == 1u);
    BOOST_TEST(bad[0].row == 1u);
    std::vector<RejectedRow> empty;
    parseRecipientsCsv("", ok, empty);
    BOOST_TEST(empty.size() == 1u);
}

BOOST_AUTO_TEST_CASE(e164_bounds) {
    BOOST_TEST(isE164("+16505551234"));
    BOOST_TEST(isE164("+12345678"));
    BOOST_TEST(!isE164("+1234567"));
    BOOST_TEST(!isE164("+1234567890123456"));
    BOOST_TEST(!isE164("16505551234"));
    BOOST_TEST(!isE164("+1 650 555 1234"));
}

BOOST_AUTO_TEST_SUITE_END()
