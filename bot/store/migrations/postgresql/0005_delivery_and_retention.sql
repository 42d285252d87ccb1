-- PostgreSQL twin of ../0005_delivery_and_retention.sql: the job state 'rendered' (clip stored, not yet
-- posted), and the index of clips that still hold audio. PostgreSQL changes the checks in place.

ALTER TABLE jobs DROP CONSTRAINT jobs_state_check;
ALTER TABLE jobs ADD CONSTRAINT jobs_state_check
    CHECK (state IN ('queued', 'running', 'rendered', 'done', 'failed'));
ALTER TABLE jobs ADD CONSTRAINT jobs_rendered_has_clip CHECK (state <> 'rendered' OR clip_id IS NOT NULL);
DROP INDEX jobs_unfinished;
CREATE INDEX jobs_unfinished ON jobs (state) WHERE state IN ('queued', 'running', 'rendered');

CREATE INDEX clips_with_audio ON clips (id) WHERE length(audio) > 0;
