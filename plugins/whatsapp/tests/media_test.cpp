// Graph's media-URL answer is read as Meta sends it (file_size a number, or a string in older versions), a
// download is checked against its SHA-256, and stored media gets a safe file name.
#include "../src/media.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::whatsapp;

BOOST_AUTO_TEST_SUITE(media)

BOOST_AUTO_TEST_CASE(media_answer_gives_url_type_hash_and_size_whether_file_size_is_a_number_or_a_string) {
    auto a = parseMediaInfo(R"({"messaging_product":"whatsapp","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1",)"
                            R"("mime_type":"image/jpeg","sha256":"abc","file_size":303833,"id":"1003383421387256"})");
    BOOST_TEST(a.url == "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1");
    BOOST_TEST(a.mime_type == "image/jpeg");
    BOOST_TEST(a.sha256 == "abc");
    BOOST_TEST(a.file_size == 303833);
    auto b = parseMediaInfo(R"({"url":"http://127.0.0.1:1/x","mime_type":"audio/ogg; codecs=opus","file_size":"42"})");
    BOOST_TEST(b.file_size == 42);
    BOOST_TEST(parseMediaInfo(R"({"url":"https://x.example/y"})").file_size == -1);
}

BOOST_AUTO_TEST_CASE(a_download_matches_the_sha256_graph_gave_in_hex_or_base64) {
    // SHA-256("abc"), FIPS 180-2's first example.
    const std::string hex = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
    const std::string b64 = "ungWv48Bz+pBQUDeXa4iI7ADYaOWF3qctBD/YfIAFa0=";
    BOOST_TEST(sha256Matches("abc", hex));
    BOOST_TEST(sha256Matches("abc", "BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"));
    BOOST_TEST(sha256Matches("abc", b64));
    BOOST_TEST(!sha256Matches("abd", hex));
    BOOST_TEST(!sha256Matches("abd", b64));
    BOOST_TEST(!sha256Matches("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ae"));
    // Nothing to compare with: accepted.
    BOOST_TEST(sha256Matches("abc", ""));
    BOOST_TEST(sha256Matches("abc", "abc"));
    // The image fixture's hash is base64: the form is recognised (these bytes are not the image's).
    BOOST_TEST(!sha256Matches("not the image", "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI="));
}

BOOST_AUTO_TEST_CASE(media_answer_without_a_url_or_not_json_is_refused) {
    BOOST_CHECK_THROW(parseMediaInfo(R"({"mime_type":"image/jpeg"})"), std::invalid_argument);
    BOOST_CHECK_THROW(parseMediaInfo(R"({"url":"file:///etc/passwd"})"), std::invalid_argument);
    BOOST_CHECK_THROW(parseMediaInfo("<html>"), std::invalid_argument);
}

BOOST_AUTO_TEST_CASE(file_names_keep_a_documents_own_name_and_derive_one_from_the_type_otherwise) {
    BOOST_TEST(mediaFileName("document", "1", "application/pdf", "invoice.pdf") == "invoice.pdf");
    BOOST_TEST(mediaFileName("document", "1", "application/pdf", "../../etc/passwd") == "....etcpasswd");
    BOOST_TEST(mediaFileName("image", "1003383421387256", "image/jpeg", "") == "image-1003383421387256.jpg");
    BOOST_TEST(mediaFileName("audio", "77", "audio/ogg; codecs=opus", "") == "audio-77.ogg");
    BOOST_TEST(mediaFileName("sticker", "a/b", "application/x-unknown", "") == "sticker-ab.bin");
}

BOOST_AUTO_TEST_SUITE_END()
