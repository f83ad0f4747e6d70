// Group commit of messages on the real database (SQLite or PostgreSQL): many writers at once get gap-free seqs
// per conversation in their own order, an outbox event each with the same seq, and a refused message in a group
// fails alone while the rest of its group commits.
#include "harness.hpp"

#include "store/database.hpp"
#include "store/message_commit.hpp"
#include "store/migrator.hpp"
#include "store/tenant_repository.hpp"
#include "store/widget_repository.hpp"

#include <boost/test/unit_test.hpp>

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace parley::core;
using parley::test::TestDatabase;

namespace {

struct Store {
    TestDatabase test_db;
    std::unique_ptr<Database> db;
    std::string tenant = newUuid(), widget = newUuid();

    Store() {
        DatabaseConfig cfg;
        cfg.url = test_db.url();
        cfg.pool_size = 12;
        db = std::make_unique<Database>(cfg);
        applyMigrations(*db, "core", selectMigrations(coreMigrationFiles(), db->backend()));
        db->write([&](soci::session& sql) {
            Tenant t;
            t.id = tenant;
            t.name = t.slug = "t" + tenant.substr(0, 8);
            t.plan = "free";
            t.created_at = t.updated_at = nowMs();
            TenantRepository(sql).insert(t);
            Widget w;
            w.id = widget;
            w.tenant_id = tenant;
            w.name = "w";
            w.public_key = "pk_" + widget;
            w.config = jsonObject();
            w.created_at = w.updated_at = nowMs();
            WidgetRepository(sql).insert(w);
        });
    }

    std::string conversation() {
        Conversation c;
        c.id = newUuid();
        c.tenant_id = tenant;
        c.widget_id = widget;
        c.visitor_id = "v-" + c.id.substr(0, 8);
        c.session_id = "s";
        c.visitor_info = jsonObject();
        c.context = jsonObject();
        c.attributes = jsonObject();
        c.created_at = c.updated_at = nowMs();
        db->write([&](soci::session& sql) { ConversationRepository(sql).insert(c); });
        return c.id;
    }

    Message message(const std::string& conversation, const std::string& text, const std::string& client_id = "") {
        Message m;
        m.id = newUuid();
        m.tenant_id = tenant;
        m.conversation_id = conversation;
        m.sender_type = "visitor";
        m.text = text;
        m.payload = jsonObject();
        m.client_message_id = client_id;
        m.created_at = nowMs();
        return m;
    }

    JsonObject event() {
        JsonObject e = jsonObject();
        e->set("widget_id", widget);
        return e;
    }
};


// Holds a conversation's row (PostgreSQL) or the writer's turn (SQLite) in an open write until release(), so that
// messages committed meanwhile queue and then commit as one group.
class Holder {
public:
    Holder(Database& db, const std::string& conversation) {
        thread_ = std::thread([&db, conversation, this] {
            db.write([&](soci::session& sql) {
                sql << "UPDATE conversations SET updated_at = updated_at WHERE id = :id", soci::use(conversation);
                std::unique_lock lock(mutex_);
                holding_ = true;
                changed_.notify_all();
                changed_.wait(lock, [&] { return released_; });
            });
        });
        std::unique_lock lock(mutex_);
        changed_.wait(lock, [&] { return holding_; });
    }
    ~Holder() { release(); }
    void release() {
        {
            std::lock_guard lock(mutex_);
            released_ = true;
            changed_.notify_all();
        }
        if (thread_.joinable()) thread_.join();
    }

private:
    std::mutex mutex_;
    std::condition_variable changed_;
    bool holding_ = false, released_ = false;
    std::thread thread_;
};

// Commits `messages` from one thread each, the first alone (it waits on the held row or turn) and the others
// queued behind it in order; returns "ok", "refused" (a constraint) or the error of each.
std::vector<std::string> commitQueued(MessageCommitter& committer, Holder& holder, std::vector<Message>& messages,
                                      const JsonObject& event,
                                      const std::vector<const MessageCommitter::WithCommit*>& with_commit = {}) {
    std::vector<std::string> outcome(messages.size());
    std::vector<std::thread> writers;
    std::size_t batches = committer.stats().batches;
    for (std::size_t i = 0; i < messages.size(); ++i) {
        writers.emplace_back([&, i] {
            try {
                static const MessageCommitter::WithCommit none;
                const auto* wc = i < with_commit.size() && with_commit[i] ? with_commit[i] : &none;
                committer.commit(messages[i], "message.created", event, *wc);
                outcome[i] = "ok";
            } catch (const soci::soci_error&) {
                outcome[i] = "refused";
            } catch (const std::exception& e) {
                outcome[i] = e.what();
            }
        });
        while (i > 0 && committer.stats().queued < i) std::this_thread::yield();
        while (i == 0 && committer.stats().batches < batches + 1) std::this_thread::yield();
    }
    holder.release();
    for (auto& w : writers) w.join();
    return outcome;
}

}  // namespace

