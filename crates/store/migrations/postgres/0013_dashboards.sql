-- Custom dashboards and their widgets (crates/store dashboards/): metadata store. A widget is a
-- saved metrics query with a chart type; a dashboard's definition is its tiles (placements of
-- widgets or presets) as the API's JSON, its filters the API's filter JSON.
CREATE TABLE dashboard_widgets (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    view TEXT NOT NULL,
    dimensions TEXT NOT NULL DEFAULT '[]',
    metrics TEXT NOT NULL DEFAULT '[]',
    filters TEXT NOT NULL DEFAULT '[]',
    chart_type TEXT NOT NULL,
    chart_config TEXT NOT NULL DEFAULT '{}',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX dashboard_widgets_updated_idx ON dashboard_widgets (project_id, updated_at);

CREATE TABLE dashboards (
    project_id TEXT NOT NULL REFERENCES projects (id) ON DELETE CASCADE,
    id TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    definition TEXT NOT NULL DEFAULT '[]',
    filters TEXT NOT NULL DEFAULT '[]',
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    PRIMARY KEY (project_id, id)
);
CREATE INDEX dashboards_updated_idx ON dashboards (project_id, updated_at);
