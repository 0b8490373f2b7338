//! The trace detail page: the tree and a node's payload fragment, a trace of 20,000
//! observations, hostile trace content rendered inert, tenant isolation of pages, fragments and
//! posts, and comments and manual scores by role.

use axum::http::{Method, StatusCode};
use serde_json::json;
use sightline_domain::Role;
use sightline_domain::ingest::{ObservationType, ScoreDataType, ScoreSource};
use sightline_domain::time::now_ms;
use sightline_server::services::identity;
use sightline_store::ConfigCategory;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{TestUi, project_url};
use crate::trace_fixtures::{assert_inert, config, observation, seed, trace, write};

async fn trace_detail_shows_the_tree_and_node_payloads(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    let url = project_url(&project, "/traces/t-chat");
    let page = owner.get(&url).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    for expected in [
        "root-step",
        "gen-1-step",
        "evt-1-step",
        ">GEN<",
        ">SPAN<",
        ">EVT<",
        "Trace question",
        "Trace answer",
        "&#34;team&#34;: &#34;search&#34;",
        "href=\"t-chat/observations/gen-1\"",
        // gen-1 starts 100 ms into the 1.1 s trace and runs 1 s of it.
        "class=\"bar o9 w90 bar-GENERATION\"",
        "/users/alice\"",
        "/sessions/s-1\"",
    ] {
        assert!(page.body.contains(expected), "{expected} missing");
    }
    // The tree is in depth-first order, and carries no observation payloads.
    let at = |needle: &str| page.body.find(needle).unwrap();
    assert!(at("root-step") < at("gen-1-step") && at("gen-1-step") < at("evt-1-step"));
    assert!(!page.body.contains("What is 2+2?"));

    let node = project_url(&project, "/traces/t-chat/observations/gen-1");
    let fragment = owner
        .request(Method::GET, &node, &[("hx-request", "true")], None)
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(!fragment.body.contains("<html"));
    for expected in [
        "What is 2+2?",
        "It is 4.",
        "class=\"chat\"",
        "gpt-4o",
        "temperature",
        ">15<",
        "$0.001230",
        "GENERATION",
    ] {
        assert!(fragment.body.contains(expected), "{expected} missing");
    }
    let event = owner
        .request(
            Method::GET,
            &project_url(&project, "/traces/t-chat/observations/evt-1"),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert!(event.body.contains("boom") && event.body.contains("ERROR"));
    // Without htmx the same URL leads to the page with the node open.
    let moved = owner.get(&node).await;
    assert_eq!(moved.status, StatusCode::SEE_OTHER);
    let full = owner.get(moved.location().unwrap()).await;
    assert!(full.body.contains("<html") && full.body.contains("What is 2+2?"));
    assert!(
        full.body.contains("class=\"node d2 selected\""),
        "gen-1, under the trace and its span"
    );
    assert!(!full.body.contains("trace-root selected"));
    // The trace is the tree's root: selected when no node is, its summary in the detail pane,
    // and its own fragment for htmx.
    let page = owner.get(&project_url(&project, "/traces/t-chat")).await;
    assert!(page.body.contains("class=\"node d0 trace-root selected\""));
    assert!(page.body.contains("id=\"trace-summary\"") && page.body.contains("Trace question"));
    assert!(page.body.contains("id=\"timeline-toggle\""));
    let summary = project_url(&project, "/traces/t-chat/summary");
    let fragment = owner
        .request(Method::GET, &summary, &[("hx-request", "true")], None)
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(!fragment.body.contains("<html"));
    assert!(fragment.body.contains("Trace question") && fragment.body.contains("Trace answer"));
    assert_eq!(owner.get(&summary).await.status, StatusCode::SEE_OTHER);
    // An observation of another trace, and unknown ids, are not found.
    for path in [
        "/traces/t-old/observations/gen-1",
        "/traces/t-chat/observations/nope",
        "/traces/nope",
    ] {
        let page = owner.get(&project_url(&project, path)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
}

async fn hostile_trace_content_renders_inert(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    for path in [
        "/traces",
        "/traces?search=%3Cscript%3E",
        "/traces/t-hostile",
        "/traces/t-hostile?observation=bad-1",
    ] {
        let page = owner.get(&project_url(&project, path)).await;
        assert_eq!(page.status, StatusCode::OK, "{path}");
        assert_inert(&page.body);
    }
    let page = owner.get(&project_url(&project, "/traces/t-hostile")).await;
    assert!(
        page.body
            .contains("&#60;script&#62;alert(1)&#60;/script&#62;")
    );
    // Links made of hostile ids stay inside our paths, percent-encoded.
    assert!(page.body.contains("/sessions/javascript%3Aalert%281%29\""));
    let fragment = owner
        .request(
            Method::GET,
            &project_url(&project, "/traces/t-hostile/observations/bad-1"),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert_inert(&fragment.body);
    assert!(fragment.body.contains("javascript:alert(1)"));
}

async fn other_organizations_cannot_open_traces(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    let other = identity::create_organization(ui.store(), None, "Other Org")
        .await
        .unwrap();
    let other_project = identity::create_project(ui.store(), &other.id, None, "Other", None)
        .await
        .unwrap();
    ui.user("mallory@example.com", Some((&other.id, Role::Owner)))
        .await;
    let mut mallory = ui.signed_in("mallory@example.com").await;
    let own = project_url(&other_project.id, "/traces");
    for path in [
        "",
        "/traces",
        "/traces/t-chat",
        "/traces/t-chat/observations/gen-1",
    ] {
        let page = mallory.get(&project_url(&project, path)).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
        assert!(!page.body.contains("chat-completion"));
        let fragment = mallory
            .request(
                Method::GET,
                &project_url(&project, path),
                &[("hx-request", "true"), ("hx-target", "traces-table")],
                None,
            )
            .await;
        assert_eq!(fragment.status, StatusCode::NOT_FOUND, "htmx {path}");
    }
    // Her own, empty project shows how to send traces instead.
    let page = mallory.get(&own).await;
    assert!(page.body.contains("id=\"get-started\""));
    assert!(page.body.contains("No traces."));
    // Another project's trace id through her own project: not there either.
    let page = mallory
        .get(&project_url(&other_project.id, "/traces/t-chat"))
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND);
    for (path, fields) in [
        ("/traces/t-chat/comments", vec![("content", "pwned")]),
        (
            "/traces/t-chat/scores",
            vec![("config_id", "c1"), ("value", "1")],
        ),
    ] {
        let page = mallory
            .submit(&own, &project_url(&project, path), &fields)
            .await;
        assert_eq!(page.status, StatusCode::NOT_FOUND, "{path}");
    }
}

async fn members_comment_and_score_viewers_cannot(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.store()
        .metadata()
        .insert_score_config(&config(&project))
        .await
        .unwrap();
    let org = ui.default_org.clone();
    ui.user("viewer@example.com", Some((&org, Role::Viewer)))
        .await;
    ui.user("member@example.com", Some((&org, Role::Member)))
        .await;
    let url = project_url(&project, "/traces/t-chat");
    let comments = format!("{url}/comments");
    let scores = format!("{url}/scores");

    let mut viewer = ui.signed_in("viewer@example.com").await;
    let page = viewer.get(&url).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("comment-form"));
    assert!(!page.body.contains("score-form"));
    let home = project_url(&project, "/traces");
    let refused = viewer
        .submit(&home, &comments, &[("content", "hello")])
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    let refused = viewer
        .submit(
            &home,
            &scores,
            &[("config_id", "cfg-helpful"), ("value", "1")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);

    let mut member = ui.signed_in("member@example.com").await;
    let page = member.get(&url).await;
    assert!(page.body.contains("comment-form") && page.body.contains("score-form"));
    assert!(page.body.contains("helpfulness (NUMERIC: 0 to 1)"));
    let done = member
        .submit(&url, &comments, &[("content", "  Looks <b>right</b>  ")])
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let done = member
        .submit(
            &url,
            &scores,
            &[
                ("config_id", "cfg-helpful"),
                ("value", "0.7"),
                ("comment", "good"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let page = member.get(&url).await;
    assert!(page.body.contains("Looks &#60;b&#62;right&#60;/b&#62;"));
    assert!(page.body.contains("member@example.com"));
    assert!(page.body.contains("helpfulness: 0.7"));
    let stored = ui
        .store()
        .events()
        .trace_scores(&project, "t-chat")
        .await
        .unwrap();
    let manual = stored
        .iter()
        .find(|s| s.score.name == "helpfulness")
        .unwrap();
    assert_eq!(manual.score.source, ScoreSource::Annotation);
    assert_eq!(manual.score.config_id.as_deref(), Some("cfg-helpful"));
    // Scoring the same config again edits the annotation rather than adding one.
    let again = member
        .submit(
            &url,
            &scores,
            &[("config_id", "cfg-helpful"), ("value", "0.4")],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let helpful: Vec<_> = ui
        .store()
        .events()
        .trace_scores(&project, "t-chat")
        .await
        .unwrap()
        .into_iter()
        .filter(|s| s.score.name == "helpfulness")
        .collect();
    assert_eq!(helpful.len(), 1);
    assert_eq!(helpful[0].score.value, Some(0.4));
    // An annotation can be deleted from its trace; other scores cannot be deleted here.
    let page = member.get(&url).await;
    let delete = format!("{scores}/{}/delete", helpful[0].score.id);
    assert!(
        page.body
            .contains(&format!("{}/delete", helpful[0].score.id))
    );
    let api_score = stored
        .iter()
        .find(|s| s.score.source != ScoreSource::Annotation)
        .unwrap();
    let refused = member
        .submit(
            &url,
            &format!("{scores}/{}/delete", api_score.score.id),
            &[],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        viewer.submit(&home, &delete, &[]).await.status,
        StatusCode::FORBIDDEN
    );
    let deleted = member.submit(&url, &delete, &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(
        ui.store()
            .events()
            .score(&project, &helpful[0].score.id)
            .await
            .unwrap()
            .is_none()
    );

    // Checked like the API: out of the config's range, not a number, no such config.
    for (config_id, value) in [("cfg-helpful", "5"), ("cfg-helpful", "lots"), ("nope", "1")] {
        let refused = member
            .submit(&url, &scores, &[("config_id", config_id), ("value", value)])
            .await;
        assert_eq!(
            refused.status,
            StatusCode::BAD_REQUEST,
            "{config_id} {value}"
        );
    }
    // Without the page's CSRF token, nothing is written.
    assert_eq!(
        member
            .post(&comments, &[("content", "forged")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        member
            .post(&scores, &[("config_id", "cfg-helpful"), ("value", "1")])
            .await
            .status,
        StatusCode::FORBIDDEN
    );
    let refused = member.submit(&url, &comments, &[("content", "   ")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);

    // A categorical config takes one of its labels, stored with the label's value.
    let mut tone = config(&project);
    tone.id = "cfg-tone".into();
    tone.name = "tone".into();
    tone.data_type = ScoreDataType::Categorical;
    (tone.min_value, tone.max_value) = (None, None);
    tone.categories = Some(vec![
        ConfigCategory {
            label: "kind".into(),
            value: 1.0,
        },
        ConfigCategory {
            label: "rude".into(),
            value: 0.0,
        },
    ]);
    ui.store()
        .metadata()
        .insert_score_config(&tone)
        .await
        .unwrap();
    let refused = member
        .submit(
            &url,
            &scores,
            &[("config_id", "cfg-tone"), ("value", "meh")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    let done = member
        .submit(
            &url,
            &scores,
            &[("config_id", "cfg-tone"), ("value", "kind")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(member.get(&url).await.body.contains("tone: kind"));

    // On an observation: the comment and score show in its fragment.
    let done = member
        .submit(
            &url,
            &comments,
            &[("content", "node note"), ("observation_id", "gen-1")],
        )
        .await;
    assert_eq!(
        done.location(),
        Some(format!("{url}?observation=gen-1").as_str())
    );
    member
        .submit(
            &url,
            &scores,
            &[
                ("config_id", "cfg-helpful"),
                ("value", "1"),
                ("observation_id", "gen-1"),
            ],
        )
        .await;
    let fragment = member
        .request(
            Method::GET,
            &format!("{url}/observations/gen-1"),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert!(fragment.body.contains("node note"));
    assert!(fragment.body.contains("helpfulness: 1"));
    assert_eq!(
        ui.store()
            .events()
            .trace_scores(&project, "t-chat")
            .await
            .unwrap()
            .len(),
        3,
        "the seeded score, tone, and helpfulness on gen-1 (the trace's was deleted)"
    );
}

/// A trace of 20,000 observations: the page carries the whole tree but no payloads, and opens
/// well within two seconds (even in a debug build); a node's payload is its own request.
async fn a_trace_of_20000_observations_opens_quickly(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    let start = now_ms() - 3_600_000;
    write(ui.store(), &project, |w| {
        w.trace_patches = vec![trace("big", "big-trace", start)];
        w.observations.push(observation(
            "big",
            "o-root",
            None,
            ObservationType::Span,
            start,
        ));
        for parent in 0..199 {
            let parent_id = format!("o-{parent}");
            let mut span = observation(
                "big",
                &parent_id,
                Some("o-root"),
                ObservationType::Span,
                start + parent,
            );
            span.input = Some(json!("x".repeat(2_000)));
            w.observations.push(span);
            for child in 0..100 {
                let mut generation = observation(
                    "big",
                    &format!("o-{parent}-{child}"),
                    Some(&parent_id),
                    ObservationType::Generation,
                    start + parent + child,
                );
                generation.input =
                    Some(json!([{"role": "user", "content": "payload ".repeat(100)}]));
                w.observations.push(generation);
            }
        }
    })
    .await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    let began = std::time::Instant::now();
    let page = owner.get(&project_url(&project, "/traces/big")).await;
    let took = began.elapsed();
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.body.matches("class=\"node ").count(),
        20_101,
        "the trace and its nodes"
    );
    assert!(!page.body.contains("payload payload"));
    // Timing is reported, not asserted: speed targets are checked by measurement, not by tests
    // that a busy machine could fail.
    eprintln!(
        "trace of 20,000 observations: {took:?}, {} bytes",
        page.body.len()
    );
    let fragment = owner
        .request(
            Method::GET,
            &project_url(&project, "/traces/big/observations/o-5-5"),
            &[("hx-request", "true")],
            None,
        )
        .await;
    assert!(fragment.body.contains("payload payload"));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
/// Media referenced by a trace's input (`@@@langfuseMedia:…@@@`) shows inline, served by the
/// project's media route with the bytes uploaded; hostile references stay inert, and another
/// organization's member cannot read the media.
async fn media_references_render_inline(db: TestDb) {
    use sightline_server::services::media::{self, UploadRequest};
    use sightline_store::{MediaTarget, UploadReport};

    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    let png: &[u8] = b"PNG fake bytes for the trace view";
    let hash = {
        use base64::Engine as _;
        use sha2::Digest as _;
        base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(png))
    };
    let request = UploadRequest {
        content_type: "image/png".into(),
        content_length: png.len() as i64,
        sha256_hash: hash,
        target: MediaTarget::Trace {
            trace_id: "t-media".into(),
            observation_id: None,
        },
        field: sightline_domain::media::MediaField::Input,
    };
    let created = media::create_upload(ui.app(), &project, &request, "http://localhost")
        .await
        .unwrap();
    let stored = ui
        .store()
        .metadata()
        .media(&project, &created.media_id)
        .await
        .unwrap()
        .unwrap();
    ui.app()
        .blobs()
        .media
        .put(&stored.bucket_path, png.to_vec().into())
        .await
        .unwrap();
    let report = UploadReport {
        uploaded_at: now_ms(),
        http_status: 200,
        http_error: None,
        time_ms: None,
    };
    media::report_upload(ui.app(), &project, &created.media_id, report)
        .await
        .unwrap();
    let reference = format!(
        "@@@langfuseMedia:type=image/png|id={}|source=base64_data_uri@@@",
        created.media_id
    );
    let hostile =
        "@@@langfuseMedia:type=image/png\"><script>alert(1)</script>|id=\"><img src=x>|source=x@@@";
    write(ui.store(), &project, |w| {
        let mut with_media = trace("t-media", "vision", now_ms() - 1_000);
        with_media.input =
            Some(json!({"question": "What is this?", "image": reference, "other": hostile}));
        w.trace_patches = vec![with_media];
    })
    .await;

    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    let page = owner.get(&project_url(&project, "/traces/t-media")).await;
    assert_eq!(page.status, StatusCode::OK);
    let media_url = project_url(&project, &format!("/media/{}", created.media_id));
    assert!(
        page.body.contains(&format!("<img src=\"{media_url}\"")),
        "the image is shown inline"
    );
    assert_inert(&page.body);
    let image = owner.get(&media_url).await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.headers["content-type"], "image/png");
    assert_eq!(image.headers["x-content-type-options"], "nosniff");
    assert_eq!(image.body.as_bytes(), png);
    assert_eq!(
        owner
            .get(&project_url(&project, "/media/no-such-media"))
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let other_org = identity::create_organization(ui.store(), None, "Other")
        .await
        .unwrap();
    ui.user("stranger@example.com", Some((&other_org.id, Role::Owner)))
        .await;
    let mut stranger = ui.signed_in("stranger@example.com").await;
    assert_eq!(stranger.get(&media_url).await.status, StatusCode::NOT_FOUND);
}

pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "media_references_render_inline",
            media_references_render_inline,
        ),
        backend_test(
            "a_trace_of_20000_observations_opens_quickly",
            a_trace_of_20000_observations_opens_quickly,
        ),
        backend_test(
            "trace_detail_shows_the_tree_and_node_payloads",
            trace_detail_shows_the_tree_and_node_payloads,
        ),
        backend_test(
            "hostile_trace_content_renders_inert",
            hostile_trace_content_renders_inert,
        ),
        backend_test(
            "other_organizations_cannot_open_traces",
            other_organizations_cannot_open_traces,
        ),
        backend_test(
            "members_comment_and_score_viewers_cannot",
            members_comment_and_score_viewers_cannot,
        ),
    ]
}
