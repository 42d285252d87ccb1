-- Operating the bot: per-server settings, the hash of the command tree last synced to Discord, and
-- votes kept in finished challenges after their voter deleted their data (/privacy).
-- Times are Unix seconds (REAL, UTC).

-- What a server's members with Manage Server chose with /settings; NULL means "the bot's default"
-- (JAZZBOT_MODERATOR_ROLE, JAZZBOT_MAX_BARS, swing, the channel /challenge start is used in).
CREATE TABLE guild_settings (
    guild_id             INTEGER PRIMARY KEY,
    moderator_role_id    INTEGER,
    moderator_role_name  TEXT    CHECK (moderator_role_name IS NULL OR length(moderator_role_name) <= 100),
    max_bars             INTEGER CHECK (max_bars IS NULL OR max_bars BETWEEN 1 AND 64),
    default_style        TEXT    CHECK (default_style IS NULL OR length(default_style) BETWEEN 1 AND 40),
    challenge_channel_id INTEGER,
    private_listings     INTEGER CHECK (private_listings IS NULL OR private_listings IN (0, 1)),
    updated_by           INTEGER,
    updated_at           REAL    NOT NULL,
    CHECK ((moderator_role_id IS NULL) = (moderator_role_name IS NULL))
);

-- The command tree's payload hash per application and scope (0: global, else a guild id), so a start
-- with an unchanged tree skips Discord's rate-limited bulk overwrite.
CREATE TABLE command_syncs (
    application_id INTEGER NOT NULL,
    scope          INTEGER NOT NULL,
    tree_hash      TEXT    NOT NULL CHECK (length(tree_hash) = 64),
    synced_at      REAL    NOT NULL,
    PRIMARY KEY (application_id, scope)
) WITHOUT ROWID;

-- Votes in an ended challenge whose voters deleted their data (/privacy): the vote rows are gone, the
-- count they gave stays, so announced results never change. vote_count = count(votes) + retired_votes.
ALTER TABLE entries ADD COLUMN retired_votes INTEGER NOT NULL DEFAULT 0 CHECK (retired_votes >= 0);

-- Deleting a clip makes SQLite look for clips made from it and jobs that made it (ON DELETE SET NULL);
-- without these indexes each deleted clip scans both tables (bench.privacy: 40 of 20,000 clips erased in
-- 0.8-1.4 s without them, 60-100 ms with them).
CREATE INDEX clips_by_parent ON clips (parent_id);
CREATE INDEX jobs_by_clip ON jobs (clip_id);
