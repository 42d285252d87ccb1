-- Challenge rules, schema v2: per-challenge vote cap and hidden leaderboard, reasons for cancelled
-- challenges and removed entries, markers so each announcement goes out once, a vote counter kept by
-- triggers (the leaderboard reads 1,000 rows instead of counting 100,000 votes), at most one running
-- challenge per guild. Columns are added (not tables rebuilt) so a v1 file keeps every row.

ALTER TABLE challenges ADD COLUMN max_votes INTEGER NOT NULL DEFAULT 3 CHECK (max_votes BETWEEN 1 AND 25);
ALTER TABLE challenges ADD COLUMN hide_leaderboard INTEGER NOT NULL DEFAULT 0
    CHECK (hide_leaderboard IN (0, 1));
ALTER TABLE challenges ADD COLUMN cancel_reason TEXT
    CHECK (cancel_reason IS NULL OR (phase = 'cancelled' AND length(cancel_reason) BETWEEN 1 AND 500));
ALTER TABLE challenges ADD COLUMN ended_at REAL;               -- when it was closed or cancelled
ALTER TABLE challenges ADD COLUMN voting_announced_at REAL;    -- "voting is open" posted (once)
ALTER TABLE challenges ADD COLUMN results_posted_at REAL
    CHECK (results_posted_at IS NULL OR phase = 'closed');     -- results posted (once)

-- v1 allowed several running challenges per guild; keep the newest running, close the older ones.
UPDATE challenges SET phase = 'closed'
 WHERE phase IN ('submissions', 'voting')
   AND id NOT IN (SELECT max(id) FROM challenges WHERE phase IN ('submissions', 'voting') GROUP BY guild_id);
CREATE UNIQUE INDEX one_running_challenge_per_guild ON challenges (guild_id)
    WHERE phase IN ('submissions', 'voting');
CREATE INDEX challenges_by_deadline ON challenges (phase, submission_deadline, voting_deadline);

ALTER TABLE entries ADD COLUMN filename TEXT CHECK (filename IS NULL OR length(filename) BETWEEN 1 AND 100);
ALTER TABLE entries ADD COLUMN vote_count INTEGER NOT NULL DEFAULT 0 CHECK (vote_count >= 0);
UPDATE entries SET vote_count = (SELECT count(*) FROM votes WHERE votes.entry_id = entries.id);
CREATE INDEX entries_by_author ON entries (guild_id, author_id);
-- The leaderboard in rank order straight from the index (a covering index: no table reads, no sort).
CREATE INDEX entries_ranked ON entries (guild_id, challenge_id, vote_count DESC, submitted_at, id, author_id, title);

CREATE TRIGGER votes_count_insert AFTER INSERT ON votes BEGIN
    UPDATE entries SET vote_count = vote_count + 1 WHERE id = NEW.entry_id;
END;
CREATE TRIGGER votes_count_delete AFTER DELETE ON votes BEGIN
    UPDATE entries SET vote_count = vote_count - 1 WHERE id = OLD.entry_id;
END;

-- An entry a moderator removed: the author is shown the reason (profile, and the removal notice).
CREATE TABLE removed_entries (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    challenge_id INTEGER NOT NULL,
    author_id    INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    reason       TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    removed_by   INTEGER NOT NULL,
    removed_at   REAL    NOT NULL,
    FOREIGN KEY (guild_id, challenge_id) REFERENCES challenges (guild_id, id) ON DELETE CASCADE
);
CREATE INDEX removed_entries_by_author ON removed_entries (guild_id, author_id);
