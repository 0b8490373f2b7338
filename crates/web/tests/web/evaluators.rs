//! Evaluators in the UI against a local fake provider: a MEMBER copies a managed template,
//! tests it on a trace (the filled prompt, the score and the reasoning shown, nothing written),
//! adds a rule with its variable mapping and switches it off; bad rule forms are refused with
//! their reason; a paused evaluator shows why and is reactivated; a VIEWER reads but cannot
//! change; trace content is escaped.

use std::net::{IpAddr, Ipv4Addr};

use axum::http::StatusCode;
use serde_json::json;
use sightline_domain::Role;
use sightline_domain::eval::managed_templates;
use sightline_domain::secret::Cipher;
use sightline_domain::time::now_ms;
use sightline_llm::fake::FakeProvider;
use sightline_llm::{Adapter, Client, HostPolicy};
use sightline_server::services::llm_connections::{self, ConnectionInput, LlmSettings, SaveMode};
use sightline_store::DefaultLlmModel;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{Browser, TestUi, project_url};
use crate::trace_fixtures::{self, HOSTILE, assert_inert};

const KEY: &str = "sk-evaluator-key";

async fn judge_ui(db: TestDb) -> (TestUi, FakeProvider) {
    let settings = LlmSettings {
        cipher: Some(Cipher::new(&[6; 32])),
        client: Client::new(HostPolicy::allowing_ips(&[IpAddr::V4(Ipv4Addr::LOCALHOST)])),
    };
    let ui = TestUi::with_llm(db, settings).await;
    let fake = FakeProvider::start(KEY).await;
    let input = ConnectionInput {
        provider: "judge".into(),
        adapter: Adapter::OpenAi.as_str().into(),
        secret_key: KEY.into(),
        base_url: Some(fake.base_url(Adapter::OpenAi)),
        custom_models: vec!["judge-model".into()],
        with_default_models: false,
        extra_headers: None,
        config: None,
    };
    let (connection, _) = llm_connections::save(ui.app(), ui.project(), input, SaveMode::Replace)
        .await
        .unwrap();
    let default = DefaultLlmModel {
        connection_id: connection.id,
        model: "judge-model".into(),
        model_params: json!({}),
        updated_at: now_ms(),
    };
    ui.store()
        .metadata()
        .set_default_llm_model(ui.project(), Some(&default))
        .await
        .unwrap();
    (ui, fake)
}

async fn member(ui: &TestUi, email: &str, role: Role) -> Browser {
    ui.user(email, Some((&ui.default_org, role))).await;
    ui.signed_in(email).await
}

/// Creates the Hallucination template's evaluator through the editor; returns its page URL.
async fn hallucination(ui: &TestUi, browser: &mut Browser) -> String {
    let template = managed_templates()
        .iter()
        .find(|t| t.key == "hallucination")
        .unwrap();
    let new = project_url(ui.project(), "/evals/new?template=hallucination");
    let form = browser.get(&new).await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("name=\"map_query\""));
    assert!(form.body.contains("name=\"map_generation\""));
    let saved = browser
        .submit(
            &new,
            &project_url(ui.project(), "/evals"),
            &[
                ("name", &template.name),
                ("prompt", &template.prompt),
                ("data_type", "NUMERIC"),
                ("reasoning", "One sentence reasoning for the score"),
                ("score", "0 to 1"),
                ("min", "0"),
                ("max", "1"),
                ("map_query", "input"),
                ("map_generation", "output"),
                ("path_query", ""),
                ("provider", ""),
                ("model", ""),
            ],
        )
        .await;
    assert_eq!(saved.status, StatusCode::SEE_OTHER, "{}", saved.body);
    saved.location().unwrap().to_owned()
}

