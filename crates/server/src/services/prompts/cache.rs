//! The fast fetch path: resolved prompts cached in memory per (project, name, version or
//! label), each entry tagged with the project's prompt change counter when it was read. A write
//! in this process drops the project's entries at once; other replicas on the same PostgreSQL
//! notice a write when they next read the counter, at most [`COUNTER_TTL`] after the last read.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use axum::body::Bytes;
use sightline_domain::ProjectId;
use sightline_store::{PromptSelector, Store};

use super::Result;

/// How long a replica trusts the change counter it last read.
pub const COUNTER_TTL: Duration = Duration::from_millis(200);
/// Cached fetches kept per process; the cache is emptied when it grows past this.
const MAX_ENTRIES: usize = 10_000;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct CacheKey {
    pub(super) project: ProjectId,
    pub(super) name: String,
    pub(super) selector: PromptSelector,
}

struct CacheEntry {
    counter: i64,
    /// The JSON of `GET /v2/prompts/{name}`; `None` when there is no such prompt.
    body: Option<Bytes>,
}

/// Resolved prompts by project, name and version or label, valid while the project's change
/// counter stays the same. One per process (in `AppState`).
#[derive(Default)]
pub struct PromptCache {
    entries: Mutex<HashMap<CacheKey, CacheEntry>>,
    counters: Mutex<HashMap<ProjectId, (i64, Instant)>>,
}

impl PromptCache {
    /// The project's change counter, read from the store at most every [`COUNTER_TTL`].
    pub(super) async fn counter(&self, store: &Store, project: &ProjectId) -> Result<i64> {
        if let Some((counter, read_at)) = lock(&self.counters).get(project).copied()
            && read_at.elapsed() < COUNTER_TTL
        {
            return Ok(counter);
        }
        let read_at = Instant::now();
        let counter = store.metadata().prompt_change_counter(project).await?;
        lock(&self.counters).insert(project.clone(), (counter, read_at));
        Ok(counter)
    }

    pub(super) fn get(&self, key: &CacheKey, counter: i64) -> Option<Option<Bytes>> {
        lock(&self.entries)
            .get(key)
            .filter(|entry| entry.counter == counter)
            .map(|entry| entry.body.clone())
    }

    pub(super) fn put(&self, key: CacheKey, counter: i64, body: Option<Bytes>) {
        let mut entries = lock(&self.entries);
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(key, CacheEntry { counter, body });
    }

    /// Forgets everything cached for the project (after a write in this process).
    pub fn invalidate(&self, project: &ProjectId) {
        lock(&self.entries).retain(|key, _| &key.project != project);
        lock(&self.counters).remove(project);
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[cfg(test)]
mod tests {
    use serde_json::json;
    use sightline_domain::prompt::PromptType;
    use sightline_store::NewPromptVersion;
    use sightline_store::testing::TestDb;

    use super::*;
    use crate::services::identity;

    fn key(project: &ProjectId) -> CacheKey {
        CacheKey {
            project: project.clone(),
            name: "p".into(),
            selector: PromptSelector::Label("production".into()),
        }
    }

    #[tokio::test]
    async fn entries_hold_while_the_counter_does() {
        let db = TestDb::sqlite().await;
        let store = &db.store;
        let org = identity::create_organization(store, None, "Acme")
            .await
            .unwrap();
        let project = identity::create_project(store, &org.id, None, "web", None)
            .await
            .unwrap()
            .id;
        let cache = PromptCache::default();
        assert_eq!(cache.counter(store, &project).await.unwrap(), 0);
        cache.put(key(&project), 0, Some(Bytes::from_static(b"{}")));
        assert_eq!(
            cache.get(&key(&project), 0),
            Some(Some(Bytes::from_static(b"{}")))
        );
        assert_eq!(cache.get(&key(&project), 1), None, "another counter misses");

        // A write elsewhere: this process keeps its counter until the TTL runs out.
        store
            .metadata()
            .create_prompt_version(&NewPromptVersion {
                id: "id-1".into(),
                project_id: project.clone(),
                name: "p".into(),
                r#type: PromptType::Text,
                prompt: json!("x"),
                config: json!({}),
                labels: vec!["production".into()],
                tags: None,
                commit_message: None,
                created_by: "API".into(),
                created_at: 0,
            })
            .await
            .unwrap();
        assert_eq!(cache.counter(store, &project).await.unwrap(), 0);
        tokio::time::sleep(COUNTER_TTL).await;
        assert_eq!(cache.counter(store, &project).await.unwrap(), 1);

        // A write here: forgotten at once, counter read again.
        cache.put(key(&project), 1, None);
        cache.invalidate(&project);
        assert_eq!(cache.get(&key(&project), 1), None);
        store
            .metadata()
            .delete_prompts(&project, "p", None)
            .await
            .unwrap();
        assert_eq!(cache.counter(store, &project).await.unwrap(), 2);
    }
}