BOOST_AUTO_TEST_SUITE(message_commit)

BOOST_AUTO_TEST_CASE(concurrent_writers_get_gap_free_seqs_in_their_own_order_with_one_event_each) {
    Store s;
    MessageCommitter committer(*s.db);
    std::vector<std::string> conversations;
    for (int i = 0; i < 3; ++i) conversations.push_back(s.conversation());
    const int threads = 8, per_thread = 40;
    std::vector<std::thread> writers;
    std::vector<std::vector<std::pair<std::string, long long>>> got(threads);  // (conversation, seq) per writer
    std::atomic<int> failures{0};
    for (int t = 0; t < threads; ++t)
        writers.emplace_back([&, t] {
            for (int i = 0; i < per_thread; ++i) {
                Message m = s.message(conversations[(t + i) % 3], "w" + std::to_string(t) + "-" + std::to_string(i));
                try {
                    committer.commit(m, "message.created", s.event());
                    got[t].push_back({m.conversation_id, m.seq});
                } catch (const std::exception& e) {
                    BOOST_TEST_MESSAGE("commit failed: " << e.what());
                    ++failures;
                }
            }
        });
    for (auto& w : writers) w.join();
    BOOST_REQUIRE_EQUAL(failures.load(), 0);

    std::map<std::string, std::set<long long>> seqs;
    for (int t = 0; t < threads; ++t) {
        std::map<std::string, long long> last;  // a writer's messages in one conversation: increasing seqs
        for (const auto& [c, seq] : got[t]) {
            BOOST_TEST(seq > last[c]);
            last[c] = seq;
            BOOST_TEST(seqs[c].insert(seq).second, "seq " << seq << " given twice in " << c);
        }
    }
    s.db->read([&](soci::session& sql) {
        ConversationRepository repo(sql);
        for (const auto& c : conversations) {
            auto stored = repo.messagesAfter(c, 0, 1000, true);
            BOOST_TEST(stored.size() == seqs[c].size());
            for (std::size_t i = 0; i < stored.size(); ++i) BOOST_TEST(stored[i].seq == static_cast<long long>(i + 1));
            BOOST_TEST(repo.find(c)->last_seq == static_cast<long long>(stored.size()));
        }
        // One message.created event per message, carrying the message's own seq.
        int events = 0, agreeing = 0;
        soci::rowset<soci::row> rows = (sql.prepare << "SELECT payload FROM outbox_events WHERE name = 'message.created'");
        for (const auto& r : rows) {
            ++events;
            auto payload = storedObject(r.get<std::string>(0));
            auto message = payload->getObject("message");
            std::string c = message->getValue<std::string>("conversation_id");
            if (seqs[c].count(message->getValue<long long>("seq"))) ++agreeing;
        }
        BOOST_TEST(events == threads * per_thread);
        BOOST_TEST(agreeing == threads * per_thread);
    });
    auto stats = committer.stats();
    BOOST_TEST(stats.items == static_cast<std::size_t>(threads * per_thread));
    BOOST_TEST_MESSAGE(s.db->backendName() << ": " << stats.items << " messages in " << stats.batches << " commits");
}

// The slot is held (a write on the first conversation's row on PostgreSQL, the writer's turn on SQLite) so that
// the next messages queue and commit as one group; one of them repeats a stored client message id.
BOOST_AUTO_TEST_CASE(a_refused_message_fails_alone_and_its_group_commits) {
    Store s;
    MessageCommitter committer(*s.db, 1);
    std::string held = s.conversation(), a = s.conversation(), b = s.conversation();
    Message first = s.message(b, "first", "client-1");
    committer.commit(first, "message.created", s.event());

    Holder holder(*s.db, held);
    std::vector<Message> messages = {s.message(held, "blocked"), s.message(a, "a1"), s.message(b, "again", "client-1"),
                                      s.message(a, "a2"), s.message(b, "b2")};
    auto outcome = commitQueued(committer, holder, messages, s.event());
    BOOST_TEST(outcome == (std::vector<std::string>{"ok", "ok", "refused", "ok", "ok"}));
    BOOST_TEST(committer.stats().batches == 3u);  // "first", the held one, then the other four together
    BOOST_TEST(messages[1].seq == 1);
    BOOST_TEST(messages[3].seq == 2);
    BOOST_TEST(messages[4].seq == 2);  // after "first": the refused message took no seq
    s.db->read([&](soci::session& sql) {
        auto stored = ConversationRepository(sql).messagesAfter(b, 0, 10, true);
        BOOST_REQUIRE_EQUAL(stored.size(), 2u);
        BOOST_TEST(stored[0].text == "first");
        BOOST_TEST(stored[1].text == "b2");
        int events = 0;
        sql << "SELECT COUNT(*) FROM outbox_events", soci::into(events);
        BOOST_TEST(events == 5);  // first, blocked, a1, a2, b2
    });
}

