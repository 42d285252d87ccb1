-- Ids are never reused. Without AUTOINCREMENT, SQLite gives a new row max(id) + 1, so deleting the newest
-- entry, clip, job or challenge (a moderator's removal, /privacy, retention) hands its id to the next row,
-- and an old Discord button ("Play #4", Regenerate on a clip, a leaderboard page) would act on the new
-- row, maybe another member's. AUTOINCREMENT keeps the largest id ever used in sqlite_sequence; the copy
-- below seeds it with each table's current max id (ids freed at the top before this migration are lost).
--
-- SQLite cannot add AUTOINCREMENT in place: each table is rebuilt with its columns in the same order and
-- every constraint, index and trigger exactly as before (the documented "other kinds of schema changes"
-- procedure). apply_migrations (bot/store/sqlite.py) runs migrations with foreign keys off, so dropping a
-- parent here cascades to nothing, and checks every foreign key before the commit. The vote triggers
-- name entries and challenges in their bodies; they are dropped first and recreated as they were, since
-- SQLite's RENAME refuses a schema whose triggers name a missing table.
--
-- One index comes back: 0005's rebuild of jobs dropped jobs_by_clip (0004) without recreating it, so each
-- deleted clip scanned all jobs again; PostgreSQL kept it.

DROP TRIGGER votes_count_insert;
DROP TRIGGER votes_count_delete;
DROP TRIGGER votes_ballot_insert;

CREATE TABLE challenges_v8 (
    id                  INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id            INTEGER NOT NULL,
    channel_id          INTEGER NOT NULL,
    created_by          INTEGER NOT NULL,
    title               TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    prompt              TEXT    NOT NULL CHECK (length(prompt) <= 2000),
    phase               TEXT    NOT NULL DEFAULT 'submissions'
                                CHECK (phase IN ('submissions', 'voting', 'closed', 'cancelled')),
    created_at          REAL    NOT NULL,
    submission_deadline REAL    NOT NULL,
    voting_deadline     REAL    NOT NULL,
    max_votes           INTEGER NOT NULL DEFAULT 3 CHECK (max_votes BETWEEN 1 AND 25),
    hide_leaderboard    INTEGER NOT NULL DEFAULT 0 CHECK (hide_leaderboard IN (0, 1)),
    cancel_reason       TEXT
        CHECK (cancel_reason IS NULL OR (phase = 'cancelled' AND length(cancel_reason) BETWEEN 1 AND 500)),
    ended_at            REAL,                 -- when it was closed or cancelled
    voting_announced_at REAL,                 -- "voting is open" posted (once)
    results_posted_at   REAL    CHECK (results_posted_at IS NULL OR phase = 'closed'),  -- results posted (once)
    CHECK (created_at < submission_deadline AND submission_deadline < voting_deadline),
    UNIQUE (guild_id, id)
);
INSERT INTO challenges_v8 (id, guild_id, channel_id, created_by, title, prompt, phase, created_at,
                           submission_deadline, voting_deadline, max_votes, hide_leaderboard, cancel_reason,
                           ended_at, voting_announced_at, results_posted_at)
    SELECT id, guild_id, channel_id, created_by, title, prompt, phase, created_at,
           submission_deadline, voting_deadline, max_votes, hide_leaderboard, cancel_reason,
           ended_at, voting_announced_at, results_posted_at
      FROM challenges;
DROP TABLE challenges;
ALTER TABLE challenges_v8 RENAME TO challenges;
CREATE INDEX challenges_by_guild ON challenges (guild_id, phase);
CREATE UNIQUE INDEX one_running_challenge_per_guild ON challenges (guild_id)
    WHERE phase IN ('submissions', 'voting');
CREATE INDEX challenges_by_deadline ON challenges (phase, submission_deadline, voting_deadline);

CREATE TABLE entries_v8 (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id      INTEGER NOT NULL,
    challenge_id  INTEGER NOT NULL,
    author_id     INTEGER NOT NULL,
    title         TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    note          TEXT    NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    kind          TEXT    NOT NULL CHECK (kind IN ('midi', 'audio', 'clip', 'link')),
    payload       BLOB    CHECK (payload IS NULL OR length(payload) <= 8388608),
    reference     TEXT,   -- a jazzbot clip id (kind 'clip') or an http(s) URL (kind 'link')
    submitted_at  REAL    NOT NULL,
    filename      TEXT    CHECK (filename IS NULL OR length(filename) BETWEEN 1 AND 100),
    vote_count    INTEGER NOT NULL DEFAULT 0 CHECK (vote_count >= 0),
    retired_votes INTEGER NOT NULL DEFAULT 0 CHECK (retired_votes >= 0),
    -- what each kind needs: stored bytes for files, a reference (clip id or URL) otherwise
    CHECK ((kind IN ('midi', 'audio') AND payload IS NOT NULL AND reference IS NULL)
        OR (kind IN ('clip', 'link') AND payload IS NULL AND reference IS NOT NULL)),
    CHECK (kind <> 'link' OR reference LIKE 'http://%' OR reference LIKE 'https://%'),
    FOREIGN KEY (guild_id, challenge_id) REFERENCES challenges (guild_id, id) ON DELETE CASCADE,
    UNIQUE (challenge_id, author_id),
    UNIQUE (id, author_id),
    UNIQUE (guild_id, challenge_id, id)
);
INSERT INTO entries_v8 (id, guild_id, challenge_id, author_id, title, note, kind, payload, reference,
                        submitted_at, filename, vote_count, retired_votes)
    SELECT id, guild_id, challenge_id, author_id, title, note, kind, payload, reference,
           submitted_at, filename, vote_count, retired_votes
      FROM entries;
DROP TABLE entries;
ALTER TABLE entries_v8 RENAME TO entries;
CREATE INDEX entries_by_author ON entries (guild_id, author_id);
CREATE INDEX entries_ranked ON entries (guild_id, challenge_id, vote_count DESC, submitted_at, id, author_id, title);

CREATE TABLE removed_entries_v8 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     INTEGER NOT NULL,
    challenge_id INTEGER NOT NULL,
    author_id    INTEGER NOT NULL,
    title        TEXT    NOT NULL,
    reason       TEXT    NOT NULL CHECK (length(reason) BETWEEN 1 AND 500),
    removed_by   INTEGER NOT NULL,
    removed_at   REAL    NOT NULL,
    FOREIGN KEY (guild_id, challenge_id) REFERENCES challenges (guild_id, id) ON DELETE CASCADE
);
INSERT INTO removed_entries_v8 (id, guild_id, challenge_id, author_id, title, reason, removed_by, removed_at)
    SELECT id, guild_id, challenge_id, author_id, title, reason, removed_by, removed_at
      FROM removed_entries;
