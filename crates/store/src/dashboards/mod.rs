//! Custom dashboards and their widgets (`/api/public/unstable/dashboards*`,
//! `/api/public/unstable/dashboard-widgets*`; the types are the domain's `dashboard.rs`):
//! metadata store ([`DashboardStore`]). The SQL is in `store.rs`.

use async_trait::async_trait;
use sightline_domain::ProjectId;
use sightline_domain::dashboard::{Dashboard, Widget};

use crate::StoreResult;

mod store;

/// Dashboards and widgets, project-scoped; lists are most recently updated first.
#[async_trait]
pub trait DashboardStore: Send + Sync {
    /// Inserts the dashboard, or replaces every field but its creation time.
    async fn put_dashboard(&self, dashboard: &Dashboard) -> StoreResult<()>;
    async fn dashboard(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Dashboard>>;
    /// A page of dashboards and the number of all.
    async fn list_dashboards(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Dashboard>, u64)>;
    /// Whether it existed.
    async fn delete_dashboard(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;

    /// Inserts the widget, or replaces every field but its creation time.
    async fn put_widget(&self, widget: &Widget) -> StoreResult<()>;
    async fn widget(&self, project: &ProjectId, id: &str) -> StoreResult<Option<Widget>>;
    /// A page of widgets and the number of all.
    async fn list_widgets(
        &self,
        project: &ProjectId,
        limit: u64,
        offset: u64,
    ) -> StoreResult<(Vec<Widget>, u64)>;
    /// Whether it existed.
    async fn delete_widget(&self, project: &ProjectId, id: &str) -> StoreResult<bool>;
}
