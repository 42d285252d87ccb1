-- Community challenges: a challenge per guild, one entry per member, votes on entries.
-- The constraints enforce the rules on their own, even if application code is wrong.
-- Times are Unix seconds (REAL, UTC).

CREATE TABLE challenges (
    id                  INTEGER PRIMARY KEY,
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
    CHECK (created_at < submission_deadline AND submission_deadline < voting_deadline),
    UNIQUE (guild_id, id)
);
CREATE INDEX challenges_by_guild ON challenges (guild_id, phase);

CREATE TABLE entries (
    id           INTEGER PRIMARY KEY,
    guild_id     INTEGER NOT NULL,
    challenge_id INTEGER NOT NULL,
    author_id    INTEGER NOT NULL,
    title        TEXT    NOT NULL CHECK (length(title) BETWEEN 1 AND 100),
    note         TEXT    NOT NULL DEFAULT '' CHECK (length(note) <= 1000),
    kind         TEXT    NOT NULL CHECK (kind IN ('midi', 'audio', 'clip', 'link')),
    payload      BLOB    CHECK (payload IS NULL OR length(payload) <= 8388608),
    reference    TEXT,   -- a jazzbot clip id (kind 'clip') or an http(s) URL (kind 'link')
    submitted_at REAL    NOT NULL,
    -- what each kind needs: stored bytes for files, a reference (clip id or URL) otherwise
    CHECK ((kind IN ('midi', 'audio') AND payload IS NOT NULL AND reference IS NULL)
        OR (kind IN ('clip', 'link') AND payload IS NULL AND reference IS NOT NULL)),
    CHECK (kind <> 'link' OR reference LIKE 'http://%' OR reference LIKE 'https://%'),
    FOREIGN KEY (guild_id, challenge_id) REFERENCES challenges (guild_id, id) ON DELETE CASCADE,
    UNIQUE (challenge_id, author_id),
    UNIQUE (id, author_id),
    UNIQUE (guild_id, challenge_id, id)
);

CREATE TABLE votes (
    guild_id        INTEGER NOT NULL,
    challenge_id    INTEGER NOT NULL,
    entry_id        INTEGER NOT NULL,
    entry_author_id INTEGER NOT NULL,
    voter_id        INTEGER NOT NULL,
    cast_at         REAL    NOT NULL,
    PRIMARY KEY (entry_id, voter_id),
    CHECK (voter_id <> entry_author_id),
    FOREIGN KEY (entry_id, entry_author_id) REFERENCES entries (id, author_id) ON DELETE CASCADE,
    FOREIGN KEY (guild_id, challenge_id, entry_id)
        REFERENCES entries (guild_id, challenge_id, id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX votes_by_voter ON votes (challenge_id, voter_id);
