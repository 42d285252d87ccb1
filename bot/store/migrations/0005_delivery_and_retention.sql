-- Delivery: a job is done only once its clip is posted. The new state 'rendered' sits between 'running' and
-- 'done': the clip is stored (clip_id set) but not yet posted, so a restart posts it (or tells its user)
-- instead of reporting it done. SQLite cannot change a CHECK constraint in place: the table is rebuilt
-- with every row kept (nothing references jobs).

CREATE TABLE jobs_v4 (
    id                INTEGER PRIMARY KEY,
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
INSERT INTO jobs_v4 (id, kind, guild_id, channel_id, user_id, request, state, application_id,
                     interaction_token, clip_id, error, created_at, started_at, finished_at)
    SELECT id, kind, guild_id, channel_id, user_id, request, state, application_id,
           interaction_token, clip_id, error, created_at, started_at, finished_at
      FROM jobs;
DROP TABLE jobs;
ALTER TABLE jobs_v4 RENAME TO jobs;
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running', 'rendered');

-- Retention: the audio of old clips is dropped (set to an empty blob) once the newest clips' audio fills the
-- store's budget; MIDI and facts stay for every clip. This index lists the clips that still hold audio,
-- newest first, so trimming reads only those rows.
CREATE INDEX clips_with_audio ON clips (id) WHERE length(audio) > 0;
