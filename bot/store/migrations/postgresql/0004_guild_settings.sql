-- PostgreSQL twin of ../0004_guild_settings.sql: per-server settings, synced command tree hashes,
-- retired votes of members who erased their data.

CREATE TABLE guild_settings (
    guild_id             bigint PRIMARY KEY,
    moderator_role_id    bigint,
    moderator_role_name  text    CHECK (moderator_role_name IS NULL OR length(moderator_role_name) <= 100),
    max_bars             integer CHECK (max_bars IS NULL OR max_bars BETWEEN 1 AND 64),
    default_style        text    CHECK (default_style IS NULL OR length(default_style) BETWEEN 1 AND 40),
    challenge_channel_id bigint,
    private_listings     integer CHECK (private_listings IS NULL OR private_listings IN (0, 1)),
    updated_by           bigint,
    updated_at           double precision NOT NULL,
    CHECK ((moderator_role_id IS NULL) = (moderator_role_name IS NULL))
);

CREATE TABLE command_syncs (
    application_id bigint NOT NULL,
    scope          bigint NOT NULL,
    tree_hash      text   NOT NULL CHECK (length(tree_hash) = 64),
    synced_at      double precision NOT NULL,
    PRIMARY KEY (application_id, scope)
);

ALTER TABLE entries ADD COLUMN retired_votes integer NOT NULL DEFAULT 0 CHECK (retired_votes >= 0);

CREATE INDEX clips_by_parent ON clips (parent_id);
CREATE INDEX jobs_by_clip ON jobs (clip_id);
