//! Settings → Model prices: the built-in price table (read-only) and the project's own models,
//! which price its observations before the built-in ones. Everyone who reads the project sees
//! them; ADMIN and up (`models:CUD`) add, edit and delete project models through the same
//! service functions as `/api/public/models`. Prices are entered and shown in USD per million
//! units and stored per unit.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;
use sightline_domain::ProjectScope;
use sightline_domain::cost::CompiledModel;
use sightline_server::services::models::{self, CreateModel, ModelError};

use crate::error::{WebError, WebResult};
use crate::pages::listing::ListParams;
use crate::pages::{Form, non_empty, render, see_other};
use crate::rbac::{self, ProjectAccess};
use crate::session::{CsrfToken, SignedIn};
use crate::state::WebState;
use crate::urls;
use crate::views::{Layout, SettingsTabs};

const UNITS: &[&str] = &[
    "TOKENS",
    "CHARACTERS",
    "MILLISECONDS",
    "SECONDS",
    "REQUESTS",
    "IMAGES",
];
const TOKENIZERS: &[(&str, &str)] = &[("", "None"), ("openai", "OpenAI"), ("claude", "Claude")];

/// A model as the tables show it; prices per million units.
pub struct ModelView {
    pub name: String,
    pub pattern: String,
    pub input: String,
    pub output: String,
    pub total: String,
    pub unit: String,
    pub tokenizer: String,
    pub edit_url: String,
    pub delete_url: String,
}

/// The add or edit form, with what was typed.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ModelForm {
    #[serde(default)]
    pub model_name: String,
    #[serde(default)]
    pub match_pattern: String,
    #[serde(default)]
    pub input_price: String,
    #[serde(default)]
    pub output_price: String,
    #[serde(default)]
    pub total_price: String,
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub tokenizer_id: String,
}

