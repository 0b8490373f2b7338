//! Sign-up (the first-user rule, invitations), sign-in, sign-out, wrong passwords, the rate
//! limit and password changes.

use axum::http::StatusCode;
use sightline_domain::Role;
use sightline_store::testing::{BackendTest, TestDb, backend_test};

use crate::support::{PASSWORD, TestUi, project_url};

async fn sign_up(ui: &TestUi, email: &str) -> (crate::support::Browser, crate::support::Page) {
    let mut browser = ui.browser();
    let page = browser
        .submit(
            "/ui/sign-up",
            "/ui/sign-up",
            &[
                ("email", email),
                ("name", "Someone"),
                ("password", PASSWORD),
            ],
        )
        .await;
    (browser, page)
}

async fn first_sign_up_owns_the_default_organization(db: TestDb) {
    let ui = TestUi::new(db).await;
    let page = ui.browser().get("/ui/sign-up").await;
    assert!(page.body.contains("becomes the owner"), "{}", page.body);

    let (mut ada, page) = sign_up(&ui, "Ada@Example.com").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(page.location(), Some("/ui"));
    assert!(ada.cookie("sightline_session").is_some());

    let page = ada.get("/ui").await;
    assert_eq!(
        page.location(),
        Some(project_url(ui.project(), "").as_str())
    );
    let page = ada.get(&project_url(ui.project(), "")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Default Project"));
    assert!(page.body.contains(">OWNER<"), "{}", page.body);
    let user = ui
        .store()
        .metadata()
        .user_by_email(&sightline_domain::Email::parse("ada@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        ui.store()
            .metadata()
            .org_role(&ui.default_org, &user.id)
            .await
            .unwrap(),
        Some(Role::Owner)
    );

    // The instance is claimed: a stranger cannot sign up, and the form says why.
    let (_, page) = sign_up(&ui, "mallory@example.com").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
    assert!(page.body.contains("by invitation"), "{}", page.body);
    assert!(
        ui.store()
            .metadata()
            .user_by_email(&sightline_domain::Email::parse("mallory@example.com").unwrap())
            .await
            .unwrap()
            .is_none()
    );

    // The same email again.
    let (_, page) = sign_up(&ui, "ada@example.com").await;
    assert_eq!(page.status, StatusCode::CONFLICT);
}

async fn a_sign_in_claims_the_instance(db: TestDb) {
    let ui = TestUi::new(db).await;
    // The generated owner signs in first: the instance is theirs, sign-up is by invitation.
    let mut admin = ui.browser();
    let email = ui.default.email.to_string();
    let page = admin
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", &email), ("password", &ui.default.password)],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let (_, page) = sign_up(&ui, "late@example.com").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

async fn sign_up_is_by_invitation_once_other_users_exist(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("first@example.com", Some((&ui.default_org, Role::Admin)))
        .await;
    let (_, page) = sign_up(&ui, "late@example.com").await;
    assert_eq!(page.status, StatusCode::FORBIDDEN);
}

async fn invited_people_sign_up_and_join_with_their_role(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("owner@example.com", Some((&ui.default_org, Role::Owner)))
        .await;
    let mut owner = ui.signed_in("owner@example.com").await;
    let members = crate::support::org_url(&ui.default_org, "/members");
    let page = owner
        .submit(
            &members,
            &members,
            &[("email", "vic@example.com"), ("role", "VIEWER")],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("vic@example.com is invited"));
    assert!(page.body.contains("id=\"invitations\""));

    let (mut vic, page) = sign_up(&ui, "vic@example.com").await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.body);
    let page = vic.get(&project_url(ui.project(), "")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains(">VIEWER<"));
    let page = owner.get(&members).await;
    assert!(
        !page.body.contains("vic@example.com</td>"),
        "invitation is used up"
    );

    // An invitation with a project override: MEMBER in the organization, ADMIN on the project.
    let page = owner
        .submit(
            &members,
            &members,
            &[
                ("email", "pat@example.com"),
                ("role", "MEMBER"),
                ("project_id", ui.project().as_str()),
                ("project_role", "ADMIN"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    let (mut pat, _) = sign_up(&ui, "pat@example.com").await;
    let page = pat
        .get(&project_url(ui.project(), "/settings/api-keys"))
        .await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("create-key-button"));

    // Someone with an account is added at once; inviting them again is an error.
    ui.user("kim@example.com", None).await;
    let page = owner
        .submit(
            &members,
            &members,
            &[("email", "kim@example.com"), ("role", "MEMBER")],
        )
        .await;
    assert!(
        page.body.contains("kim@example.com was added"),
        "{}",
        page.body
    );
    let page = owner
        .submit(
            &members,
            &members,
            &[("email", "kim@example.com"), ("role", "VIEWER")],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("already a member"));

    // Removing a member takes the project away from them.
    let kim = ui
        .store()
        .metadata()
        .user_by_email(&sightline_domain::Email::parse("kim@example.com").unwrap())
        .await
        .unwrap()
        .unwrap();
    let mut kim_browser = ui.signed_in("kim@example.com").await;
    let home = project_url(ui.project(), "");
    assert_eq!(kim_browser.get(&home).await.status, StatusCode::OK);
    let remove = crate::support::org_url(
        &ui.default_org,
        &format!("/members/{}/remove", kim.id.as_str()),
    );
    let page = owner.submit(&members, &remove, &[]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(kim_browser.get(&home).await.status, StatusCode::NOT_FOUND);
}

async fn sign_in_wrong_password_and_sign_out(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("bob@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut browser = ui.browser();
    assert_eq!(
        browser.get("/ui/account").await.location(),
        Some("/ui/sign-in?next=%2Fui%2Faccount")
    );
    let page = browser
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", "bob@example.com"), ("password", "wrong password")],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    assert!(page.body.contains("Wrong email or password"));
    assert!(browser.cookie("sightline_session").is_none());
    let page = browser
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", "nobody@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNAUTHORIZED);

    let mut bob = ui.signed_in("bob@example.com").await;
    let page = bob.get("/ui/account").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("bob@example.com"));
    let cookie = page.headers.get_all("set-cookie").iter().count();
    assert_eq!(cookie, 0, "a fresh session is not re-sent");

    let session = bob.cookie("sightline_session").unwrap().to_owned();
    let page = bob.submit("/ui/account", "/ui/sign-out", &[]).await;
    assert_eq!(page.location(), Some("/ui/sign-in"));
    assert!(bob.cookie("sightline_session").is_none());
    // The old cookie is dead on the server too.
    let mut replay = ui.browser();
    replay.set_cookie("sightline_session", &session);
    assert_eq!(
        replay.get("/ui/account").await.location(),
        Some("/ui/sign-in?next=%2Fui%2Faccount")
    );
}

async fn sign_in_is_rate_limited(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("eve@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut browser = ui.browser_from("192.0.2.7");
    for _ in 0..5 {
        let page = browser
            .submit(
                "/ui/sign-in",
                "/ui/sign-in",
                &[("email", "eve@example.com"), ("password", "guess guess")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    // Even the right password is refused now, from any address.
    let mut other = ui.browser_from("192.0.2.8");
    let page = other
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", "EVE@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(page.body.contains("Too many sign-in attempts"));
    assert!(other.cookie("sightline_session").is_none());
}

async fn sign_in_is_rate_limited_per_address(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("amy@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut attacker = ui.browser_from("198.51.100.9");
    for n in 0..30 {
        let email = format!("guess{n}@example.com");
        let page = attacker
            .submit(
                "/ui/sign-in",
                "/ui/sign-in",
                &[("email", &email), ("password", "guess guess")],
            )
            .await;
        assert_eq!(page.status, StatusCode::UNAUTHORIZED);
    }
    let page = attacker
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[("email", "amy@example.com"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    // Amy, from her own address, is not affected.
    ui.signed_in("amy@example.com").await;
}

async fn changing_the_password_ends_other_sessions(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("cy@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut laptop = ui.signed_in("cy@example.com").await;
    let mut phone = ui.signed_in("cy@example.com").await;
    let page = laptop
        .submit(
            "/ui/account",
            "/ui/account/password",
            &[
                ("current_password", "not the password"),
                ("new_password", "another-long-one"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("current password is wrong"));
    let page = laptop
        .submit(
            "/ui/account",
            "/ui/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another-long-one"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Password changed"));
    assert_eq!(laptop.get("/ui/account").await.status, StatusCode::OK);
    assert_eq!(
        phone.get("/ui/account").await.location(),
        Some("/ui/sign-in?next=%2Fui%2Faccount")
    );
    let mut browser = ui.browser();
    let page = browser
        .submit(
            "/ui/sign-in",
            "/ui/sign-in",
            &[
                ("email", "cy@example.com"),
                ("password", "another-long-one"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
}

async fn sign_in_returns_to_the_page_asked_for(db: TestDb) {
    let ui = TestUi::new(db).await;
    ui.user("dan@example.com", Some((&ui.default_org, Role::Member)))
        .await;
    let mut browser = ui.browser();
    let wanted = project_url(ui.project(), "/settings");
    let page = browser.get(&wanted).await;
    let sign_in = page.location().unwrap().to_owned();
    assert!(
        sign_in.starts_with("/ui/sign-in?next=%2Fui%2Fproject%2F"),
        "{sign_in}"
    );
    let page = browser
        .submit(
            &sign_in,
            "/ui/sign-in",
            &[
                ("email", "dan@example.com"),
                ("password", PASSWORD),
                ("next", &wanted),
            ],
        )
        .await;
    assert_eq!(page.location(), Some(wanted.as_str()));

    // Another host is never a target.
    let mut other = ui.browser();
    let page = other
        .submit(
            "/ui/sign-in?next=https://evil.example",
            "/ui/sign-in",
            &[
                ("email", "dan@example.com"),
                ("password", PASSWORD),
                ("next", "//evil.example/ui"),
            ],
        )
        .await;
    assert_eq!(page.location(), Some("/ui"));
}

/// This file's tests, each run on SQLite and on PostgreSQL.
pub(crate) fn tests() -> Vec<BackendTest> {
    vec![
        backend_test(
            "sign_in_returns_to_the_page_asked_for",
            sign_in_returns_to_the_page_asked_for,
        ),
        backend_test(
            "first_sign_up_owns_the_default_organization",
            first_sign_up_owns_the_default_organization,
        ),
        backend_test(
            "a_sign_in_claims_the_instance",
            a_sign_in_claims_the_instance,
        ),
        backend_test(
            "sign_up_is_by_invitation_once_other_users_exist",
            sign_up_is_by_invitation_once_other_users_exist,
        ),
        backend_test(
            "invited_people_sign_up_and_join_with_their_role",
            invited_people_sign_up_and_join_with_their_role,
        ),
        backend_test(
            "sign_in_wrong_password_and_sign_out",
            sign_in_wrong_password_and_sign_out,
        ),
        backend_test("sign_in_is_rate_limited", sign_in_is_rate_limited),
        backend_test(
            "sign_in_is_rate_limited_per_address",
            sign_in_is_rate_limited_per_address,
        ),
        backend_test(
            "changing_the_password_ends_other_sessions",
            changing_the_password_ends_other_sessions,
        ),
    ]
}
