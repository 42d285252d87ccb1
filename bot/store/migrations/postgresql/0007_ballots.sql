-- PostgreSQL twin of ../0007_ballots.sql: each member's vote count per challenge, kept by triggers and
-- held under the challenge's cap by a CHECK. Two concurrent votes of one member both upsert this row:
-- the second waits for the first to commit and then adds to its count, so the cap holds without a lock.

CREATE TABLE ballots (
    challenge_id bigint  NOT NULL REFERENCES challenges (id) ON DELETE CASCADE,
    voter_id     bigint  NOT NULL,
    used         integer NOT NULL CHECK (used >= 0),
    cap          integer NOT NULL,
    CHECK (used <= cap),
    PRIMARY KEY (challenge_id, voter_id)
);

INSERT INTO ballots (challenge_id, voter_id, used, cap)
    SELECT v.challenge_id, v.voter_id, count(*), greatest(c.max_votes, count(*))
      FROM votes v JOIN challenges c ON c.id = v.challenge_id
     GROUP BY v.challenge_id, v.voter_id, c.max_votes;

CREATE FUNCTION votes_ballot() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO ballots (challenge_id, voter_id, used, cap)
            SELECT NEW.challenge_id, NEW.voter_id, 1, max_votes FROM challenges WHERE id = NEW.challenge_id
            ON CONFLICT (challenge_id, voter_id) DO UPDATE SET used = ballots.used + 1;
    ELSE
        UPDATE ballots SET used = used - 1 WHERE challenge_id = OLD.challenge_id AND voter_id = OLD.voter_id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER votes_ballot_insert AFTER INSERT ON votes FOR EACH ROW EXECUTE FUNCTION votes_ballot();
CREATE TRIGGER votes_ballot_delete AFTER DELETE ON votes FOR EACH ROW EXECUTE FUNCTION votes_ballot();
