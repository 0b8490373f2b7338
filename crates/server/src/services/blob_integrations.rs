//! Scheduled exports to a project's own bucket (`features.md` §6.2,
//! `/api/public/integrations/blob-storage`): an integration names an S3 or S3-compatible
//! bucket, a prefix, a frequency and a format. The workers look for due integrations every
//! [`SCHEDULE_EVERY`] and run one `blob_storage.export` job per due window: the traces,
//! observations and scores of `[last sync, min(now − 20 min, last sync + period))` written as
//! `{prefix}{projectId}/{table}/{window end}.{ext}[.gz]`, then a manifest
//! `{prefix}{projectId}/manifests/{window end}.json` (the commit point). A failed window is
//! kept as `lastError` and tried again; a window behind by more than a period is followed at
//! once by the next, until caught up.

use std::io::Write as _;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use sightline_domain::time::{Millis, now_ms, parse_iso, to_iso};
use sightline_domain::{OrgId, ProjectId};
use sightline_store::{
    BlobIntegration, NewJob, ObservationQuery, ScoreQuery, StoreError, StoreResult, TraceQuery,
};

use crate::services::blobs::{BlobStorage, S3Settings};
use crate::services::exports::{Encoder, ExportError, ExportQuery, Format, Pages};
use crate::state::AppState;

pub const BLOB_EXPORT_JOB: &str = "blob_storage.export";
/// How often the workers look for due integrations.
pub const SCHEDULE_EVERY: Duration = Duration::from_secs(15);
/// Data younger than this is left for the next window (late events; Langfuse's lag buffer).
pub const LAG_MS: Millis = 20 * 60 * 1000;
/// When a failed window is tried again.
const RETRY_MS: Millis = 5 * 60 * 1000;
const FREQUENCIES: [(&str, Millis); 4] = [
    ("every_20_minutes", 20 * 60 * 1000),
    ("hourly", 3600 * 1000),
    ("daily", 24 * 3600 * 1000),
    ("weekly", 7 * 24 * 3600 * 1000),
];
const MODES: [&str; 3] = ["FULL_HISTORY", "FROM_TODAY", "FROM_CUSTOM_DATE"];
const FIELD_GROUPS: [&str; 11] = [
    "core",
    "basic",
    "time",
    "io",
    "metadata",
    "model",
    "usage",
    "prompt",
    "metrics",
    "tools",
    "trace_context",
];
/// The one source this server exports: traces, observations and scores.
const SOURCE: &str = "LEGACY_TRACES_OBSERVATIONS";

#[derive(Debug, thiserror::Error)]
pub enum IntegrationError {
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// `PUT /integrations/blob-storage`'s body (Langfuse's `CreateBlobStorageIntegrationRequest`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UpsertRequest {
    pub project_id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub bucket_name: String,
    #[serde(default)]
    pub endpoint: Option<String>,
    pub region: String,
    #[serde(default)]
    pub access_key_id: Option<String>,
    #[serde(default)]
    pub secret_access_key: Option<String>,
    #[serde(default)]
    pub prefix: Option<String>,
    pub export_frequency: String,
    pub enabled: bool,
    pub force_path_style: bool,
    pub file_type: String,
    pub export_mode: String,
    #[serde(default)]
    pub export_start_date: Option<String>,
    #[serde(default)]
    pub compressed: Option<bool>,
    #[serde(default)]
    pub export_source: Option<String>,
    #[serde(default)]
    pub export_field_groups: Option<Vec<String>>,
}

fn invalid(message: impl Into<String>) -> IntegrationError {
    IntegrationError::Invalid(message.into())
}

fn period(frequency: &str) -> Option<Millis> {
    FREQUENCIES
        .iter()
        .find(|(name, _)| *name == frequency)
        .map(|(_, ms)| *ms)
}