BOOST_AUTO_TEST_CASE(a_message_for_an_unknown_conversation_is_refused_and_stores_nothing) {
    Store s;
    MessageCommitter committer(*s.db);
    Message m = s.message(newUuid(), "nobody");
    BOOST_CHECK_THROW(committer.commit(m, "message.created", s.event()), std::exception);
    s.db->read([&](soci::session& sql) {
        int n = 0;
        sql << "SELECT COUNT(*) FROM outbox_events", soci::into(n);
        BOOST_TEST(n == 0);
    });
}

// with_commit statements commit with their message or not at all: in a group, a message of an unknown
// conversation and a refused one leave no row of theirs, and the others' rows commit with them (on PostgreSQL the
// statements are pipelined behind the group's statement, which fails unless all its messages were stored).
BOOST_AUTO_TEST_CASE(with_commit_statements_commit_with_their_message_or_not_at_all) {
    Store s;
    s.db->write([](soci::session& sql) {
        sql << "CREATE TABLE commit_notes (message_id TEXT PRIMARY KEY, seen_at BIGINT)";
    });
    MessageCommitter::WithCommit note;
    const std::string insert = "INSERT INTO commit_notes (message_id, seen_at) VALUES (:m, :at)";
    note.run = [&](soci::session& sql, const Message& m) { sql << insert, soci::use(m.id), soci::use(m.created_at); };
    note.pipelined = [&](const Message& m) {
        return std::vector<PipelinedStatement>{{insert, {m.id, std::to_string(m.created_at)}}};
    };
    MessageCommitter committer(*s.db, 1);
    std::string held = s.conversation(), a = s.conversation(), b = s.conversation();
    Message first = s.message(b, "first", "client-1");
    committer.commit(first, "message.created", s.event(), note);  // alone

    // A group with a message of an unknown conversation, then one with a refused message.
    std::vector<Message> messages = {s.message(held, "blocked"), s.message(a, "a1"), s.message(newUuid(), "nobody"),
                                     s.message(a, "a2")};
    Holder holder(*s.db, held);
    auto outcome = commitQueued(committer, holder, messages, s.event(), {&note, &note, &note});
    BOOST_TEST(outcome[0] == "ok");
    BOOST_TEST(outcome[1] == "ok");
    BOOST_TEST(outcome[2].find("does not exist") != std::string::npos, outcome[2]);
    BOOST_TEST(outcome[3] == "ok");
    std::vector<Message> more = {s.message(held, "blocked again"), s.message(b, "again", "client-1"),
                                 s.message(b, "b2")};
    Holder again(*s.db, held);
    outcome = commitQueued(committer, again, more, s.event(), {nullptr, &note, &note});
    BOOST_TEST(outcome == (std::vector<std::string>{"ok", "refused", "ok"}));
    s.db->read([&](soci::session& sql) {
        std::set<std::string> noted;
        soci::rowset<std::string> rows = (sql.prepare << "SELECT message_id FROM commit_notes");
        for (const auto& id : rows) noted.insert(id);
        BOOST_TEST(noted == (std::set<std::string>{first.id, messages[0].id, messages[1].id, more[2].id}));
        long long seen_at = 0;
        sql << "SELECT seen_at FROM commit_notes WHERE message_id = :m", soci::use(messages[1].id), soci::into(seen_at);
        BOOST_TEST(seen_at == messages[1].created_at);
        int events = 0;
        sql << "SELECT COUNT(*) FROM outbox_events", soci::into(events);
        BOOST_TEST(events == 6);  // first, blocked, a1, a2, blocked again, b2
    });
}

BOOST_AUTO_TEST_SUITE_END()
