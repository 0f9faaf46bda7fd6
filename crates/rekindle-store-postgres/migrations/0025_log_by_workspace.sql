-- Followers read a workspace's log in id order (`events_between`, the horizon's MAX(id)). With
-- only the id key and the (workspace, time) index, a generic plan over a grown log combined
-- both as bitmaps and sorted the whole range for every page (264 ms for a page of 2,000 at a
-- million events, against well under a millisecond through this index).
CREATE INDEX events_log ON events (workspace_id, id);
