// Proves the widget config's defaults, validation with field paths in errors, and section-wise merging.
#include "widgets/widget_config.hpp"

#include "support.hpp"

#include <boost/test/unit_test.hpp>

using namespace parley::core;
using core_test::apiErrorFrom;
using core_test::contains;

namespace {

JsonObject config(const std::string& text) { return parseJsonObject(text, 32); }

// The 422 message validateWidgetConfig gives for `text`; fails the test when it accepts it.
std::string rejection(const std::string& text) {
    auto e = apiErrorFrom([&] { validateWidgetConfig(config(text)); });
    BOOST_REQUIRE_MESSAGE(e.has_value(), "accepted: " << text);
    BOOST_TEST(e->status() == 422);
    BOOST_TEST(e->code() == "invalid_field");
    return e->what();
}

const char* kSections[] = {"branding", "behavior", "localization", "features", "working_hours", "utm",
                           "display_rules"};

}  // namespace

BOOST_AUTO_TEST_SUITE(widget_config)

BOOST_AUTO_TEST_CASE(defaults_have_every_section_with_its_seed_values) {
    JsonObject d = defaultWidgetConfig();
    for (const char* s : kSections) {
        BOOST_TEST_CONTEXT(s) {
            BOOST_REQUIRE(d->getObject(s));
            BOOST_TEST(d->getObject(s)->size() > 0u);
        }
    }
    BOOST_TEST(d->size() == std::size(kSections));
    BOOST_TEST(d->getObject("branding")->getValue<std::string>("primary_color") == "#3B82F6");
    BOOST_TEST(d->getObject("behavior")->getValue<std::string>("position") == "bottom-right");
    BOOST_TEST(d->getObject("features")->getValue<int>("max_file_size") == 10485760);
    BOOST_TEST(d->getObject("working_hours")->getValue<bool>("enabled") == false);
    BOOST_TEST(d->getObject("working_hours")->getValue<std::string>("timezone") == "UTC");
    auto mon = d->getObject("working_hours")->getObject("schedule")->getArray("mon");
    BOOST_REQUIRE(mon);
    BOOST_TEST(mon->getObject(0)->getValue<std::string>("start") == "09:00");
    BOOST_TEST(d->getObject("working_hours")->getObject("schedule")->getArray("sun")->size() == 0u);
    BOOST_TEST(d->getObject("utm")->getArray("customParams")->size() == 3u);
}

BOOST_AUTO_TEST_CASE(defaults_are_fresh_copies_so_one_widget_cannot_change_another) {
    JsonObject first = defaultWidgetConfig();
    first->getObject("working_hours")->getObject("schedule")->getArray("mon")->getObject(0)->set("start",
                                                                                                   std::string("06:00"));
    first->getObject("behavior")->getObject("triggers")->set("scroll", 50);
    JsonObject second = defaultWidgetConfig();
    BOOST_TEST(second->getObject("working_hours")->getObject("schedule")->getArray("mon")->getObject(0)->getValue<std::string>(
                   "start") == "09:00");
    BOOST_TEST(!second->getObject("behavior")->getObject("triggers")->has("scroll"));
}

BOOST_AUTO_TEST_CASE(validated_default_config_is_accepted_unchanged) {
    BOOST_TEST(toJson(validateWidgetConfig(defaultWidgetConfig())) == toJson(defaultWidgetConfig()));
    BOOST_TEST(toJson(validateWidgetConfig(config("{}"))) == toJson(defaultWidgetConfig()));
}

BOOST_AUTO_TEST_CASE(validation_overlays_given_fields_on_defaults_and_keeps_unknown_fields_and_sections) {
    JsonObject out = validateWidgetConfig(config(R"({
        "branding": {"primary_color": "#000", "x_custom": {"deep": [1, 2]}},
        "experimental": {"beta": true},
        "working_hours": {"enabled": true, "timezone": "Europe/Madrid",
                          "schedule": {"mon": [{"start": "08:00", "end": "24:00"}]}}
    })"));
    auto branding = out->getObject("branding");
    BOOST_TEST(branding->getValue<std::string>("primary_color") == "#000");
    BOOST_TEST(branding->getValue<std::string>("secondary_color") == "#1E40AF");  // default kept
    BOOST_TEST(toJson(branding->get("x_custom")) == R"({"deep":[1,2]})");
    BOOST_TEST(out->getObject("experimental")->getValue<bool>("beta") == true);
    BOOST_TEST(out->getObject("working_hours")->getValue<std::string>("timezone") == "Europe/Madrid");
    BOOST_TEST(!out->getObject("working_hours")->getObject("schedule")->has("tue"));  // schedule replaced whole
}

