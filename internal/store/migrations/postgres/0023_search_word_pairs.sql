-- Phrases through the index. A GIN index holds lexemes, not positions, so
-- a phrase was checked post by post over every post holding all its
-- words ("small family": 58,746 posts have both words, none the phrase),
-- and the planner took the phrase's words for independent, so a phrase
-- in 10% of the posts was planned as one in 0.1%. Each post's vector now
-- also holds its neighbouring lexemes as pairs ('small famili': a space
-- is in no lexeme the parser makes); a phrase asks the index for its
-- pairs, whose own statistics size it, and the positional phrase is
-- checked in the posts found. Title and body are paired apart (no pair
-- spans the two); pairs skip stopwords ("cost of living" pairs
-- 'cost live') as a phrase query does. Pairs carry no positions or
-- weight, and ranking leaves them out.

-- hearth_word_pairs lists v's neighbouring lexemes as pairs, in
-- PL/pgSQL: a window over the unnested positions made a reply's vector
-- cost 195 us instead of 40; this loop, 85.
CREATE FUNCTION hearth_word_pairs(v tsvector) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    at text[] := '{}'; -- the lexeme at each position
    pairs text[] := '{}';
    r record;
    p int;
    prev text;
BEGIN
    FOR r IN SELECT u.lexeme, u.positions FROM unnest(v) AS u LOOP
        FOREACH p IN ARRAY COALESCE(r.positions, '{}') LOOP
            at[p] := r.lexeme;
        END LOOP;
    END LOOP;
    FOR p IN 1 .. COALESCE(array_upper(at, 1), 0) LOOP
        IF at[p] IS NOT NULL THEN
            IF prev IS NOT NULL THEN
                pairs := pairs || (prev || ' ' || at[p]);
            END IF;
            prev := at[p];
        END IF;
    END LOOP;
    RETURN array_to_tsvector(pairs);
END
$$;

CREATE OR REPLACE FUNCTION hearth_post_search(title text, body text) RETURNS tsvector
LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
DECLARE
    t tsvector := to_tsvector('hearth_search', title);
    b tsvector := to_tsvector('hearth_search', body);
BEGIN
    RETURN setweight(t, 'A') || setweight(b, 'D') || hearth_word_pairs(t) || hearth_word_pairs(b);
END
$$;

-- hearth_phrase_pairs is what the index looks up for a phrase: its pairs
-- when it has two lexemes or more (quoted as tsquery lexemes, never parsed
-- again, so the space stays in them), else its one lexeme. The search
-- checks the positional phrase beside it through ts_match_vq, not @@, so
-- that the planner estimates the rows from the pairs' own statistics: @@
-- on the phrase as well multiplies in its words' frequencies as if they
-- were independent, and a phrase in 10% of the posts was taken for one in
-- 0.1% (52,000 rechecks through the index instead of a walk of the newest
-- 6,000 posts).
CREATE FUNCTION hearth_phrase_pairs(phrase text) RETURNS tsquery
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT COALESCE((SELECT string_agg('''' || replace(replace(l, '\', '\\'), '''', '''''') || '''', ' & ')
                     FROM unnest(tsvector_to_array(hearth_word_pairs(to_tsvector('hearth_search', phrase)))) AS l)::tsquery,
                    phraseto_tsquery('hearth_search', phrase))
$$;

-- Every post's vector again, with its pairs. The index is made afresh
-- after the update rather than kept through it (one build, not half a
-- million insertions).
DROP INDEX posts_search;
UPDATE posts p SET search = hearth_post_search(CASE WHEN p.position = 1 THEN t.title ELSE '' END, p.body)
FROM threads t WHERE t.id = p.thread_id;
CREATE INDEX posts_search ON posts USING GIN (search);