/// Creates or replaces the integration of a project of `org`.
pub async fn upsert(
    state: &AppState,
    org: &OrgId,
    request: UpsertRequest,
) -> Result<BlobIntegration, IntegrationError> {
    let project = ProjectId::from_trusted(request.project_id.clone());
    let found = state.store().metadata().project(&project).await?;
    if found.is_none_or(|found| found.organization.id != *org) {
        return Err(IntegrationError::NotFound(format!(
            "Project {} not found",
            request.project_id
        )));
    }
    match request.kind.as_str() {
        "S3" => {}
        "S3_COMPATIBLE" if request.endpoint.is_some() => {}
        "S3_COMPATIBLE" => return Err(invalid("endpoint is required for S3_COMPATIBLE")),
        "AZURE_BLOB_STORAGE" => {
            return Err(invalid(
                "type AZURE_BLOB_STORAGE is not supported by this server; use S3 or S3_COMPATIBLE",
            ));
        }
        other => return Err(invalid(format!("type: unknown '{other}'"))),
    }
    if request.bucket_name.trim().is_empty() {
        return Err(invalid("bucketName must not be empty"));
    }
    let prefix = request.prefix.clone().unwrap_or_default();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        return Err(invalid("prefix must end with a forward slash (/)"));
    }
    if period(&request.export_frequency).is_none() {
        return Err(invalid(format!(
            "exportFrequency: expected one of every_20_minutes, hourly, daily, weekly, got '{}'",
            request.export_frequency
        )));
    }
    let format = match request.file_type.as_str() {
        "PARQUET" => {
            return Err(invalid(
                "fileType PARQUET is not supported by this server; use JSON, CSV or JSONL",
            ));
        }
        raw => Format::parse(raw)
            .filter(|_| raw == raw.to_ascii_uppercase())
            .ok_or_else(|| invalid(format!("fileType: unknown '{raw}'")))?,
    };
    if !MODES.contains(&request.export_mode.as_str()) {
        return Err(invalid(format!(
            "exportMode: expected one of FULL_HISTORY, FROM_TODAY, FROM_CUSTOM_DATE, got '{}'",
            request.export_mode
        )));
    }
    let now = now_ms();
    let start = match request.export_start_date.as_deref() {
        Some(raw) => Some(parse_iso(raw).ok_or_else(|| invalid("exportStartDate: not a date"))?),
        None => None,
    };
    let start = match request.export_mode.as_str() {
        "FROM_CUSTOM_DATE" => {
            let start =
                start.ok_or_else(|| invalid("exportStartDate is required for FROM_CUSTOM_DATE"))?;
            if start > now + 27 * 3600 * 1000 {
                return Err(invalid("exportStartDate must not be in the future"));
            }
            Some(start)
        }
        "FROM_TODAY" => Some(now - now.rem_euclid(24 * 3600 * 1000)),
        _ => None,
    };
    if let Some(source) = request.export_source.as_deref()
        && source != SOURCE
    {
        return Err(invalid(format!(
            "exportSource {source} cannot be served by this server; use {SOURCE}"
        )));
    }
    if let Some(groups) = &request.export_field_groups {
        if request.export_source.is_none() {
            return Err(invalid(
                "exportFieldGroups requires exportSource in the same request",
            ));
        }
        if !groups.iter().any(|g| g == "core") {
            return Err(invalid("exportFieldGroups must include core"));
        }
        if let Some(unknown) = groups.iter().find(|g| !FIELD_GROUPS.contains(&g.as_str())) {
            return Err(invalid(format!("exportFieldGroups: unknown '{unknown}'")));
        }
    }
    let secret = match &request.secret_access_key {
        Some(secret) => Some(
            state
                .llm()
                .cipher
                .as_ref()
                .ok_or_else(|| invalid("ENCRYPTION_KEY must be set to store a secret access key"))?
                .encrypt(secret),
        ),
        None => None,
    };
    let integration = BlobIntegration {
        project_id: project.clone(),
        id: uuid::Uuid::new_v4().to_string(),
        kind: request.kind,
        bucket_name: request.bucket_name,
        endpoint: request.endpoint,
        region: request.region,
        access_key_id: request.access_key_id,
        secret_access_key: secret,
        prefix,
        export_frequency: request.export_frequency,
        enabled: request.enabled,
        force_path_style: request.force_path_style,
        file_type: format.as_str().to_owned(),
        export_mode: request.export_mode,
        export_start_date: start,
        compressed: request.compressed.unwrap_or(true),
        export_source: SOURCE.to_owned(),
        export_field_groups: request
            .export_field_groups
            .map(|groups| json!(groups).to_string()),
        next_sync_at: None,
        last_sync_at: None,
        last_error: None,
        last_error_at: None,
        run_started_at: None,
        created_at: now,
        updated_at: now,
    };
    let metadata = state.store().metadata();
    metadata.upsert_blob_integration(&integration).await?;
    metadata
        .blob_integration(&project)
        .await?
        .ok_or_else(|| IntegrationError::NotFound("Blob storage integration not found".into()))
}