BOOST_AUTO_TEST_CASE(wrong_type_is_rejected_naming_the_full_field_path) {
    struct Case {
        const char* json;
        const char* path;
    };
    const Case cases[] = {
        {R"({"branding": {"primary_color": 5}})", "'config.branding.primary_color'"},
        {R"({"branding": {"title": null}})", "'config.branding.title'"},
        {R"({"behavior": {"offset_x": "20"}})", "'config.behavior.offset_x'"},
        {R"({"behavior": {"offset_x": 20.5}})", "'config.behavior.offset_x'"},
        {R"({"behavior": {"offset_x": true}})", "'config.behavior.offset_x'"},
        {R"({"features": {"bot_confidence_threshold": true}})", "'config.features.bot_confidence_threshold'"},
        {R"({"features": {"chatbot_enabled": "yes"}})", "'config.features.chatbot_enabled'"},
        {R"({"features": {"chatbot_enabled": 1}})", "'config.features.chatbot_enabled'"},
        {R"({"localization": {"supported_languages": ["en", 1]}})", "'config.localization.supported_languages'"},
        {R"({"localization": {"supported_languages": "en"}})", "'config.localization.supported_languages'"},
        {R"({"behavior": {"triggers": []}})", "'config.behavior.triggers'"},
        {R"({"branding": "red"})", "'config.branding'"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.json) {
            std::string message = rejection(c.json);
            BOOST_TEST(contains(message, c.path), message);
        }
    }
}

BOOST_AUTO_TEST_CASE(colours_must_be_hex_with_three_six_or_eight_digits) {
    for (const char* good : {"#fff", "#3B82F6", "#3b82f680"}) {
        BOOST_TEST_CONTEXT(good) {
            auto out = validateWidgetConfig(config(std::string(R"({"branding": {"text_color": ")") + good + "\"}}"));
            BOOST_TEST(out->getObject("branding")->getValue<std::string>("text_color") == good);
        }
    }
    for (const char* bad : {"blue", "#12345", "#GGGGGG", "3B82F6", "#3B82F6 ", "", "#ffff"}) {
        BOOST_TEST_CONTEXT("'" << bad << "'") {
            std::string message = rejection(std::string(R"({"branding": {"text_color": ")") + bad + "\"}}");
            BOOST_TEST(contains(message, "'config.branding.text_color'"), message);
            BOOST_TEST(contains(message, "colour"), message);
        }
    }
}

BOOST_AUTO_TEST_CASE(enum_violation_lists_the_choices_and_the_value_given) {
    std::string message = rejection(R"({"branding": {"widget_shape": "hexagon"}})");
    BOOST_TEST(contains(message, "'config.branding.widget_shape'"), message);
    BOOST_TEST(contains(message, "rounded, square, circle"), message);
    BOOST_TEST(contains(message, "'hexagon'"), message);
    // Choices are case-sensitive: the widget script compares them exactly.
    BOOST_TEST(contains(rejection(R"({"behavior": {"position": "Bottom-Right"}})"), "'config.behavior.position'"));
}

BOOST_AUTO_TEST_CASE(numbers_outside_their_range_are_rejected_and_the_bounds_accepted) {
    struct Case {
        const char* json;
        const char* path;
    };
    const Case bad[] = {
        {R"({"behavior": {"offset_x": 501}})", "'config.behavior.offset_x'"},
        {R"({"behavior": {"offset_y": -1}})", "'config.behavior.offset_y'"},
        {R"({"behavior": {"auto_open_delay_seconds": 3601}})", "'config.behavior.auto_open_delay_seconds'"},
        {R"({"features": {"max_file_size": 104857601}})", "'config.features.max_file_size'"},
        {R"({"features": {"bot_confidence_threshold": 1.5}})", "'config.features.bot_confidence_threshold'"},
        {R"({"features": {"bot_confidence_threshold": -0.1}})", "'config.features.bot_confidence_threshold'"},
    };
    for (const auto& c : bad) {
        BOOST_TEST_CONTEXT(c.json) {
            std::string message = rejection(c.json);
            BOOST_TEST(contains(message, c.path), message);
            BOOST_TEST(contains(message, "between"), message);
        }
    }
    auto out = validateWidgetConfig(config(
        R"({"behavior": {"offset_x": 0, "offset_y": 500}, "features": {"bot_confidence_threshold": 1}})"));
    BOOST_TEST(out->getObject("behavior")->getValue<int>("offset_y") == 500);
    BOOST_TEST(out->getObject("features")->getValue<double>("bot_confidence_threshold") == 1.0);
}