DROP TABLE removed_entries;
ALTER TABLE removed_entries_v8 RENAME TO removed_entries;
CREATE INDEX removed_entries_by_author ON removed_entries (guild_id, author_id);

CREATE TABLE clips_v8 (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    guild_id     INTEGER,                 -- NULL: a direct message or the local console
    channel_id   INTEGER,
    user_id      INTEGER NOT NULL,
    parent_id    INTEGER REFERENCES clips (id) ON DELETE SET NULL,  -- the clip regenerated/extended/varied
    request      TEXT    NOT NULL CHECK (json_valid(request)),       -- JazzRequest.to_dict(), seed resolved
    seed         INTEGER NOT NULL,
    progression  TEXT    NOT NULL,        -- as the composer resolved it: a library slug or the chart text
    midi         BLOB    NOT NULL,
    audio        BLOB    NOT NULL,        -- empty when the file was larger than the store's cap
    audio_format TEXT    NOT NULL CHECK (audio_format IN ('ogg', 'mp3')),
    duration     REAL    NOT NULL CHECK (duration >= 0),
    chart        TEXT    NOT NULL,
    message_id   INTEGER,
    created_at   REAL    NOT NULL
);
INSERT INTO clips_v8 (id, guild_id, channel_id, user_id, parent_id, request, seed, progression, midi, audio,
                      audio_format, duration, chart, message_id, created_at)
    SELECT id, guild_id, channel_id, user_id, parent_id, request, seed, progression, midi, audio,
           audio_format, duration, chart, message_id, created_at
      FROM clips;
DROP TABLE clips;
ALTER TABLE clips_v8 RENAME TO clips;
CREATE INDEX clips_by_user ON clips (guild_id, user_id, id);
CREATE INDEX clips_by_parent ON clips (parent_id);
CREATE INDEX clips_with_audio ON clips (id) WHERE length(audio) > 0;

CREATE TABLE jobs_v8 (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    kind              TEXT    NOT NULL CHECK (kind IN ('compose', 'regenerate', 'extend', 'vary')),
    guild_id          INTEGER,
    channel_id        INTEGER,
    user_id           INTEGER NOT NULL,
    request           TEXT    NOT NULL CHECK (json_valid(request)),
    state             TEXT    NOT NULL DEFAULT 'queued'
                              CHECK (state IN ('queued', 'running', 'rendered', 'done', 'failed')),
    -- a Discord interaction's follow-up credentials, valid 15 minutes; cleared when the job ends
    application_id    INTEGER,
    interaction_token TEXT,
    clip_id           INTEGER REFERENCES clips (id) ON DELETE SET NULL,
    error             TEXT,
    created_at        REAL    NOT NULL,
    started_at        REAL,
    finished_at       REAL,
    CHECK ((application_id IS NULL) = (interaction_token IS NULL)),
    CHECK (state <> 'failed' OR error IS NOT NULL),
    CHECK (state <> 'rendered' OR clip_id IS NOT NULL)
);
INSERT INTO jobs_v8 (id, kind, guild_id, channel_id, user_id, request, state, application_id,
                     interaction_token, clip_id, error, created_at, started_at, finished_at)
    SELECT id, kind, guild_id, channel_id, user_id, request, state, application_id,
           interaction_token, clip_id, error, created_at, started_at, finished_at
      FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v8 RENAME TO jobs;
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running', 'rendered');
CREATE INDEX jobs_by_clip ON jobs (clip_id);  -- lost in 0005, see above

CREATE TRIGGER votes_count_insert AFTER INSERT ON votes BEGIN
    UPDATE entries SET vote_count = vote_count + 1 WHERE id = NEW.entry_id;
END;
CREATE TRIGGER votes_count_delete AFTER DELETE ON votes BEGIN
    UPDATE entries SET vote_count = vote_count - 1 WHERE id = OLD.entry_id;
END;
CREATE TRIGGER votes_ballot_insert AFTER INSERT ON votes BEGIN
    INSERT INTO ballots (challenge_id, voter_id, used, cap)
        SELECT NEW.challenge_id, NEW.voter_id, 1, max_votes FROM challenges WHERE id = NEW.challenge_id
        ON CONFLICT (challenge_id, voter_id) DO UPDATE SET used = used + 1;
END;
