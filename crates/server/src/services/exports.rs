//! Batch exports (`features.md` §6.1): a table view's rows, with the filters it shows, written
//! by an `export.run` job to blob storage as CSV, JSON or JSON Lines, then downloadable until
//! the link expires. The job pages through the store (observations and scores by keyset
//! cursor, traces, sessions and dataset items by page) and streams each page to a multipart
//! upload, so memory stays bounded whatever the size; progress (rows written) is recorded after
//! every page. Rows have the public API's shapes.

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use sightline_domain::ProjectId;
use sightline_domain::time::{Millis, now_ms, to_iso};
use sightline_store::{
    BatchExport, DatasetItemQuery, ExportStatus, NewJob, ObservationCursor, ObservationQuery,
    ScoreCursor, ScoreQuery, SessionQuery, StoreError, StoreResult, TraceQuery,
};

use crate::services::blobs::BlobError;
use crate::state::AppState;
use crate::views;

pub const EXPORT_JOB: &str = "export.run";
/// Rows per store read (Langfuse's `BATCH_EXPORT_PAGE_SIZE`).
pub const PAGE: u64 = 500;
/// Most rows in one export (Langfuse's `BATCH_EXPORT_ROW_LIMIT`).
pub const ROW_LIMIT: u64 = 1_500_000;
/// How long a finished export can be downloaded (`BATCH_EXPORT_DOWNLOAD_LINK_EXPIRATION_HOURS`).
pub const KEEP_MS: Millis = 24 * 3600 * 1000;
/// Lifetime of a presigned download URL handed out for a finished export.
pub const DOWNLOAD_URL_TTL: Duration = Duration::from_secs(600);

/// What an export reads: a table and the store query of its view.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "table", content = "query", rename_all = "snake_case")]
pub enum ExportQuery {
    Traces(TraceQuery),
    Observations(ObservationQuery),
    Scores(Box<ScoreQuery>),
    Sessions(SessionQuery),
    DatasetItems(DatasetItemsExport),
}

/// The items of one dataset, as its page lists them (newest first, archived ones included).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DatasetItemsExport {
    pub dataset_id: String,
}

impl ExportQuery {
    pub fn table_name(&self) -> &'static str {
        match self {
            ExportQuery::Traces(_) => "traces",
            ExportQuery::Observations(_) => "observations",
            ExportQuery::Scores(_) => "scores",
            ExportQuery::Sessions(_) => "sessions",
            ExportQuery::DatasetItems(_) => "dataset_items",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Json,
    Jsonl,
}

impl Format {
    pub fn parse(raw: &str) -> Option<Format> {
        match raw.to_ascii_uppercase().as_str() {
            "CSV" => Some(Format::Csv),
            "JSON" => Some(Format::Json),
            "JSONL" => Some(Format::Jsonl),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Format::Csv => "CSV",
            Format::Json => "JSON",
            Format::Jsonl => "JSONL",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Format::Csv => "csv",
            Format::Json => "json",
            Format::Jsonl => "jsonl",
        }
    }

