-- Tracked links (docs/journeys.md, "Tracked links"): the short links `/l/{code}` a send's web
-- addresses became. The code is unique across workspaces (the workspace is part of what it is
-- made from), so a click is looked up by the code alone.
CREATE TABLE tracked_links (
    code          TEXT PRIMARY KEY,
    workspace_id  BIGINT NOT NULL REFERENCES workspaces(id),
    send_key      TEXT NOT NULL,
    person_id     UUID NOT NULL,
    journey_id    BIGINT,
    step          TEXT,
    variant       TEXT,
    channel       TEXT NOT NULL,
    url           TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL
);
-- Erasure and export find a person's links.
CREATE INDEX tracked_links_person ON tracked_links(workspace_id, person_id);
