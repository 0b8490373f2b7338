//! Pricing of observations with the built-in price table and the project's own models, which
//! are cached here (loaded before a group is folded, so that pricing needs no I/O).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use serde_json::Value;
use sightline_domain::ProjectId;
use sightline_domain::cost::{
    AttributeSource, CompiledModel, CostInput, PriceBook, TierCondition, compute_usage_and_cost,
};
use sightline_domain::ingest::{Level, ObservationRow};
use sightline_store::{ModelStore, StoreResult};

/// How long another replica's change to a project's models may go unseen.
const MODELS_TTL: Duration = Duration::from_secs(10);

/// A project's compiled models and when they were loaded.
type CachedModels = (Arc<Vec<CompiledModel>>, Instant);

pub struct Rules {
    book: &'static PriceBook,
    models: RwLock<HashMap<ProjectId, CachedModels>>,
}

impl Rules {
    pub fn new() -> Self {
        Rules {
            book: PriceBook::builtin(),
            models: RwLock::new(HashMap::new()),
        }
    }

    /// Loads the models of every project in `writes` that is not cached or is stale, so that
    /// pricing inside the transaction needs no I/O.
    pub async fn prepare<'a>(
        &self,
        store: &dyn ModelStore,
        projects: impl IntoIterator<Item = &'a ProjectId>,
    ) -> StoreResult<()> {
        for project in projects {
            let fresh = self
                .models
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(project)
                .is_some_and(|(_, loaded)| loaded.elapsed() < MODELS_TTL);
            if !fresh {
                self.reload(store, project).await?;
            }
        }
        Ok(())
    }

    /// Reads a project's models again (after a change through the Models API).
    pub async fn reload(&self, store: &dyn ModelStore, project: &ProjectId) -> StoreResult<()> {
        let compiled: Vec<CompiledModel> = store
            .project_models(project)
            .await?
            .into_iter()
            .filter_map(|definition| {
                let id = definition.id.clone();
                CompiledModel::compile(definition)
                    .map_err(
                        |error| tracing::warn!(model.id = %id, %error, "skipping invalid model"),
                    )
                    .ok()
            })
            .collect();
        self.models
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .insert(project.clone(), (Arc::new(compiled), Instant::now()));
        Ok(())
    }

    /// The project's compiled models as last loaded.
    pub fn project_models(&self, project: &ProjectId) -> Arc<Vec<CompiledModel>> {
        self.models
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(project)
            .map(|(models, _)| models.clone())
            .unwrap_or_default()
    }

    pub fn price_book(&self) -> &'static PriceBook {
        self.book
    }
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new()
    }
}

fn looks_at_metadata(model: &CompiledModel) -> bool {
    model.definition().tiers.iter().any(|tier| {
        tier.conditions.iter().any(|condition| {
            matches!(
                condition,
                TierCondition::Attribute {
                    source: AttributeSource::Metadata,
                    ..
                }
            )
        })
    })
}

impl Rules {
    /// Computes usage and cost of an observation of `project` with the models last loaded.
    pub fn enrich(&self, project: &ProjectId, row: &mut ObservationRow) {
        let models = self.project_models(project);
        // Only a project model's tier can look at metadata (built-in tiers never do); skip the
        // copy of the metadata otherwise.
        let metadata = models
            .iter()
            .any(looks_at_metadata)
            .then(|| Value::Object(row.metadata.clone()));
        let outcome = compute_usage_and_cost(
            self.book,
            &models,
            &CostInput {
                model: row.model.as_deref(),
                provided_usage: Some(&row.provided_usage_details),
                provided_cost: Some(&row.provided_cost_details),
                is_error_level: row.level == Level::Error,
                input: row.input.as_ref(),
                output: row.output.as_ref(),
                model_parameters: row.model_parameters.as_ref(),
                metadata: metadata.as_ref(),
            },
        );
        row.usage_details = outcome.usage_details;
        row.cost_details = outcome.cost_details;
        row.total_cost = outcome.total_cost;
        row.internal_model_id = outcome.model_id;
        row.usage_pricing_tier_id = outcome.pricing_tier_id;
        row.usage_pricing_tier_name = outcome.pricing_tier_name;
    }
}
