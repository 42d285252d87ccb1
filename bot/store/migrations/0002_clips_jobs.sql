-- Clips the bot posted (so Regenerate/Extend/Vary work after a restart) and the jobs that made them
-- (so a restart can tell the users whose jobs it interrupted). Times are Unix seconds (REAL, UTC).

CREATE TABLE clips (
    id           INTEGER PRIMARY KEY,
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
CREATE INDEX clips_by_user ON clips (guild_id, user_id, id);

CREATE TABLE jobs (
    id                INTEGER PRIMARY KEY,
    kind              TEXT    NOT NULL CHECK (kind IN ('compose', 'regenerate', 'extend', 'vary')),
    guild_id          INTEGER,
    channel_id        INTEGER,
    user_id           INTEGER NOT NULL,
    request           TEXT    NOT NULL CHECK (json_valid(request)),
    state             TEXT    NOT NULL DEFAULT 'queued'
                              CHECK (state IN ('queued', 'running', 'done', 'failed')),
    -- a Discord interaction's follow-up credentials, valid 15 minutes; cleared when the job ends
    application_id    INTEGER,
    interaction_token TEXT,
    clip_id           INTEGER REFERENCES clips (id) ON DELETE SET NULL,
    error             TEXT,
    created_at        REAL    NOT NULL,
    started_at        REAL,
    finished_at       REAL,
    CHECK ((application_id IS NULL) = (interaction_token IS NULL)),
    CHECK (state <> 'failed' OR error IS NOT NULL)
);
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running');
