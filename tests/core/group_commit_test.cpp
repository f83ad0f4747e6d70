// Group commit: a lone commit runs at once; commits that arrive while the batch slots are busy run together, in
// arrival order; one key's items never run in two batches at once; one item's failure reaches only its caller.
#include "store/group_commit.hpp"

#include <boost/test/unit_test.hpp>

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

using namespace parley::core;

namespace {

// Records every batch (the keys of its items, in order) and can hold the first batch until released.
struct Recorder {
    std::mutex mutex;
    std::condition_variable changed;
    std::vector<std::vector<std::string>> batches;
    std::vector<std::string> running;  // keys of items inside execute right now
    bool hold_first = false, first_started = false, released = false;
    int overlaps = 0;  // times a key was in two batches at once

    GroupCommit::Execute execute(const std::string& fail_key = "") {
        return [this, fail_key](const std::vector<GroupCommit::Item*>& batch) {
            std::unique_lock lock(mutex);
            std::vector<std::string> keys;
            for (auto* i : batch) {
                for (const auto& r : running)
                    if (r == i->key) ++overlaps;
                keys.push_back(i->key);
            }
            for (auto* i : batch) running.push_back(i->key);
            batches.push_back(keys);
            bool first = batches.size() == 1;
            if (first && hold_first) {
                first_started = true;
                changed.notify_all();
                changed.wait(lock, [&] { return released; });
            }
            for (auto* i : batch) {
                running.erase(std::find(running.begin(), running.end(), i->key));
                if (i->key == fail_key) i->error = std::make_exception_ptr(std::runtime_error("refused " + i->key));
            }
        };
    }
    void waitFirstStarted() {
        std::unique_lock lock(mutex);
        changed.wait(lock, [&] { return first_started; });
    }
    void release() {
        std::lock_guard lock(mutex);
        released = true;
        changed.notify_all();
    }
};

// Waits (without sleeping a fixed time) until `n` items are queued behind the running batches.
void waitQueued(GroupCommit& group, std::size_t n) {
    while (group.stats().queued < n) std::this_thread::yield();
}

}  // namespace

BOOST_AUTO_TEST_SUITE(group_commit)

BOOST_AUTO_TEST_CASE(a_lone_commit_runs_at_once_as_a_batch_of_one) {
    GroupCommit group(4, 64);
    Recorder r;
    GroupCommit::Item item;
    item.key = "a";
    group.run(item, r.execute());
    BOOST_TEST(item.done);
    BOOST_REQUIRE_EQUAL(r.batches.size(), 1u);
    BOOST_TEST(r.batches[0] == std::vector<std::string>{"a"});
}

BOOST_AUTO_TEST_CASE(commits_arriving_while_the_slot_is_busy_run_together_in_arrival_order) {
    GroupCommit group(1, 64);
    Recorder r;
    r.hold_first = true;
    auto execute = r.execute();
    std::vector<std::thread> threads;
    std::vector<GroupCommit::Item> items(5);
    items[0].key = "first";
    threads.emplace_back([&] { group.run(items[0], execute); });
    r.waitFirstStarted();
    for (int i = 1; i < 5; ++i) {
        items[i].key = "k" + std::to_string(i);
        threads.emplace_back([&, i] { group.run(items[i], execute); });
        waitQueued(group, i);  // queued one after another: arrival order is known
    }
    r.release();
    for (auto& t : threads) t.join();
    BOOST_REQUIRE_EQUAL(r.batches.size(), 2u);
    BOOST_TEST(r.batches[1] == (std::vector<std::string>{"k1", "k2", "k3", "k4"}));
    BOOST_TEST(group.stats().batches == 2u);
    BOOST_TEST(group.stats().items == 5u);
}

BOOST_AUTO_TEST_CASE(a_key_never_runs_in_two_batches_and_keeps_its_order) {
    GroupCommit group(2, 64);
    Recorder r;
    r.hold_first = true;
    auto execute = r.execute();
    std::vector<GroupCommit::Item> items(3);
    items[0].key = "a";
    items[1].key = "a";
    items[2].key = "b";
    std::thread a1([&] { group.run(items[0], execute); });
    r.waitFirstStarted();
    std::thread a2([&] { group.run(items[1], execute); });
    waitQueued(group, 1);
    // "b" takes the second slot at once although "a" arrived first: only a's own key waits.
    group.run(items[2], execute);
    {
        std::lock_guard lock(r.mutex);
        BOOST_REQUIRE_EQUAL(r.batches.size(), 2u);
        BOOST_TEST(r.batches[1] == std::vector<std::string>{"b"});
        BOOST_TEST(!items[1].done);  // the second "a" still waits for the first
    }
    r.release();
    a1.join();
    a2.join();
    BOOST_REQUIRE_EQUAL(r.batches.size(), 3u);
    BOOST_TEST(r.batches[2] == std::vector<std::string>{"a"});
    BOOST_TEST(r.overlaps == 0);
}

BOOST_AUTO_TEST_CASE(a_failed_item_fails_alone) {
    GroupCommit group(1, 64);
    Recorder r;
    r.hold_first = true;
    auto execute = r.execute("bad");
    std::vector<GroupCommit::Item> items(4);
    const char* keys[] = {"first", "good1", "bad", "good2"};
    std::vector<std::string> outcome(4);
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        items[i].key = keys[i];
        threads.emplace_back([&, i] {
            try {
                group.run(items[i], execute);
                outcome[i] = "ok";
            } catch (const std::exception& e) {
                outcome[i] = e.what();
            }
        });
        if (i == 0) r.waitFirstStarted();
        else waitQueued(group, i);
    }
    r.release();
    for (auto& t : threads) t.join();
    BOOST_TEST(outcome == (std::vector<std::string>{"ok", "ok", "refused bad", "ok"}));
    BOOST_REQUIRE_EQUAL(r.batches.size(), 2u);  // the failure was inside a group of three
    BOOST_TEST(r.batches[1].size() == 3u);
}

BOOST_AUTO_TEST_CASE(an_exception_from_the_batch_fails_every_item_it_did_not_mark) {
    GroupCommit group(1, 64);
    GroupCommit::Item item;
    item.key = "a";
    BOOST_CHECK_THROW(group.run(item, [](const std::vector<GroupCommit::Item*>&) { throw std::logic_error("down"); }),
                      std::logic_error);
    BOOST_TEST(item.done);
}

BOOST_AUTO_TEST_SUITE_END()