#[derive(Template)]
#[template(path = "models.html")]
struct ModelsPage {
    layout: Layout,
    access: ProjectAccess,
    tabs: SettingsTabs,
    can_manage: bool,
    project_models: Vec<ModelView>,
    builtin_models: Vec<ModelView>,
    form: ModelForm,
    /// The form's target: the list (create) or a model (update).
    form_action: String,
    editing: bool,
    units: Vec<(&'static str, bool)>,
    tokenizers: Vec<(&'static str, &'static str, bool)>,
    error: Option<String>,
}

/// USD per unit as USD per million units, without trailing zeros.
fn per_million(price: Option<&f64>) -> String {
    let Some(price) = price else {
        return String::new();
    };
    let text = format!("{:.6}", price * 1_000_000.0);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

fn view(access: &ProjectAccess, model: &CompiledModel) -> ModelView {
    let definition = model.definition();
    let prices = &model.default_tier().prices;
    let url = format!(
        "{}/{}",
        urls::project_section(&access.project.id, "settings/models"),
        urls::segment(&definition.id)
    );
    ModelView {
        name: definition.model_name.clone(),
        pattern: definition.match_pattern.clone(),
        input: per_million(prices.get("input")),
        output: per_million(prices.get("output")),
        total: per_million(prices.get("total")),
        unit: definition.unit.clone().unwrap_or_default(),
        tokenizer: definition.tokenizer_id.clone().unwrap_or_default(),
        edit_url: format!(
            "{}?edit={}",
            urls::project_section(&access.project.id, "settings/models"),
            urls::segment(&definition.id)
        ),
        delete_url: format!("{url}/delete"),
    }
}

/// A price field in USD per million units, as USD per unit.
fn price(raw: &str, field: &str) -> Result<Option<f64>, String> {
    match non_empty(Some(raw)) {
        None => Ok(None),
        Some(raw) => match raw.parse::<f64>() {
            Ok(value) if value.is_finite() && value >= 0.0 => Ok(Some(value / 1_000_000.0)),
            _ => Err(format!("{field} must be a number of dollars, at least 0.")),
        },
    }
}

/// `name` as a case-insensitive exact-match pattern.
fn exact_pattern(name: &str) -> String {
    let mut escaped = String::new();
    for c in name.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    format!("(?i)^({escaped})$")
}

/// The public API's create request for what the form holds.
fn request(form: &ModelForm) -> Result<CreateModel, String> {
    let model_name = form.model_name.trim().to_owned();
    if model_name.is_empty() {
        return Err("The model name must not be empty.".into());
    }
    let input_price = price(&form.input_price, "The input price")?;
    let output_price = price(&form.output_price, "The output price")?;
    let total_price = price(&form.total_price, "The total price")?;
    if input_price.is_none() && output_price.is_none() && total_price.is_none() {
        return Err("Give at least one price.".into());
    }
    let match_pattern = match non_empty(Some(&form.match_pattern)) {
        Some(pattern) => pattern.to_owned(),
        None => exact_pattern(&model_name),
    };
    let unit = non_empty(Some(&form.unit))
        .filter(|unit| UNITS.contains(unit))
        .unwrap_or("TOKENS");
    let tokenizer_id = non_empty(Some(&form.tokenizer_id))
        .filter(|id| TOKENIZERS.iter().any(|(known, _)| known == id))
        .map(str::to_owned);
    Ok(CreateModel {
        model_name,
        match_pattern,
        start_date: None,
        unit: Some(unit.to_owned()),
        input_price,
        output_price,
        total_price,
        pricing_tiers: None,
        tokenizer_id,
        tokenizer_config: None,
    })
}

/// What the form shows for an existing model.
fn form_of(model: &CompiledModel) -> ModelForm {
    let definition = model.definition();
    let prices = &model.default_tier().prices;
    ModelForm {
        model_name: definition.model_name.clone(),
        match_pattern: definition.match_pattern.clone(),
        input_price: per_million(prices.get("input")),
        output_price: per_million(prices.get("output")),
        total_price: per_million(prices.get("total")),
        unit: definition.unit.clone().unwrap_or_default(),
        tokenizer_id: definition.tokenizer_id.clone().unwrap_or_default(),
    }
}

/// What the form shows: a refused submission (with its message and status), a project
/// model to edit, or an empty form.
#[derive(Default)]
struct FormState {
    status: Option<StatusCode>,
    form: Option<ModelForm>,
    /// A project model's id.
    editing: Option<String>,
    error: Option<String>,
}

/// The page, with the form as `shown` says.
async fn models_page(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    shown: FormState,
) -> WebResult<Response> {
    let all = models::list_models(state.store(), state.app().rules(), &access.project.id).await?;
    let (builtin, own): (Vec<&CompiledModel>, Vec<&CompiledModel>) =
        all.iter().partition(|model| model.is_builtin());
    let FormState {
        status,
        form,
        editing,
        error,
    } = shown;
    let edited = editing
        .as_deref()
        .and_then(|id| own.iter().find(|model| model.id() == id));
    let form = form
        .or_else(|| edited.map(|model| form_of(model)))
        .unwrap_or_default();
    let base = urls::project_section(&access.project.id, "settings/models");
    let form_action = match edited {
        Some(model) => format!("{base}/{}", urls::segment(model.id())),
        None => base,
    };
    let layout =
        Layout::for_project(state.store(), signed_in, csrf, &access.project, "settings").await?;
    let unit = if form.unit.is_empty() {
        "TOKENS"
    } else {
        form.unit.as_str()
    };
    let page = ModelsPage {
        layout,
        tabs: SettingsTabs::of(&access),
        can_manage: access.can(ProjectScope::ModelsCud),
        project_models: own.iter().map(|model| view(&access, model)).collect(),
        builtin_models: builtin.iter().map(|model| view(&access, model)).collect(),
        form_action,
        editing: edited.is_some(),
        units: UNITS.iter().map(|u| (*u, *u == unit)).collect(),
        tokenizers: TOKENIZERS
            .iter()
            .map(|(id, label)| (*id, *label, *id == form.tokenizer_id))
            .collect(),
        form,
        error,
        access,
    };
    render(status.unwrap_or(StatusCode::OK), &page)
}

pub async fn get_models(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    params: ListParams,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ProjectRead,
    )
    .await?;
    let editing = params
        .text("edit")
        .filter(|_| access.can(ProjectScope::ModelsCud));
    let shown = FormState {
        editing,
        ..FormState::default()
    };
    models_page(&state, &signed_in, &csrf, access, shown).await
}

/// Refusals the form can show; anything else is the error page.
fn form_error(error: ModelError) -> Result<String, WebError> {
    match error {
        ModelError::Invalid(message) | ModelError::InvalidPrices(message) => Ok(message),
        ModelError::Managed => Err(WebError::BadRequest(error.to_string())),
        ModelError::NotFound(_) => Err(WebError::NotFound),
        ModelError::Store(error) => Err(error.into()),
    }
}

pub async fn post_model(
    State(state): State<WebState>,
    Path(project_id): Path<String>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<ModelForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ModelsCud,
    )
    .await?;
    save(&state, &signed_in, &csrf, access, form, None).await
}