async fn a_template_is_copied_tested_and_ruled(db: TestDb) {
    let (ui, fake) = judge_ui(db).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let list = ada.get(&project_url(ui.project(), "/evals")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(list.body.contains("Hallucination") && list.body.contains("Use template"));
    assert!(list.body.contains("No evaluators yet"));

    let saved = hallucination(&ui, &mut ada).await;
    assert!(saved.ends_with("?saved=1"), "{saved}");
    let page = ada.get(&saved).await;
    assert!(page.body.contains("Saved version 1."), "{}", page.body);
    assert!(page.body.contains("id=\"test-panel\""));

    trace_fixtures::write(ui.store(), ui.project(), |write| {
        let mut trace = trace_fixtures::trace("t-eval", "qa", now_ms());
        trace.input = Some(json!("What is two plus two?"));
        trace.output = Some(json!(HOSTILE[0]));
        write.trace_patches.push(trace);
    })
    .await;
    let evaluator_page = saved.trim_end_matches("?saved=1").to_owned();
    let tested = ada
        .submit(
            &evaluator_page,
            &format!("{evaluator_page}/test"),
            &[("trace_id", "t-eval")],
        )
        .await;
    assert_eq!(tested.status, StatusCode::OK, "{}", tested.body);
    assert!(tested.body.contains("Hallucination: 1"), "{}", tested.body);
    assert!(tested.body.contains("The fake judge always agrees."));
    assert!(tested.body.contains("What is two plus two?"));
    assert_inert(&tested.body);
    let sent = fake.requests();
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].body["model"], "judge-model");
    let scores = ui
        .store()
        .events()
        .trace_scores(ui.project(), "t-eval")
        .await
        .unwrap();
    assert!(scores.is_empty(), "a test writes nothing");

    // A rule with the evaluator: the form maps its variables.
    let new_rule = project_url(
        ui.project(),
        "/evals/rules/new?evaluator=Hallucination&target=trace",
    );
    let form = ada.get(&new_rule).await;
    assert!(form.body.contains("name=\"map_query\""), "{}", form.body);
    let created = ada
        .submit(
            &new_rule,
            &project_url(ui.project(), "/evals/rules"),
            &[
                ("name", "hallucinations"),
                ("target", "trace"),
                ("evaluator", "Hallucination"),
                ("map_query", "input"),
                ("map_generation", "output"),
                ("filter", "[]"),
                ("sampling", "0.5"),
                ("delay", "10"),
                ("run_new", "1"),
                ("enabled", "1"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let rules = ada.get(&project_url(ui.project(), "/evals/rules")).await;
    assert!(rules.body.contains("hallucinations"));
    assert!(rules.body.contains("data-status=\"active\""));
    assert!(rules.body.contains("50%") && rules.body.contains("10 s"));
    let rule = ui.store().metadata().rules(ui.project()).await.unwrap();
    assert_eq!(rule[0].delay_ms, 10_000);
    let toggle = format!(
        "{}/{}/toggle",
        project_url(ui.project(), "/evals/rules"),
        rule[0].id
    );
    let toggled = ada
        .submit(&project_url(ui.project(), "/evals/rules"), &toggle, &[])
        .await;
    assert_eq!(toggled.status, StatusCode::SEE_OTHER);
    let rules = ada.get(&project_url(ui.project(), "/evals/rules")).await;
    assert!(rules.body.contains("data-status=\"inactive\""));
    let log = ada
        .get(&project_url(ui.project(), "/evals/executions"))
        .await;
    assert_eq!(log.status, StatusCode::OK);
    assert!(log.body.contains("No executions yet."));
}

async fn bad_forms_are_refused_and_viewers_only_read(db: TestDb) {
    let (ui, _fake) = judge_ui(db).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    hallucination(&ui, &mut ada).await;
    let new_rule = project_url(ui.project(), "/evals/rules/new?evaluator=Hallucination");
    let base = [
        ("name", "r"),
        ("target", "trace"),
        ("evaluator", "Hallucination"),
        ("map_query", "input"),
        ("map_generation", "output"),
        ("run_new", "1"),
        ("enabled", "1"),
    ];
    let cases: [(&[(&str, &str)], &str); 4] = [
        (
            &[("sampling", "2"), ("filter", "[]")],
            "sampling must be greater than 0",
        ),
        (
            &[("sampling", "1"), ("filter", "not json")],
            "The filter is not JSON",
        ),
        (
            &[
                ("sampling", "1"),
                (
                    "filter",
                    r#"[{"type":"string","column":"nope","operator":"=","value":"x"}]"#,
                ),
            ],
            "Unknown filter column",
        ),
        (
            &[
                ("sampling", "1"),
                ("filter", "[]"),
                ("map_generation", "expected_output"),
            ],
            "cannot be used for this target",
        ),
    ];
    for (extra, expected) in cases {
        let mut fields: Vec<(&str, &str)> = base
            .iter()
            .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
            .copied()
            .collect();
        fields.extend_from_slice(extra);
        let refused = ada
            .submit(
                &new_rule,
                &project_url(ui.project(), "/evals/rules"),
                &fields,
            )
            .await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{expected}");
        assert!(
            refused.body.contains(expected),
            "{expected}: {}",
            refused.body
        );
    }
    assert!(
        ui.store()
            .metadata()
            .rules(ui.project())
            .await
            .unwrap()
            .is_empty()
    );

    // An evaluator whose new variable is not mapped yet: the editor asks for it.
    let unmapped = ada
        .submit(
            &project_url(ui.project(), "/evals/new"),
            &project_url(ui.project(), "/evals"),
            &[
                ("name", "fresh"),
                ("prompt", "Judge {{answer}}"),
                ("data_type", "BOOLEAN"),
                ("reasoning", "why"),
                ("score", "true if good"),
            ],
        )
        .await;
    assert_eq!(unmapped.status, StatusCode::BAD_REQUEST);
    assert!(unmapped.body.contains("name=\"map_answer\""));

    let mut viewer = member(&ui, "vic@example.com", Role::Viewer).await;
    let list = viewer.get(&project_url(ui.project(), "/evals")).await;
    assert_eq!(list.status, StatusCode::OK);
    assert!(!list.body.contains("Use template"));
    let new = viewer.get(&project_url(ui.project(), "/evals/new")).await;
    assert_eq!(new.status, StatusCode::FORBIDDEN);
    let rules = viewer.get(&project_url(ui.project(), "/evals/rules")).await;
    assert_eq!(rules.status, StatusCode::OK);
}

async fn a_paused_evaluator_shows_why_and_is_reactivated(db: TestDb) {
    let (ui, _fake) = judge_ui(db).await;
    let mut ada = member(&ui, "ada@example.com", Role::Member).await;
    let saved = hallucination(&ui, &mut ada).await;
    let page = saved.trim_end_matches("?saved=1").to_owned();
    let (evaluators, _) = ui
        .store()
        .metadata()
        .list_evaluators(ui.project(), 10, 0)
        .await
        .unwrap();
    let reason = sightline_domain::eval::BlockReason::AuthInvalid;
    ui.store()
        .metadata()
        .set_evaluator_block(
            ui.project(),
            &evaluators[0].id,
            Some((reason.as_str(), reason.message())),
            now_ms(),
        )
        .await
        .unwrap();
    let paused = ada.get(&page).await;
    assert!(paused.body.contains("id=\"paused\""));
    assert!(paused.body.contains("LLM_CONNECTION_AUTH_INVALID"));
    let list = ada.get(&project_url(ui.project(), "/evals")).await;
    assert!(list.body.contains(">paused<"));
    let reactivated = ada.submit(&page, &format!("{page}/reactivate"), &[]).await;
    assert_eq!(
        reactivated.status,
        StatusCode::SEE_OTHER,
        "{}",
        reactivated.body
    );
    let active = ada.get(&page).await;
    assert!(!active.body.contains("id=\"paused\""));
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "a_template_is_copied_tested_and_ruled",
            a_template_is_copied_tested_and_ruled,
        ),
        backend_test(
            "bad_forms_are_refused_and_viewers_only_read",
            bad_forms_are_refused_and_viewers_only_read,
        ),
        backend_test(
            "a_paused_evaluator_shows_why_and_is_reactivated",
            a_paused_evaluator_shows_why_and_is_reactivated,
        ),
    ]
}
