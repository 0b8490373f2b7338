//! Evaluators, rules and executions (`EvalStore`): versions under one id with the latest read
//! back, rules with their assignments replaced whole and unique names, executions created once
//! with their jobs in one transaction, updates, counts per rule, and deletes.

use serde_json::json;
use sightline_domain::ProjectId;
use sightline_domain::eval::ExecutionStatus;
use sightline_store::testing::{BackendTest, TestDb, backend_test};
use sightline_store::{
    EvaluationRule, EvaluatorVersion, ExecutionQuery, ExecutionUpdate, NewExecution, NewJob,
    RuleEvaluator, StoreError,
};

use super::org_and_project;

fn version(prompt: &str, at: i64) -> EvaluatorVersion {
    EvaluatorVersion {
        version: 0,
        prompt: prompt.into(),
        provider: None,
        model: None,
        model_params: None,
        variables: vec!["input".into()],
        mapping: Some(json!([{"variable": "input", "source": "input"}])),
        output_definition: json!({"version": 2, "dataType": "BOOLEAN"}),
        created_at: at,
    }
}

fn rule(project: &ProjectId, id: &str, name: &str, evaluator: &str) -> EvaluationRule {
    EvaluationRule {
        project_id: project.clone(),
        id: id.into(),
        name: name.into(),
        target: "trace".into(),
        enabled: true,
        filter: json!([]),
        sampling: 0.5,
        delay_ms: 10_000,
        time_scope: vec!["NEW".into()],
        evaluators: vec![RuleEvaluator {
            evaluator_id: evaluator.into(),
            evaluator_name: String::new(),
            mapping: None,
        }],
        created_at: 1_000,
        updated_at: 1_000,
    }
}

fn execution(id: &str, rule: &str, evaluator: &str, trace: &str) -> NewExecution {
    NewExecution {
        id: id.into(),
        rule_id: rule.into(),
        evaluator_id: evaluator.into(),
        trace_id: trace.into(),
        observation_id: None,
        dataset_item_id: None,
        created_at: 2_000,
    }
}

fn job(project: &ProjectId, id: &str) -> NewJob {
    NewJob {
        id: id.into(),
        project_id: Some(project.clone()),
        kind: "evaluation.execute".into(),
        payload: json!({"executionId": id}),
        dedupe_key: Some(format!("evaluation:{id}")),
        max_attempts: 5,
        run_after: 2_000,
        created_at: 2_000,
    }
}

async fn evaluators_rules_and_executions(db: TestDb) {
    let store = db.store.metadata();
    let (_, project) = org_and_project(&db.store).await;
    let first = store
        .add_evaluator_version(&project, "e1", "judge", &version("v1 {{input}}", 1_000))
        .await
        .unwrap();
    let second = store
        .add_evaluator_version(
            &project,
            "ignored",
            "judge",
            &version("v2 {{input}}", 2_000),
        )
        .await
        .unwrap();
    assert_eq!((first.id.as_str(), first.latest.version), ("e1", 1));
    assert_eq!((second.id.as_str(), second.latest.version), ("e1", 2));
    assert_eq!(second.latest.prompt, "v2 {{input}}");
    assert_eq!(second.created_at, 1_000);
    let (listed, total) = store.list_evaluators(&project, 10, 0).await.unwrap();
    assert_eq!((listed.len(), total), (1, 1));

    store
        .insert_rule(&rule(&project, "r1", "on traces", "e1"), &[])
        .await
        .unwrap();
    let duplicate = store
        .insert_rule(&rule(&project, "r2", "on traces", "e1"), &[])
        .await;
    assert!(
        matches!(duplicate, Err(StoreError::Conflict(_))),
        "{duplicate:?}"
    );
    let stored = store.rule(&project, "r1").await.unwrap().unwrap();
    assert_eq!(stored.evaluators[0].evaluator_name, "judge");
    assert_eq!(stored.sampling, 0.5);
    assert_eq!(
        store
            .evaluator(&project, "e1")
            .await
            .unwrap()
            .unwrap()
            .rule_count,
        1
    );

    // Executions are created once, with their jobs.
    let made = store
        .create_executions(
            &project,
            &[
                execution("x1", "r1", "e1", "t1"),
                execution("x2", "r1", "e1", "t2"),
            ],
            &[job(&project, "x1"), job(&project, "x2")],
        )
        .await
        .unwrap();
    assert_eq!(made, 2);
    let again = store
        .create_executions(
            &project,
            &[execution("x1", "r1", "e1", "t1")],
            &[job(&project, "x1")],
        )
        .await
        .unwrap();
    assert_eq!(again, 0);
    let (jobs, _) = store.list_jobs(&project, None, None, 10, 0).await.unwrap();
    assert_eq!(jobs.len(), 2);

    let done = ExecutionUpdate {
        status: Some(ExecutionStatus::Completed),
        score_id: Some("s1".into()),
        score_value: Some(1.0),
        cost: Some(0.25),
        end_time: Some(3_000),
        updated_at: 3_000,
        ..ExecutionUpdate::default()
    };
    assert!(store.update_execution(&project, "x1", &done).await.unwrap());
    let x1 = store.execution(&project, "x1").await.unwrap().unwrap();
    assert_eq!(x1.status, ExecutionStatus::Completed);
    assert_eq!(x1.score_value, Some(1.0));
    let query = ExecutionQuery {
        status: Some(ExecutionStatus::Pending),
        ..ExecutionQuery::default()
    };
    let (pending, total) = store
        .list_executions(&project, &query, 10, 0)
        .await
        .unwrap();
    assert_eq!((pending.len(), total), (1, 1));
    let stats = store.rule_stats(&project, 0).await.unwrap();
    assert_eq!(stats.len(), 1);
    assert_eq!((stats[0].completed, stats[0].pending), (1, 1));
    assert_eq!(stats[0].cost, 0.25);
    assert_eq!(stats[0].last.len(), 2);

    // A pause and its clearing; deleting the evaluator detaches it from the rule.
    assert!(
        store
            .set_evaluator_block(
                &project,
                "e1",
                Some(("LLM_CONNECTION_AUTH_INVALID", "paused")),
                4_000
            )
            .await
            .unwrap()
    );
    let paused = store.evaluator(&project, "e1").await.unwrap().unwrap();
    assert_eq!(
        paused.block_reason.as_deref(),
        Some("LLM_CONNECTION_AUTH_INVALID")
    );
    store
        .set_evaluator_block(&project, "e1", None, 5_000)
        .await
        .unwrap();
    assert!(
        store
            .evaluator(&project, "e1")
            .await
            .unwrap()
            .unwrap()
            .blocked_at
            .is_none()
    );
    assert!(store.delete_evaluator(&project, "e1").await.unwrap());
    assert!(
        store
            .rule(&project, "r1")
            .await
            .unwrap()
            .unwrap()
            .evaluators
            .is_empty()
    );
    assert!(store.delete_rule(&project, "r1").await.unwrap());
    assert!(store.rules(&project).await.unwrap().is_empty());
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "evaluators_rules_and_executions",
        evaluators_rules_and_executions,
    )]
}