/// An integration as the API shows it (without its secret).
pub fn view(integration: &BlobIntegration) -> Value {
    let groups: Option<Value> = integration
        .export_field_groups
        .as_deref()
        .and_then(|text| serde_json::from_str(text).ok());
    json!({
        "id": integration.id,
        "projectId": integration.project_id.as_str(),
        "type": integration.kind,
        "bucketName": integration.bucket_name,
        "endpoint": integration.endpoint,
        "region": integration.region,
        "accessKeyId": integration.access_key_id,
        "prefix": integration.prefix,
        "exportFrequency": integration.export_frequency,
        "enabled": integration.enabled,
        "forcePathStyle": integration.force_path_style,
        "fileType": integration.file_type,
        "exportMode": integration.export_mode,
        "exportStartDate": integration.export_start_date.map(to_iso),
        "compressed": integration.compressed,
        "exportSource": integration.export_source,
        "exportFieldGroups": groups,
        "nextSyncAt": integration.next_sync_at.map(to_iso),
        "lastSyncAt": integration.last_sync_at.map(to_iso),
        "lastError": integration.last_error,
        "lastErrorAt": integration.last_error_at.map(to_iso),
        "createdAt": to_iso(integration.created_at),
        "updatedAt": to_iso(integration.updated_at),
    })
}

/// Langfuse's sync status at `now`.
pub fn sync_status(integration: &BlobIntegration, now: Millis) -> &'static str {
    if !integration.enabled {
        "disabled"
    } else if integration.run_started_at.is_some() {
        "running"
    } else if integration.last_error.is_some() {
        "error"
    } else if integration.last_sync_at.is_none() {
        if integration.next_sync_at.is_some_and(|at| at <= now) {
            "queued"
        } else {
            "idle"
        }
    } else if integration.next_sync_at.is_some_and(|at| at <= now) {
        "queued"
    } else {
        "up_to_date"
    }
}

/// The status answer of `GET /integrations/blob-storage/{id}`.
pub fn status_view(integration: &BlobIntegration, now: Millis) -> Value {
    json!({
        "id": integration.id,
        "projectId": integration.project_id.as_str(),
        "syncStatus": sync_status(integration, now),
        "enabled": integration.enabled,
        "lastSyncAt": integration.last_sync_at.map(to_iso),
        "nextSyncAt": integration.next_sync_at.map(to_iso),
        "lastError": integration.last_error,
        "lastErrorAt": integration.last_error_at.map(to_iso),
    })
}

/// The organization's integration with this id.
pub async fn of_org(
    state: &AppState,
    org: &OrgId,
    id: &str,
) -> Result<BlobIntegration, IntegrationError> {
    let not_found = || IntegrationError::NotFound("Blob storage integration not found".into());
    let integration = state
        .store()
        .metadata()
        .blob_integration_by_id(id)
        .await?
        .ok_or_else(not_found)?;
    let project = state
        .store()
        .metadata()
        .project(&integration.project_id)
        .await?;
    match project {
        Some(found) if found.organization.id == *org => Ok(integration),
        _ => Err(not_found()),
    }
}

/// Enqueues a job for every due integration (deduplicated by project and window).
pub async fn schedule(state: &AppState, now: Millis) -> StoreResult<u64> {
    let due = state.store().metadata().due_blob_integrations(now).await?;
    let jobs: Vec<NewJob> = due
        .iter()
        // A run that started an hour ago died with its worker.
        .filter(|i| i.run_started_at.is_none_or(|at| now - at > 3600 * 1000))
        .map(|i| NewJob {
            id: uuid::Uuid::new_v4().to_string(),
            project_id: Some(i.project_id.clone()),
            kind: BLOB_EXPORT_JOB.to_owned(),
            payload: json!({}),
            dedupe_key: Some(format!(
                "blob-export:{}:{}:{}",
                i.project_id.as_str(),
                i.last_sync_at.unwrap_or(0),
                i.next_sync_at.unwrap_or(0)
            )),
            max_attempts: 3,
            run_after: now,
            created_at: now,
        })
        .collect();
    if jobs.is_empty() {
        return Ok(0);
    }
    let added = state.store().metadata().enqueue_jobs(&jobs).await?;
    if added > 0 {
        state.eval_triggers().wake();
    }
    Ok(added)
}

