//! Who may write what, one rule for every slice: for an agency (its
//! officers, the region admins) and for a village (its operator, the region
//! admins). Slices ask here instead of each other.

use crate::kernel::identity::{Role, User};
use crate::kernel::organizations::{self as orgs, Organization};
use crate::store::{Store, StoreError};

/// May this user write this agency's data (datasets, procurement)?
pub fn for_org(user: &User, org_id: &str) -> bool {
    user.is_region_admin() || (matches!(user.role, Role::OrgAdmin | Role::Editor) && user.org_id.as_deref() == Some(org_id))
}

/// May this user write for some agency (asked before a form is read: a
/// village operator is refused, not told what to fix)?
pub fn for_any_org(user: &User) -> bool {
    user.is_region_admin() || (matches!(user.role, Role::OrgAdmin | Role::Editor) && user.org_id.is_some())
}

/// May this user write sensor data: the NGSI-LD broker, IoT devices, flood
/// readings by hand? The sensor operators, and (since the sensors belong to
/// agencies: BPBD, Dishub, Dinas Pertanian) whoever writes for an agency.
pub fn for_sensors(user: &User) -> bool {
    user.role == Role::SensorOperator || for_any_org(user)
}

/// May this user write this village's data (its budget, profile, reports)?
/// Its operator (scoped to one desa) and the region admins.
pub fn for_desa(user: &User, desa_code: &str) -> bool {
    user.is_region_admin() || (user.role == Role::VillageOperator && user.desa_code.as_deref() == Some(desa_code))
}

/// The agencies whose data this user may write.
pub async fn writable_orgs(store: &Store, tenant: &str, user: &User) -> Result<Vec<Organization>, StoreError> {
    Ok(orgs::list(store, tenant).await?.into_iter().filter(|o| for_org(user, &o.id)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(role: Role, org: Option<&str>, desa: Option<&str>) -> User {
        User {
            tenant_id: "35.22".into(),
            id: "u".into(),
            email: "u@x.id".into(),
            name: "U".into(),
            role,
            org_id: org.map(str::to_string),
            desa_code: desa.map(str::to_string),
            disabled: false,
            created_at: 0,
        }
    }

    #[test]
    fn each_role_writes_for_its_own_agency_or_village_only() {
        let editor = user(Role::Editor, Some("dinkes"), None);
        assert!(for_org(&editor, "dinkes") && !for_org(&editor, "dishub") && for_any_org(&editor));
        assert!(!for_desa(&editor, "35.22.01.2001"));
        let operator = user(Role::VillageOperator, None, Some("35.22.01.2001"));
        assert!(for_desa(&operator, "35.22.01.2001") && !for_desa(&operator, "35.22.01.2002"));
        assert!(!for_org(&operator, "dinkes") && !for_any_org(&operator));
        let walidata = user(Role::Walidata, None, None);
        assert!(for_org(&walidata, "dinkes") && for_desa(&walidata, "35.22.01.2002"));
        // Sensor data: the sensor operator, and (as before the role) admins and officers.
        let sensors = user(Role::SensorOperator, None, None);
        assert!(for_sensors(&sensors) && !for_any_org(&sensors) && !for_org(&sensors, "bpbd") && !for_desa(&sensors, "35.22.01.2001"));
        assert!(for_sensors(&walidata) && for_sensors(&editor) && !for_sensors(&operator));
    }
}
