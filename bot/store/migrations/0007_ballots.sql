-- The vote cap, enforced by the database itself: one row per member and challenge counts the member's
-- votes there (kept by triggers, like entries.vote_count) and may not pass the challenge's cap. A vote is
-- then one statement on every backend: on PostgreSQL, two concurrent votes of one member queue on this
-- row, and the second sees the first's count. Times are Unix seconds (REAL, UTC).

CREATE TABLE ballots (
    challenge_id INTEGER NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    voter_id     INTEGER NOT NULL,
    used         INTEGER NOT NULL CHECK (used >= 0),
    cap          INTEGER NOT NULL,
    CHECK (used <= cap),
    PRIMARY KEY (challenge_id, voter_id)
) WITHOUT ROWID;

-- Votes cast before there was a cap (schema v1) may exceed it: such a ballot keeps its count as its cap.
INSERT INTO ballots (challenge_id, voter_id, used, cap)
    SELECT v.challenge_id, v.voter_id, count(*), max(c.max_votes, count(*))
      FROM votes v JOIN challenges c ON c.id = v.challenge_id
     GROUP BY v.challenge_id, v.voter_id;

CREATE TRIGGER votes_ballot_insert AFTER INSERT ON votes BEGIN
    INSERT INTO ballots (challenge_id, voter_id, used, cap)
        SELECT NEW.challenge_id, NEW.voter_id, 1, max_votes FROM challenges WHERE id = NEW.challenge_id
        ON CONFLICT (challenge_id, voter_id) DO UPDATE SET used = used + 1;
END;
CREATE TRIGGER votes_ballot_delete AFTER DELETE ON votes BEGIN
    UPDATE ballots SET used = used - 1 WHERE challenge_id = OLD.challenge_id AND voter_id = OLD.voter_id;
END;