pub async fn post_model_update(
    State(state): State<WebState>,
    Path((project_id, model_id)): Path<(String, String)>,
    signed_in: SignedIn,
    csrf: CsrfToken,
    Form(form): Form<ModelForm>,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ModelsCud,
    )
    .await?;
    save(&state, &signed_in, &csrf, access, form, Some(model_id)).await
}

/// Creates a model, or replaces `replacing`; a refused form comes back with its message.
async fn save(
    state: &WebState,
    signed_in: &SignedIn,
    csrf: &CsrfToken,
    access: ProjectAccess,
    form: ModelForm,
    replacing: Option<String>,
) -> WebResult<Response> {
    let (store, rules) = (state.store(), state.app().rules());
    let project = access.project.id.clone();
    let outcome = match request(&form) {
        Err(message) => Err(message),
        Ok(request) => {
            let saved = match &replacing {
                None => models::create_model(store, rules, &project, request).await,
                Some(id) => models::replace_model(store, rules, &project, id, request).await,
            };
            match saved {
                Ok(model) => Ok(model),
                Err(error) => Err(form_error(error)?),
            }
        }
    };
    match outcome {
        Ok(model) => {
            tracing::info!(project.id = %project, model.id = %model.id(), "model saved");
            Ok(see_other(&urls::project_section(
                &project,
                "settings/models",
            )))
        }
        Err(message) => {
            let shown = FormState {
                status: Some(StatusCode::BAD_REQUEST),
                form: Some(form),
                editing: replacing,
                error: Some(message),
            };
            models_page(state, signed_in, csrf, access, shown).await
        }
    }
}

pub async fn post_model_delete(
    State(state): State<WebState>,
    Path((project_id, model_id)): Path<(String, String)>,
    signed_in: SignedIn,
) -> WebResult<Response> {
    let access = rbac::project_access(
        state.store(),
        &signed_in.user,
        &project_id,
        ProjectScope::ModelsCud,
    )
    .await?;
    models::delete_model(
        state.store(),
        state.app().rules(),
        &access.project.id,
        &model_id,
    )
    .await
    .map_err(|error| form_error(error).err().unwrap_or(WebError::NotFound))?;
    tracing::info!(project.id = %access.project.id, model.id = %model_id, "model deleted");
    Ok(see_other(&urls::project_section(
        &access.project.id,
        "settings/models",
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prices_are_per_million_units() {
        assert_eq!(price("2.5", "x"), Ok(Some(2.5e-6)));
        assert_eq!(price(" ", "x"), Ok(None));
        assert!(price("-1", "x").is_err());
        assert!(price("abc", "x").is_err());
        assert_eq!(per_million(Some(&2.5e-6)), "2.5");
        assert_eq!(per_million(Some(&0.0)), "0");
        assert_eq!(per_million(None), "");
    }

    #[test]
    fn names_become_exact_patterns() {
        assert_eq!(exact_pattern("gpt-4o.1"), "(?i)^(gpt-4o\\.1)$");
        let form = ModelForm {
            model_name: "my-model".into(),
            input_price: "1".into(),
            ..ModelForm::default()
        };
        let request = request(&form).unwrap();
        assert_eq!(request.unit.as_deref(), Some("TOKENS"));
        assert_eq!(request.input_price, Some(1e-6));
        assert!(super::request(&ModelForm::default()).is_err());
    }
}
