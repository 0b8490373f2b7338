//! The traces table: listing with per-row totals, every filter, search, sorting, pagination,
//! the htmx fragment and the column choice remembered per user.

use axum::http::{Method, StatusCode};
use sightline_domain::time::now_ms;
use sightline_domain::{ProjectId, Role};
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{Browser, Page, TestUi, project_url};
use crate::trace_fixtures::{seed, trace, write};

fn rows(page: &Page) -> usize {
    page.body.matches("class=\"trace-row\"").count()
}

async fn listed(browser: &mut Browser, project: &ProjectId, query: &str) -> Page {
    let page = browser
        .get(&project_url(project, &format!("/traces{query}")))
        .await;
    assert_eq!(page.status, StatusCode::OK, "{query}: {}", page.body);
    page
}

async fn table_lists_filters_sorts_and_pages(db: TestDb) {
    let ui = TestUi::new(db).await;
    let project = ui.project().clone();
    seed(ui.store(), &project).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;

    let page = listed(&mut owner, &project, "").await;
    assert_eq!(rows(&page), 3);
    for expected in [
        "chat-completion",
        "batch-job",
        "15",
        "$0.001230",
        "1.10s",
        "quality: 0.9",
        "Trace question",
        "Trace answer",
        "/users/alice\"",
    ] {
        assert!(page.body.contains(expected), "{expected} missing");
    }
    // Session, level and environment are columns to pick (another user, so the owner's
    // remembered choice stays the default one).
    ui.user("all@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut every = ui.signed_in("all@example.com").await;
    let all = listed(
        &mut every,
        &project,
        "?columns=1&col=name&col=session&col=level&col=environment",
    )
    .await;
    for expected in ["production", ">ERROR<", "/sessions/s-1\""] {
        assert!(all.body.contains(expected), "{expected} missing");
    }
    // The project's home is its dashboard, which links here.
    let home = owner.get(&project_url(&project, "")).await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("id=\"dashboard-data\""));
    assert!(
        home.body
            .contains(&format!("href=\"{}\"", project_url(&project, "/traces")))
    );

    let only = |page: &Page, id: &str| {
        assert_eq!(rows(page), 1, "{}", page.body);
        assert!(page.body.contains(&format!("/traces/{id}\"")), "{id}");
    };
    only(
        &listed(&mut owner, &project, "?name=batch-job").await,
        "t-old",
    );
    only(
        &listed(&mut owner, &project, "?user_id=alice").await,
        "t-chat",
    );
    only(
        &listed(&mut owner, &project, "?session_id=s-1").await,
        "t-chat",
    );
    only(
        &listed(&mut owner, &project, "?tags=prod%2C+v2").await,
        "t-chat",
    );
    only(
        &listed(&mut owner, &project, "?level=ERROR").await,
        "t-chat",
    );
    only(
        &listed(&mut owner, &project, "?environment=production").await,
        "t-chat",
    );
    only(
        &listed(&mut owner, &project, "?score_name=quality&score_min=0.5").await,
        "t-chat",
    );
    only(
        &listed(&mut owner, &project, "?score_name=quality&score_max=0.5").await,
        "t-old",
    );
    only(
        &listed(&mut owner, &project, "?search=t-old").await,
        "t-old",
    );
    only(
        &listed(&mut owner, &project, "?search=COMPLETION").await,
        "t-chat",
    );
    assert_eq!(rows(&listed(&mut owner, &project, "?range=24h").await), 2);
    assert_eq!(rows(&listed(&mut owner, &project, "?range=7d").await), 3);
    let old = sightline_domain::time::to_iso(now_ms() - 2 * 86_400_000);
    let to = format!("?to={}", &old[..16]);
    only(&listed(&mut owner, &project, &to).await, "t-old");
    assert_eq!(
        listed(&mut owner, &project, "?user_id=nobody")
            .await
            .body
            .matches("No traces match")
            .count(),
        1
    );
    // A value that cannot be read is left out and named, never an error page.
    let page = listed(&mut owner, &project, "?from=yesterday&user_id=alice").await;
    only(&page, "t-chat");
    assert!(page.body.contains("From: expected a date and time"));

    // Sorting by name, both ways.
    let page = listed(&mut owner, &project, "?order=name&dir=asc").await;
    let position = |page: &Page, id: &str| page.body.find(&format!("/traces/{id}\"")).unwrap();
    assert!(position(&page, "t-old") < position(&page, "t-chat"));
    let page = listed(&mut owner, &project, "?order=name&dir=desc").await;
    assert!(position(&page, "t-chat") < position(&page, "t-old"));

    // Pages of ten.
    let now = now_ms();
    write(ui.store(), &project, |w| {
        w.trace_patches = (0..9)
            .map(|n| trace(&format!("bulk-{n}"), "bulk", now - n * 1_000))
            .collect();
    })
    .await;
    let first = listed(&mut owner, &project, "?limit=10").await;
    assert_eq!(rows(&first), 10);
    assert!(first.body.contains("12 traces"));
    assert!(first.body.contains("page=2"));
    let second = listed(&mut owner, &project, "?limit=10&page=2").await;
    assert_eq!(rows(&second), 2);
    assert!(second.body.contains("rel=\"prev\""));
    assert!(!second.body.contains("rel=\"next\""));

    // htmx gets only the table.
    let fragment = owner
        .request(
            Method::GET,
            &project_url(&project, "/traces?name=bulk"),
            &[("hx-request", "true"), ("hx-target", "traces-table")],
            None,
        )
        .await;
    assert_eq!(fragment.status, StatusCode::OK);
    assert!(
        fragment
            .body
            .trim_start()
            .starts_with("<div id=\"traces-table\"")
    );
    assert!(!fragment.body.contains("<html"));
    assert_eq!(rows(&fragment), 9);
    // Its column picker carries the current filters.
    assert!(
        fragment
            .body
            .contains("<input type=\"hidden\" name=\"name\" value=\"bulk\">")
    );

    // The column choice is remembered for this user, not for another one.
    let defaults = listed(&mut owner, &project, "").await;
    assert!(defaults.body.contains(">Tokens</th>"));
    assert!(
        !defaults.body.contains(">Environment</th>"),
        "environment is not a default column"
    );
    let page = listed(
        &mut owner,
        &project,
        "?columns=1&col=name&col=cost&col=environment",
    )
    .await;
    assert!(page.body.contains(">Cost</th>"));
    assert!(page.body.contains(">Environment</th>"));
    assert!(!page.body.contains(">Tokens</th>"));
    assert!(owner.cookie("sightline_trace_columns").is_some());
    let page = listed(&mut owner, &project, "").await;
    assert!(!page.body.contains(">Tokens</th>"));
    assert!(page.body.contains(">Environment</th>"));
    let cookie = owner.cookie("sightline_trace_columns").unwrap().to_owned();
    ui.user("member@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut member = ui.signed_in("member@example.com").await;
    member.set_cookie("sightline_trace_columns", &cookie);
    let page = listed(&mut member, &project, "").await;
    assert!(
        page.body.contains(">Tokens</th>"),
        "another user gets the defaults"
    );
    assert!(!page.body.contains(">Environment</th>"));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![backend_test(
        "table_lists_filters_sorts_and_pages",
        table_lists_filters_sorts_and_pages,
    )]
}