    /// Langfuse's content types of export files.
    pub fn content_type(self) -> &'static str {
        match self {
            Format::Csv => "text/csv; charset=utf-8",
            Format::Json => "application/json; charset=utf-8",
            Format::Jsonl => "application/x-ndjson; charset=utf-8",
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("blob storage failed: {0}")]
    Blob(#[from] BlobError),
    #[error("{0}")]
    Encode(String),
    /// The export has no file to download (not finished, failed, or expired).
    #[error("{0}")]
    NotDownloadable(String),
}

/// Queues an export of `query` in `format` for the project; the job starts at once.
pub async fn create(
    state: &AppState,
    project: &ProjectId,
    user_id: Option<&str>,
    query: &ExportQuery,
    format: Format,
) -> StoreResult<BatchExport> {
    let now = now_ms();
    let id = uuid::Uuid::new_v4().to_string();
    let export = BatchExport {
        id: id.clone(),
        project_id: project.clone(),
        user_id: user_id.map(str::to_owned),
        name: format!(
            "{} - {} as {}",
            to_iso(now),
            query.table_name(),
            format.as_str()
        ),
        table_name: query.table_name().to_owned(),
        format: format.as_str().to_owned(),
        query: serde_json::to_string(query).map_err(|e| StoreError::Corrupt(e.to_string()))?,
        status: ExportStatus::Queued,
        rows_written: 0,
        object_key: None,
        log: None,
        created_at: now,
        updated_at: now,
        finished_at: None,
        expires_at: None,
    };
    let job = NewJob {
        id: uuid::Uuid::new_v4().to_string(),
        project_id: Some(project.clone()),
        kind: EXPORT_JOB.to_owned(),
        payload: json!({ "exportId": id }),
        dedupe_key: Some(format!("export:{id}")),
        max_attempts: 3,
        run_after: now,
        created_at: now,
    };
    state
        .store()
        .metadata()
        .create_export(&export, &job)
        .await?;
    state.eval_triggers().wake();
    Ok(export)
}

/// Runs the export job: writes the file and records the outcome. A failure of the store or
/// of blob storage is recorded on the export (FAILED, with the error) and returned, so the
/// job is retried; a finished export is left as it is.
pub async fn run(state: &AppState, project: &ProjectId, export_id: &str) -> StoreResult<()> {
    let metadata = state.store().metadata();
    let Some(mut export) = metadata.export(project, export_id).await? else {
        return Ok(());
    };
    if matches!(
        export.status,
        ExportStatus::Completed | ExportStatus::Cancelled
    ) {
        return Ok(());
    }
    export.status = ExportStatus::Processing;
    export.rows_written = 0;
    export.log = None;
    export.updated_at = now_ms();
    metadata.update_export(&export).await?;
    match write(state, &mut export).await {
        Ok(key) => {
            let now = now_ms();
            export.status = ExportStatus::Completed;
            export.object_key = Some(key);
            export.finished_at = Some(now);
            export.expires_at = Some(now + KEEP_MS);
            export.updated_at = now;
            metadata.update_export(&export).await?;
            tracing::info!(project = %project, export = %export.id, rows = export.rows_written, "export finished");
            Ok(())
        }
        Err(error) => {
            tracing::warn!(project = %project, export = %export.id, %error, "export failed");
            export.status = ExportStatus::Failed;
            export.log = Some(error.to_string());
            export.finished_at = Some(now_ms());
            export.updated_at = now_ms();
            metadata.update_export(&export).await?;
            match error {
                ExportError::Store(error) => Err(error),
                _ => Ok(()),
            }
        }
    }
}

/// Streams the rows to a new object; returns its key.
async fn write(state: &AppState, export: &mut BatchExport) -> Result<String, ExportError> {
    let query: ExportQuery =
        serde_json::from_str(&export.query).map_err(|e| ExportError::Encode(e.to_string()))?;
    let format = Format::parse(&export.format)
        .ok_or_else(|| ExportError::Encode(format!("unknown format '{}'", export.format)))?;
    let storage = &state.blobs().exports;
    let key = storage.key(&format!(
        "{}-lf-{}-export-{}.{}",
        export.created_at,
        export.table_name,
        export.project_id.as_str(),
        format.extension()
    ));
    let mut writer = storage.writer(&key).await?;
    let mut encoder = Encoder::new(format);
    let mut pages = Pages::new(query);
    let outcome: Result<(), ExportError> = async {
        loop {
            let rows = pages.next(state, &export.project_id).await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                encoder.row(row)?;
            }
            writer.wait_for_capacity(2).await?;
            writer.write(&encoder.take());
            export.rows_written += rows.len() as i64;
            export.updated_at = now_ms();
            state.store().metadata().update_export(export).await?;
            if export.rows_written as u64 >= ROW_LIMIT {
                break;
            }
        }
        encoder.finish();
        writer.write(&encoder.take());
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            writer.finish().await?;
            Ok(key)
        }
        Err(error) => {
            if let Err(abort) = writer.abort().await {
                tracing::warn!(error = %abort, "aborting a failed export's upload failed");
            }
            Err(error)
        }
    }
}

/// The pages of an export's table, in the table's order.
pub(crate) struct Pages {
    query: ExportQuery,
    offset: u64,
    observation_cursor: Option<ObservationCursor>,
    done: bool,
}

impl Pages {
    pub(crate) fn new(query: ExportQuery) -> Pages {
        Pages {
            query,
            offset: 0,
            observation_cursor: None,
            done: false,
        }
    }