BOOST_AUTO_TEST_CASE(urls_must_be_http_or_a_site_path) {
    for (const char* good : {"https://cdn.acme.com/logo.png", "http://localhost/logo.png", "/logo.png", ""}) {
        BOOST_TEST_CONTEXT(good) {
            BOOST_CHECK_NO_THROW(
                validateWidgetConfig(config(std::string(R"({"branding": {"logo_url": ")") + good + "\"}}")));
        }
    }
    for (const char* bad : {"javascript:alert(1)", "data:image/png;base64,AAAA", "logo.png", "ftp://x/y"}) {
        BOOST_TEST_CONTEXT(bad) {
            std::string message = rejection(std::string(R"({"branding": {"logo_url": ")") + bad + "\"}}");
            BOOST_TEST(contains(message, "'config.branding.logo_url'"), message);
        }
    }
}

BOOST_AUTO_TEST_CASE(strings_longer_than_2000_bytes_are_rejected) {
    std::string message =
        rejection(R"({"behavior": {"welcome_message": ")" + std::string(2001, 'x') + "\"}}");
    BOOST_TEST(contains(message, "'config.behavior.welcome_message'"), message);
}

BOOST_AUTO_TEST_CASE(unknown_time_zone_is_rejected_naming_the_field_and_the_value) {
    std::string message = rejection(R"({"working_hours": {"timezone": "Europe/Atlantis"}})");
    BOOST_TEST(contains(message, "'config.working_hours.timezone'"), message);
    BOOST_TEST(contains(message, "Europe/Atlantis"), message);
}

BOOST_AUTO_TEST_CASE(schedule_ranges_must_be_hh_mm_to_a_later_hh_mm_on_a_named_day) {
    struct Case {
        const char* schedule;
        const char* path;
    };
    const Case cases[] = {
        {R"({"mon": [{"start": "17:00", "end": "09:00"}]})", "'config.working_hours.schedule.mon'"},
        {R"({"mon": [{"start": "09:00", "end": "09:00"}]})", "'config.working_hours.schedule.mon'"},
        {R"({"tue": [{"start": "9:00", "end": "17:00"}]})", "'config.working_hours.schedule.tue'"},
        {R"({"wed": [{"start": "09:00", "end": "24:30"}]})", "'config.working_hours.schedule.wed'"},
        {R"({"thu": [{"start": "09:00"}]})", "'config.working_hours.schedule.thu'"},
        {R"({"fri": ["09:00-17:00"]})", "'config.working_hours.schedule.fri'"},
        {R"({"sat": {"start": "09:00", "end": "17:00"}})", "'config.working_hours.schedule.sat'"},
        {R"({"funday": []})", "'config.working_hours.schedule.funday'"},
    };
    for (const auto& c : cases) {
        BOOST_TEST_CONTEXT(c.schedule) {
            std::string message = rejection(std::string(R"({"working_hours": {"schedule": )") + c.schedule + "}}");
            BOOST_TEST(contains(message, c.path), message);
        }
    }
}

BOOST_AUTO_TEST_CASE(merge_replaces_only_the_patched_fields_of_a_section) {
    JsonObject base = defaultWidgetConfig();
    const std::string before = toJson(base);
    JsonObject merged = mergeWidgetConfig(
        base, config(R"({"branding": {"primary_color": "#000000"}, "experimental": {"beta": true}})"));
    BOOST_TEST(merged->getObject("branding")->getValue<std::string>("primary_color") == "#000000");
    BOOST_TEST(merged->getObject("branding")->getValue<std::string>("title") == "Chat with us");
    BOOST_TEST(merged->getObject("behavior")->getValue<std::string>("mode") == "chat");
    BOOST_TEST(merged->getObject("experimental")->getValue<bool>("beta") == true);
    BOOST_TEST(toJson(base) == before);  // the base is not modified
}

BOOST_AUTO_TEST_CASE(merge_replaces_a_nested_object_field_whole) {
    // One section deep only: a patched schedule replaces the old schedule, it is not merged day by day.
    JsonObject merged = mergeWidgetConfig(
        defaultWidgetConfig(), config(R"({"working_hours": {"schedule": {"sat": [{"start": "10:00", "end": "12:00"}]}}})"));
    auto schedule = merged->getObject("working_hours")->getObject("schedule");
    BOOST_TEST(schedule->has("sat"));
    BOOST_TEST(!schedule->has("mon"));
    BOOST_TEST(merged->getObject("working_hours")->getValue<std::string>("timezone") == "UTC");
}

BOOST_AUTO_TEST_SUITE_END()
