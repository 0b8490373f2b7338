-- Annotation queues (crates/store annotation_queues/): metadata store. A queue names the score
-- configs its reviewers score with; its items are traces, observations or sessions to review,
-- each locked to one reviewer for a while when it is handed out; assignments say which members
-- work a queue.
CREATE TABLE annotation_queues (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT,
    score_config_ids TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE UNIQUE INDEX annotation_queues_name_idx ON annotation_queues (project_id, name);
CREATE INDEX annotation_queues_created_idx ON annotation_queues (project_id, created_at);

CREATE TABLE annotation_queue_items (
    project_id TEXT NOT NULL,
    id TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    object_id TEXT NOT NULL,
    object_type TEXT NOT NULL,
    status TEXT NOT NULL,
    locked_at BIGINT,
    locked_by_user_id TEXT,
    annotator_user_id TEXT,
    completed_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id),
    FOREIGN KEY (project_id, queue_id) REFERENCES annotation_queues (project_id, id)
        ON DELETE CASCADE
);
CREATE INDEX annotation_queue_items_queue_idx
    ON annotation_queue_items (project_id, queue_id, status, created_at);
CREATE INDEX annotation_queue_items_object_idx
    ON annotation_queue_items (project_id, object_id, object_type);

CREATE TABLE annotation_queue_assignments (
    project_id TEXT NOT NULL,
    queue_id TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, queue_id, user_id),
    FOREIGN KEY (project_id, queue_id) REFERENCES annotation_queues (project_id, id)
        ON DELETE CASCADE
);
