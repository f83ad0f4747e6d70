// Inbound WhatsApp media on both databases: fetched through the fake Graph API (look-up, then the download URL,
// both with the number's token) after the webhook's 200, stored through the core's file store with the right type
// and size, refused and recorded when too large, and Graph's errors recorded (a 5xx retried).
#include "whatsapp/wa_server.hpp"
#include "ws_client.hpp"

#include <atomic>
#include <chrono>
#include <map>
#include <set>
#include <thread>

using namespace parley::test;

namespace {

// The image fixture's media id, and bytes that look like what their types claim (the file store sniffs them).
const std::string kImageMedia = "1003383421387256";
std::string jpegBytes(size_t size) {
    std::string b = "\xff\xd8\xff\xe0";
    b.resize(size, 'j');
    return b;
}
std::string mp4Bytes(size_t size) {
    std::string b("\x00\x00\x00\x18" "ftypmp42", 12);
    b.resize(size, 'v');
    return b;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(whatsapp_media)

BOOST_FIXTURE_TEST_CASE(inbound_image_is_fetched_through_graph_after_the_200_and_stored_with_its_type_and_size, WaServer) {
    graph.addMedia(kImageMedia, "image/jpeg", jpegBytes(5000));
    deliver(waFixture("meta_inbound_image.json"));
    std::string message = text("SELECT id FROM messages WHERE type = 'image'");
    BOOST_REQUIRE(!message.empty());
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'stored'", 1) == 1,
                          text("SELECT error FROM whatsapp_media"));
    // Looked up with the number's token, then downloaded from the URL Graph named, with the same token.
    auto media = graph.mediaRequests();
    BOOST_REQUIRE(media.size() == 2u);
    BOOST_TEST(media[0].path == "/v21.0/" + kImageMedia);
    BOOST_TEST(media[1].path == "/media-download/" + kImageMedia);
    for (const auto& m : media) BOOST_TEST(m.authorization == "Bearer " + kToken);
    // The core's file store has it, linked from the message, served from the same download route as uploads.
    BOOST_TEST(count("SELECT COUNT(*) FROM files WHERE content_type = 'image/jpeg' AND size = 5000 AND uploaded_by = 'plugin:whatsapp'") == 1);
    auto payload = parley::core::storedObject(text("SELECT payload FROM messages WHERE id = '" + message + "'"));
    BOOST_REQUIRE(payload->getObject("file"));
    BOOST_TEST(payload->getObject("file")->getValue<std::string>("content_type") == "image/jpeg");
    BOOST_TEST(payload->getObject("file")->getValue<int>("size") == 5000);
    BOOST_TEST(payload->getObject("file")->getValue<std::string>("name") == "image-1003383421387256.jpg");
    BOOST_TEST(payload->getObject("media")->getValue<std::string>("id") == kImageMedia);  // what Meta said stays
    std::string url = payload->getObject("file")->getValue<std::string>("url");
    Response download = Client(server.port()).get(url.substr(url.find("/api/v1/files/")));
    BOOST_TEST(download.status == 200);
    BOOST_TEST(download.body == jpegBytes(5000));
    BOOST_TEST(download.header("content-type") == "image/jpeg");
    BOOST_TEST(text("SELECT file_id FROM whatsapp_media WHERE message_id = '" + message + "'") ==
               payload->getObject("file")->getValue<std::string>("id"));
    // The agent API shows the linked file.
    std::string conversation = conversationOf();
    Response messages = as(agent).get("/api/v1/agent/conversations/" + conversation + "/messages");
    BOOST_TEST(messages.body.find(payload->getObject("file")->getValue<std::string>("id")) != std::string::npos);
}

BOOST_FIXTURE_TEST_CASE(inbound_video_is_stored_as_video_mp4, WaServer) {
    graph.addMedia("vid-1", "video/mp4", mp4Bytes(3000));
    deliver(rewrite(waFixture("meta_inbound_image.json"), {{"\"type\": \"image\"", "\"type\": \"video\""},
                                                           {"\"image\": {", "\"video\": {"},
                                                           {"image/jpeg", "video/mp4"},
                                                           {kImageMedia, "vid-1"}}));
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'stored'", 1) == 1,
                          text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(count("SELECT COUNT(*) FROM files WHERE content_type = 'video/mp4' AND size = 3000") == 1);
    BOOST_TEST(text("SELECT type FROM messages WHERE client_message_id LIKE 'wamid.%'") == "video");
}

BOOST_FIXTURE_TEST_CASE(a_download_without_graphs_sha256_is_fetched_again_then_failed_and_never_stored, WaServer) {
    graph.addMedia(kImageMedia, "image/jpeg", jpegBytes(3000), -1, std::string(64, '0'));
    deliver(waFixture("meta_inbound_image.json"));
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'failed'", 1) == 1,
                          text("SELECT status || ' ' || error FROM whatsapp_media"));
    auto error = parley::core::storedObject(text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(error->getValue<std::string>("code") == "checksum_mismatch");
    BOOST_TEST(error->getValue<std::string>("message").find("3000 bytes") != std::string::npos);
    BOOST_TEST(count("SELECT attempts FROM whatsapp_media") == 6);  // max_attempts, each a look-up and a download
    BOOST_TEST(graph.mediaRequests().size() == 12u);
    BOOST_TEST(count("SELECT COUNT(*) FROM files") == 0);
}

BOOST_FIXTURE_TEST_CASE(oversize_media_is_refused_and_recorded_without_being_downloaded, WaServer) {
    // Graph says 20 MiB: over the plugin's cap (16 MiB), so it is never downloaded.
    graph.addMedia(kImageMedia, "image/jpeg", jpegBytes(100), 20LL << 20);
    deliver(waFixture("meta_inbound_image.json"));
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'refused'", 1) == 1);
    auto error = parley::core::storedObject(text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(error->getValue<std::string>("code") == "too_large");
    BOOST_TEST(count("SELECT size FROM whatsapp_media") == (20LL << 20));
    BOOST_TEST(graph.mediaRequests().size() == 1u);  // the look-up only
    BOOST_TEST(count("SELECT COUNT(*) FROM files") == 0);
    // Under the plugin's cap but over the widget's max_file_size: the host's file store refuses it the same way.
    Response patch = Client(server.port()).bearer(root_token).patch("/api/v1/tenants/" + tenant + "/widgets/" + widget,
                                                                    R"({"config":{"features":{"max_file_size":1000}}})");
    BOOST_REQUIRE_MESSAGE(patch.status == 200, patch.body);
    graph.addMedia("small-lie", "image/jpeg", jpegBytes(2000), 500);
    deliver(rewrite(waFixture("meta_inbound_image.json"), {{kImageMedia, "small-lie"}, {"ASGBQzQTRBNjU5", "ASGBQzQTRBNjU6"}}));
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'refused'", 2) == 2);
    auto second = parley::core::storedObject(text("SELECT error FROM whatsapp_media WHERE media_id = 'small-lie'"));
    BOOST_TEST(second->getValue<std::string>("code") == "too_large");
    BOOST_TEST(second->getValue<std::string>("message").find("limit is 1000") != std::string::npos);
    BOOST_TEST(count("SELECT COUNT(*) FROM files") == 0);
}

BOOST_FIXTURE_TEST_CASE(graph_errors_fail_the_media_with_metas_error_and_a_5xx_is_retried, WaServer) {
    // No such media on Graph: error 100, recorded as Meta sent it, not retried.
    deliver(waFixture("meta_inbound_image.json"));
    BOOST_REQUIRE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'failed'", 1) == 1);
    auto error = parley::core::storedObject(text("SELECT error FROM whatsapp_media"));
    BOOST_TEST(error->getValue<int>("code") == 100);
    BOOST_TEST(error->getValue<std::string>("type") == "GraphMethodException");
    BOOST_TEST(count("SELECT attempts FROM whatsapp_media") == 0);
    BOOST_TEST(graph.mediaRequests().size() == 1u);
    // The message is there all the same, with Meta's media description.
    auto payload = parley::core::storedObject(text("SELECT payload FROM messages WHERE type = 'image'"));
    BOOST_TEST(!payload->has("file"));
    // A 500 first: retried with back-off, then stored.
    graph.addMedia("retry-me", "image/jpeg", jpegBytes(64));
    graph.failNext(500, R"({"message":"An unknown error occurred","type":"OAuthException","code":1,"is_transient":true})");
    deliver(rewrite(waFixture("meta_inbound_image.json"), {{kImageMedia, "retry-me"}, {"ASGBQzQTRBNjU5", "ASGBQzQTRBNjU7"}}));
    BOOST_REQUIRE_MESSAGE(waitForCount("SELECT COUNT(*) FROM whatsapp_media WHERE status = 'stored'", 1) == 1,
                          text("SELECT error FROM whatsapp_media WHERE media_id = 'retry-me'"));
    BOOST_TEST(count("SELECT attempts FROM whatsapp_media WHERE media_id = 'retry-me'") == 1);
}

BOOST_AUTO_TEST_SUITE_END()
