-- The per-number send pace shared by every node: the next free send slot (microseconds since the epoch). A
-- sender claims a few slots with one UPDATE (next_at moves on by n intervals) and sends in them, so N nodes
-- together keep the number's rate.
CREATE TABLE whatsapp_send_pace (
    phone_number_id TEXT PRIMARY KEY,
    next_at BIGINT NOT NULL
);