/// Where the window starts: after the last sync, or as the export mode says.
async fn window_start(
    state: &AppState,
    integration: &BlobIntegration,
) -> StoreResult<Option<Millis>> {
    if let Some(last) = integration.last_sync_at {
        return Ok(Some(last));
    }
    if let Some(start) = integration.export_start_date {
        return Ok(Some(start));
    }
    // Full history: from the oldest trace.
    let oldest = TraceQuery {
        descending: false,
        limit: 1,
        ..TraceQuery::default()
    };
    let traces = state
        .store()
        .events()
        .select_traces(&integration.project_id, &oldest)
        .await?;
    Ok(traces.first().map(|t| t.row.timestamp))
}

/// Runs the project's due export window; records the outcome on the integration.
pub async fn run(state: &AppState, project: &ProjectId) -> StoreResult<()> {
    let metadata = state.store().metadata();
    let Some(mut integration) = metadata.blob_integration(project).await? else {
        return Ok(());
    };
    let now = now_ms();
    if !integration.enabled || integration.next_sync_at.is_some_and(|at| at > now) {
        return Ok(());
    }
    let period = period(&integration.export_frequency).unwrap_or(3600 * 1000);
    let horizon = now - LAG_MS;
    let Some(start) = window_start(state, &integration).await? else {
        // Nothing to export yet: look again after a period.
        integration.next_sync_at = Some(now + period);
        integration.updated_at = now;
        return metadata.record_blob_sync(&integration).await;
    };
    let end = (start + period).min(horizon);
    if end <= start {
        integration.next_sync_at = Some(now + period.min(LAG_MS));
        integration.updated_at = now;
        return metadata.record_blob_sync(&integration).await;
    }
    integration.run_started_at = Some(now);
    metadata.record_blob_sync(&integration).await?;
    let outcome = export_window(state, &integration, start, end).await;
    let now = now_ms();
    integration.run_started_at = None;
    integration.updated_at = now;
    match outcome {
        Ok(()) => {
            integration.last_sync_at = Some(end);
            integration.next_sync_at = Some(if end + period <= now - LAG_MS {
                now
            } else {
                end + period
            });
            integration.last_error = None;
            integration.last_error_at = None;
            tracing::info!(project = %project, window_end = %to_iso(end), "blob storage export written");
        }
        Err(error) => {
            tracing::warn!(project = %project, %error, "blob storage export failed");
            integration.last_error = Some(error.to_string());
            integration.last_error_at = Some(now);
            integration.next_sync_at = Some(now + RETRY_MS);
        }
    }
    metadata.record_blob_sync(&integration).await
}

/// The bucket of an integration.
fn storage(state: &AppState, integration: &BlobIntegration) -> Result<BlobStorage, ExportError> {
    let secret = match &integration.secret_access_key {
        Some(stored) => Some(
            state
                .llm()
                .cipher
                .as_ref()
                .ok_or_else(|| ExportError::Encode("ENCRYPTION_KEY is not set".into()))?
                .decrypt(stored)
                .map_err(|_| {
                    ExportError::Encode("the secret access key cannot be decrypted".into())
                })?,
        ),
        None => None,
    };
    let settings = S3Settings {
        bucket: integration.bucket_name.clone(),
        region: Some(integration.region.clone()),
        endpoint: integration.endpoint.clone(),
        access_key_id: integration.access_key_id.clone(),
        secret_access_key: secret,
        force_path_style: integration.force_path_style,
    };
    Ok(BlobStorage::s3(&settings, &integration.prefix)?)
}