    pub(crate) async fn next(
        &mut self,
        state: &AppState,
        project: &ProjectId,
    ) -> StoreResult<Vec<Value>> {
        if self.done {
            return Ok(Vec::new());
        }
        let events = state.store().events();
        let rows: Vec<Value> = match &mut self.query {
            ExportQuery::Traces(query) => {
                query.limit = PAGE;
                query.offset = self.offset;
                let traces = events.select_traces(project, query).await?;
                traces.iter().map(views::trace).collect()
            }
            ExportQuery::Observations(query) => {
                let page = events
                    .observations_after(project, query, self.observation_cursor.as_ref(), PAGE)
                    .await?;
                self.observation_cursor = page.last().map(|last| ObservationCursor {
                    start_time: last.row.start_time,
                    trace_id: last.row.trace_id.clone(),
                    id: last.row.id.clone(),
                });
                page.iter()
                    .map(|o| views::observation(o, state.rules()))
                    .collect()
            }
            ExportQuery::Scores(query) => {
                query.limit = PAGE;
                query.offset = 0;
                let page = events.select_scores(project, query).await?;
                query.after = page.last().map(|last| ScoreCursor {
                    timestamp: last.score.score.timestamp,
                    id: last.score.score.id.clone(),
                });
                page.iter()
                    .map(|listed| {
                        let mut body = views::score(&listed.score);
                        body["trace"] = views::score_trace(listed.trace.as_ref(), true);
                        body
                    })
                    .collect()
            }
            ExportQuery::DatasetItems(export) => {
                let query = DatasetItemQuery {
                    dataset_id: Some(export.dataset_id.clone()),
                    limit: PAGE,
                    offset: self.offset,
                    ..DatasetItemQuery::default()
                };
                let (items, _) = state
                    .store()
                    .metadata()
                    .list_dataset_items(project, &query)
                    .await?;
                items.iter().map(views::dataset_item).collect()
            }
            ExportQuery::Sessions(query) => {
                query.limit = PAGE;
                query.offset = self.offset;
                let (sessions, _) = events.list_sessions(project, query).await?;
                sessions
                    .iter()
                    .map(|session| {
                        json!({
                            "id": session.id,
                            "createdAt": to_iso(session.created_at),
                            "projectId": project.as_str(),
                            "environment": session.environment,
                        })
                    })
                    .collect()
            }
        };
        self.offset += PAGE;
        if (rows.len() as u64) < PAGE {
            self.done = true;
        }
        Ok(rows)
    }
}

/// Turns rows into a file's bytes, a page at a time.
pub(crate) struct Encoder {
    format: Format,
    buffer: Vec<u8>,
    rows: u64,
    /// CSV: the columns, from the first row.
    columns: Vec<String>,
}

impl Encoder {
    pub(crate) fn new(format: Format) -> Encoder {
        let mut buffer = Vec::new();
        if format == Format::Json {
            buffer.push(b'[');
        }
        Encoder {
            format,
            buffer,
            rows: 0,
            columns: Vec::new(),
        }
    }

    pub(crate) fn row(&mut self, row: &Value) -> Result<(), ExportError> {
        let encode = |e: serde_json::Error| ExportError::Encode(e.to_string());
        match self.format {
            Format::Jsonl => {
                serde_json::to_writer(&mut self.buffer, row).map_err(encode)?;
                self.buffer.push(b'\n');
            }
            Format::Json => {
                if self.rows > 0 {
                    self.buffer.push(b',');
                }
                serde_json::to_writer(&mut self.buffer, row).map_err(encode)?;
            }
            Format::Csv => {
                let empty = Map::new();
                let object = row.as_object().unwrap_or(&empty);
                let mut csv = csv::Writer::from_writer(&mut self.buffer);
                let csv_error = |e: csv::Error| ExportError::Encode(e.to_string());
                if self.rows == 0 {
                    self.columns = object.keys().cloned().collect();
                    csv.write_record(&self.columns).map_err(csv_error)?;
                }
                let cells = self.columns.iter().map(|column| cell(object.get(column)));
                csv.write_record(cells).map_err(csv_error)?;
                csv.flush()
                    .map_err(|e| ExportError::Encode(e.to_string()))?;
            }
        }
        self.rows += 1;
        Ok(())
    }

    pub(crate) fn finish(&mut self) {
        if self.format == Format::Json {
            self.buffer.push(b']');
        }
    }

    pub(crate) fn take(&mut self) -> Vec<u8> {
        std::mem::take(&mut self.buffer)
    }
}

