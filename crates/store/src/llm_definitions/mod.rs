//! Playground tools and structured-output schemas saved per project ([`LlmDefinitionStore`],
//! metadata store): a name unique in the project, a description and a JSON Schema object.
//! Langfuse keeps them in `llm_tools` and `llm_schemas`; so do we, through one code path.

use async_trait::async_trait;
use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::time::Millis;

use crate::StoreResult;

mod store;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefinitionKind {
    /// A tool the model may call: its JSON Schema is the tool's parameters.
    Tool,
    /// A structured-output schema.
    Schema,
}

impl DefinitionKind {
    pub(crate) fn table(self) -> &'static str {
        match self {
            DefinitionKind::Tool => "llm_tools",
            DefinitionKind::Schema => "llm_schemas",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct LlmDefinition {
    pub project_id: ProjectId,
    pub id: String,
    pub name: String,
    pub description: String,
    /// A JSON Schema object.
    pub schema: Value,
    pub created_at: Millis,
    pub updated_at: Millis,
}

#[async_trait]
pub trait LlmDefinitionStore: Send + Sync {
    /// Saves the definition under its name (an existing one keeps its id and creation time);
    /// returns what is stored.
    async fn upsert_llm_definition(
        &self,
        kind: DefinitionKind,
        definition: &LlmDefinition,
    ) -> StoreResult<LlmDefinition>;
    /// The project's definitions of a kind, by name.
    async fn list_llm_definitions(
        &self,
        project: &ProjectId,
        kind: DefinitionKind,
    ) -> StoreResult<Vec<LlmDefinition>>;
    /// Deletes the definition with this name; whether it existed.
    async fn delete_llm_definition(
        &self,
        project: &ProjectId,
        kind: DefinitionKind,
        name: &str,
    ) -> StoreResult<bool>;
}