/// Writes the window's tables, then its manifest.
async fn export_window(
    state: &AppState,
    integration: &BlobIntegration,
    start: Millis,
    end: Millis,
) -> Result<(), ExportError> {
    let bucket = storage(state, integration)?;
    let format = Format::parse(&integration.file_type).unwrap_or(Format::Csv);
    let stamp = to_iso(end).get(..19).unwrap_or_default().replace(':', "-");
    let project = &integration.project_id;
    let tables = [
        (
            "traces",
            ExportQuery::Traces(TraceQuery {
                from_timestamp: Some(start),
                to_timestamp: Some(end),
                ..TraceQuery::default()
            }),
        ),
        (
            "observations",
            ExportQuery::Observations(ObservationQuery {
                from_start_time: Some(start),
                to_start_time: Some(end),
                ..ObservationQuery::default()
            }),
        ),
        (
            "scores",
            ExportQuery::Scores(Box::new(ScoreQuery {
                from_timestamp: Some(start),
                to_timestamp: Some(end),
                ..ScoreQuery::default()
            })),
        ),
    ];
    let mut files = Vec::new();
    for (table, query) in tables {
        let mut key = bucket.key(&format!(
            "{}/{table}/{stamp}.{}",
            project.as_str(),
            format.extension()
        ));
        if integration.compressed {
            key.push_str(".gz");
        }
        let rows = write_table(
            state,
            &bucket,
            &key,
            project,
            query,
            format,
            integration.compressed,
        )
        .await?;
        files.push(json!({"table": table, "key": key, "rows": rows}));
    }
    let manifest = json!({
        "projectId": project.as_str(),
        "windowStart": to_iso(start),
        "windowEnd": to_iso(end),
        "fileType": format.as_str(),
        "compressed": integration.compressed,
        "files": files,
    });
    let key = bucket.key(&format!("{}/manifests/{stamp}.json", project.as_str()));
    bucket.put(&key, manifest.to_string().into()).await?;
    Ok(())
}

/// Streams one table of the window to `key`; returns the rows written.
async fn write_table(
    state: &AppState,
    bucket: &BlobStorage,
    key: &str,
    project: &ProjectId,
    query: ExportQuery,
    format: Format,
    compressed: bool,
) -> Result<u64, ExportError> {
    let mut writer = bucket.writer(key).await?;
    let mut encoder = Encoder::new(format);
    let mut gzip = compressed
        .then(|| flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default()));
    let mut pages = Pages::new(query);
    let mut rows = 0u64;
    let outcome: Result<(), ExportError> = async {
        loop {
            let page = pages.next(state, project).await?;
            let last = page.is_empty();
            for row in &page {
                encoder.row(row)?;
            }
            rows += page.len() as u64;
            if last {
                encoder.finish();
            }
            let bytes = encoder.take();
            let out = match gzip.as_mut() {
                Some(gz) => {
                    gz.write_all(&bytes)
                        .map_err(|e| ExportError::Encode(e.to_string()))?;
                    std::mem::take(gz.get_mut())
                }
                None => bytes,
            };
            writer.wait_for_capacity(2).await?;
            writer.write(&out);
            if last {
                break;
            }
        }
        if let Some(gz) = gzip.take() {
            let tail = gz
                .finish()
                .map_err(|e| ExportError::Encode(e.to_string()))?;
            writer.write(&tail);
        }
        Ok(())
    }
    .await;
    match outcome {
        Ok(()) => {
            writer.finish().await?;
            Ok(rows)
        }
        Err(error) => {
            let _ = writer.abort().await;
            Err(error)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn integration() -> BlobIntegration {
        BlobIntegration {
            project_id: ProjectId::from_trusted("p".into()),
            id: "i".into(),
            kind: "S3".into(),
            bucket_name: "b".into(),
            endpoint: None,
            region: "us-east-1".into(),
            access_key_id: None,
            secret_access_key: None,
            prefix: String::new(),
            export_frequency: "hourly".into(),
            enabled: true,
            force_path_style: false,
            file_type: "CSV".into(),
            export_mode: "FULL_HISTORY".into(),
            export_start_date: None,
            compressed: true,
            export_source: SOURCE.into(),
            export_field_groups: None,
            next_sync_at: None,
            last_sync_at: None,
            last_error: None,
            last_error_at: None,
            run_started_at: None,
            created_at: 0,
            updated_at: 0,
        }
    }

    #[test]
    fn statuses_follow_langfuse() {
        let mut i = integration();
        assert_eq!(sync_status(&i, 10), "idle");
        i.next_sync_at = Some(5);
        assert_eq!(sync_status(&i, 10), "queued");
        i.last_sync_at = Some(1);
        i.next_sync_at = Some(20);
        assert_eq!(sync_status(&i, 10), "up_to_date");
        i.run_started_at = Some(9);
        assert_eq!(sync_status(&i, 10), "running");
        i.run_started_at = None;
        i.last_error = Some("denied".into());
        assert_eq!(sync_status(&i, 10), "error");
        i.enabled = false;
        assert_eq!(sync_status(&i, 10), "disabled");
    }
}
