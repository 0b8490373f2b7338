//! Organization memberships and per-project role overrides, for [`super::IdentityStore`] on the
//! relational store, with the rule every membership write keeps: an organization that has an
//! OWNER keeps at least one ([`ensure_owner_remains`]).

use sightline_domain::time::now_ms;
use sightline_domain::{OrgId, ProjectId, Role, UserId};

use super::OrgMember;
use super::model::{OrgMemberSqlRow, parse_role};
use crate::error::{StoreError, StoreResult, constraint};
use crate::sql::{Db, Sql, Tx};

/// Locks the organization's owners until the transaction ends, so that of two concurrent
/// demotions or removals of its last two owners only one passes [`ensure_owner_remains`].
/// Nothing on SQLite, whose write transactions already exclude each other.
pub(crate) async fn lock_owners(tx: &mut Tx, org: &OrgId) -> StoreResult<()> {
    tx.lock_key(&format!("org-owners/{org}")).await
}

/// Counts 1 when `user` is an OWNER of `org` and no other member is: demoting or removing them
/// would leave the organization without an owner.
fn sole_owner(org: &OrgId, user: &UserId) -> Sql {
    Sql::text(
        "SELECT COUNT(*) FROM organization_memberships \
         WHERE org_id = $1 AND user_id = $2 AND role = $3 \
           AND NOT EXISTS (SELECT 1 FROM organization_memberships \
             WHERE org_id = $1 AND user_id <> $2 AND role = $3)",
    )
    .bind(org.as_str())
    .bind(user.as_str())
    .bind(Role::Owner.as_str())
}

/// Fails with [`StoreError::Conflict`] when `user` is the organization's last OWNER. Run it in
/// the write transaction that demotes or removes them, after [`lock_owners`].
pub(crate) async fn ensure_owner_remains(
    tx: &mut Tx,
    org: &OrgId,
    user: &UserId,
) -> StoreResult<()> {
    let (sole,): (i64,) = tx.fetch_one(&sole_owner(org, user)).await?;
    if sole > 0 {
        return Err(StoreError::Conflict(format!(
            "an organization keeps at least one owner: {user} is the last owner of {org}"
        )));
    }
    Ok(())
}

pub(super) async fn set_org_role(
    db: &Db,
    org: &OrgId,
    user: &UserId,
    role: Role,
) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    if role != Role::Owner {
        lock_owners(&mut tx, org).await?;
        ensure_owner_remains(&mut tx, org, user).await?;
    }
    let sql = Sql::text(
        "INSERT INTO organization_memberships (org_id, user_id, role, created_at, updated_at) \
         VALUES ($1, $2, $3, $4, $4) \
         ON CONFLICT (org_id, user_id) DO UPDATE \
           SET role = excluded.role, updated_at = excluded.updated_at",
    )
    .bind(org.as_str())
    .bind(user.as_str())
    .bind(role.as_str())
    .bind(now_ms());
    tx.execute(&sql)
        .await
        .map_err(|e| constraint(e, "the membership"))?;
    tx.commit().await
}

pub(super) async fn set_project_role(
    db: &Db,
    project: &ProjectId,
    user: &UserId,
    role: Option<Role>,
) -> StoreResult<()> {
    let Some(role) = role else {
        let sql =
            Sql::text("DELETE FROM project_memberships WHERE project_id = $1 AND user_id = $2")
                .bind(project.as_str())
                .bind(user.as_str());
        db.execute(&sql).await?;
        return Ok(());
    };
    let sql = Sql::text(
        "INSERT INTO project_memberships (project_id, user_id, role, created_at, updated_at) \
         SELECT $1, $2, $3, $4, $4 WHERE EXISTS ( \
           SELECT 1 FROM organization_memberships om JOIN projects p ON p.org_id = om.org_id \
           WHERE p.id = $1 AND om.user_id = $2) \
         ON CONFLICT (project_id, user_id) DO UPDATE \
           SET role = excluded.role, updated_at = excluded.updated_at",
    )
    .bind(project.as_str())
    .bind(user.as_str())
    .bind(role.as_str())
    .bind(now_ms());
    if db.execute(&sql).await? == 0 {
        return Err(StoreError::NotFound(format!(
            "user {user} is not a member of the organization of project {project}"
        )));
    }
    Ok(())
}

pub(super) async fn org_role(db: &Db, org: &OrgId, user: &UserId) -> StoreResult<Option<Role>> {
    let sql =
        Sql::text("SELECT role FROM organization_memberships WHERE org_id = $1 AND user_id = $2")
            .bind(org.as_str())
            .bind(user.as_str());
    let row: Option<(String,)> = db.fetch_optional(&sql).await?;
    row.map(|(role,)| parse_role(&role)).transpose()
}

pub(super) async fn effective_project_role(
    db: &Db,
    project: &ProjectId,
    user: &UserId,
) -> StoreResult<Option<Role>> {
    let sql = Sql::text(
        "SELECT om.role, pm.role FROM projects p \
         JOIN organization_memberships om ON om.org_id = p.org_id AND om.user_id = $2 \
         LEFT JOIN project_memberships pm ON pm.project_id = p.id AND pm.user_id = $2 \
         WHERE p.id = $1",
    )
    .bind(project.as_str())
    .bind(user.as_str());
    let row: Option<(String, Option<String>)> = db.fetch_optional(&sql).await?;
    let Some((org_role, project_role)) = row else {
        return Ok(None);
    };
    let org_role = parse_role(&org_role)?;
    let project_role = project_role.map(|role| parse_role(&role)).transpose()?;
    Ok(Some(Role::effective(org_role, project_role)))
}

pub(super) async fn list_org_members(db: &Db, org: &OrgId) -> StoreResult<Vec<OrgMember>> {
    let sql = Sql::text(
        "SELECT u.id, u.email, u.name, u.password_hash, u.created_at, om.role \
         FROM organization_memberships om JOIN users u ON u.id = om.user_id \
         WHERE om.org_id = $1 ORDER BY u.email",
    )
    .bind(org.as_str());
    let rows: Vec<OrgMemberSqlRow> = db.fetch_all(&sql).await?;
    rows.into_iter().map(TryInto::try_into).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sql::Dialect;

    #[test]
    fn the_sole_owner_check_binds_org_user_and_the_owner_role() {
        let sql = sole_owner(
            &OrgId::from_trusted("o".into()),
            &UserId::from_trusted("u".into()),
        );
        let text = sql.render(Dialect::Postgres);
        assert!(text.contains("user_id = $2 AND role = $3"), "{text}");
        assert!(text.contains("user_id <> $2 AND role = $3"), "{text}");
        assert_eq!(sql.args().len(), 3);
        assert_eq!(sql.args()[2], crate::sql::Arg::from("OWNER"));
    }
}