/// A CSV cell: text as it is, nothing for null, JSON for everything else.
fn cell(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

/// Where a finished export can be downloaded: a presigned URL of its bucket, or `None` when
/// the file is served by us (a local directory). Errors when it is not downloadable.
pub async fn presigned_download(
    state: &AppState,
    export: &BatchExport,
) -> Result<Option<String>, ExportError> {
    let key = downloadable(export)?;
    Ok(state
        .blobs()
        .exports
        .presigned_url(axum::http::Method::GET, key, DOWNLOAD_URL_TTL)
        .await?)
}

/// The export's file as a stream.
pub async fn open(state: &AppState, export: &BatchExport) -> Result<axum::body::Body, ExportError> {
    let key = downloadable(export)?;
    let object = state.blobs().exports.get(key).await?;
    Ok(axum::body::Body::from_stream(object.into_stream()))
}

fn downloadable(export: &BatchExport) -> Result<&str, ExportError> {
    match (&export.object_key, export.expires_at) {
        (Some(key), Some(expires)) if export.status == ExportStatus::Completed => {
            if expires < now_ms() {
                Err(ExportError::NotDownloadable(
                    "This export has expired.".into(),
                ))
            } else {
                Ok(key)
            }
        }
        _ => Err(ExportError::NotDownloadable(
            "This export is not ready.".into(),
        )),
    }
}

/// The file name a download is offered under.
pub fn file_name(export: &BatchExport) -> String {
    let extension = Format::parse(&export.format).map_or("txt", Format::extension);
    format!(
        "{}-{}-export.{extension}",
        export.table_name, export.created_at
    )
}

/// Deletes the files of expired exports (the records stay, without a file); returns how many.
pub async fn delete_expired(state: &AppState, now: Millis) -> StoreResult<u64> {
    let metadata = state.store().metadata();
    let expired = metadata.expired_exports(now, 500).await?;
    let mut deleted = 0;
    for mut export in expired {
        if let Some(key) = &export.object_key
            && let Err(error) = state.blobs().exports.delete(key).await
        {
            tracing::warn!(export = %export.id, %error, "cannot delete an expired export's file");
            continue;
        }
        export.object_key = None;
        export.updated_at = now;
        metadata.update_export(&export).await?;
        deleted += 1;
    }
    Ok(deleted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoders_write_whole_files() {
        let rows = [
            json!({"id": "a", "n": 1, "tags": ["x"], "note": null}),
            json!({"id": "b,\"c\"", "n": 2.5, "tags": [], "note": "line\nbreak"}),
        ];
        let encode = |format| {
            let mut encoder = Encoder::new(format);
            let mut bytes = Vec::new();
            for row in &rows {
                encoder.row(row).unwrap();
                bytes.extend(encoder.take());
            }
            encoder.finish();
            bytes.extend(encoder.take());
            String::from_utf8(bytes).unwrap()
        };
        let json: Value = serde_json::from_str(&encode(Format::Json)).unwrap();
        assert_eq!(json, Value::Array(rows.to_vec()));
        let lines: Vec<Value> = encode(Format::Jsonl)
            .lines()
            .map(|line| serde_json::from_str(line).unwrap())
            .collect();
        assert_eq!(lines, rows.to_vec());
        let csv = encode(Format::Csv);
        let mut reader = csv::Reader::from_reader(csv.as_bytes());
        assert_eq!(
            reader.headers().unwrap().iter().collect::<Vec<_>>(),
            ["id", "n", "tags", "note"]
        );
        let records: Vec<Vec<String>> = reader
            .records()
            .map(|r| r.unwrap().iter().map(str::to_owned).collect())
            .collect();
        assert_eq!(records[0], ["a", "1", "[\"x\"]", ""]);
        assert_eq!(records[1], ["b,\"c\"", "2.5", "[]", "line\nbreak"]);
    }

    #[test]
    fn queries_survive_the_job_payload() {
        let query = ExportQuery::Observations(ObservationQuery {
            name: Some("chat".into()),
            ..ObservationQuery::default()
        });
        let text = serde_json::to_string(&query).unwrap();
        let back: ExportQuery = serde_json::from_str(&text).unwrap();
        assert_eq!(back.table_name(), "observations");
        assert!(text.contains("\"table\":\"observations\""), "{text}");
    }
}
