use sea_orm::FromQueryResult;
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel, serde::Serialize, serde::Deserialize)]
#[sea_orm(table_name = "answers")]
pub struct Model {
    /// With `item_no`, the key: one assessment's answers are stored together (migration m0016).
    #[sea_orm(primary_key, auto_increment = false)]
    pub assessment_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub item_no: i32,
    pub status: String,
    pub comment: Option<String>,
    pub reason: Option<String>,
    pub remediation_plan: Option<String>,
    pub remediation_due: Option<Date>,
    pub answered_by: Option<Uuid>,
    /// Copied from last year's accepted review and not yet confirmed or changed.
    pub carried_over: bool,
    pub remediation_done_at: Option<DateTimeUtc>,
    pub remediation_note: Option<String>,
    /// The remediation date the supplier was last asked about.
    pub remediation_followed_up_on: Option<Date>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}

/// A row decoded by position: the columns as [`Column`] lists them (`Column::iter()`, the
/// fields' order), read by index. sea-orm's derived decoder formats each column's name for
/// every value it reads (`format!("{pre}{col}")`), which made reading one assessment's 153
/// answers 15 % of a bulk save's CPU on the server (docs/benchmarks.md, "Against the
/// physical limit"). Select with [`Self::columns`] so the positions hold.
pub struct ByPosition(pub Model);

impl ByPosition {
    pub fn columns() -> impl Iterator<Item = Column> {
        <Column as sea_orm::Iterable>::iter()
    }
}

impl FromQueryResult for ByPosition {
    fn from_query_result(res: &QueryResult, _pre: &str) -> Result<Self, DbErr> {
        Ok(Self(Model {
            assessment_id: res.try_get_by_index(0)?,
            item_no: res.try_get_by_index(1)?,
            status: res.try_get_by_index(2)?,
            comment: res.try_get_by_index(3)?,
            reason: res.try_get_by_index(4)?,
            remediation_plan: res.try_get_by_index(5)?,
            remediation_due: res.try_get_by_index(6)?,
            answered_by: res.try_get_by_index(7)?,
            carried_over: res.try_get_by_index(8)?,
            remediation_done_at: res.try_get_by_index(9)?,
            remediation_note: res.try_get_by_index(10)?,
            remediation_followed_up_on: res.try_get_by_index(11)?,
            created_at: res.try_get_by_index(12)?,
            updated_at: res.try_get_by_index(13)?,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`ByPosition`] reads index i as the i-th name here: a field added or moved must move
    /// its index too.
    #[test]
    fn the_positions_read_are_the_columns_selected() {
        let selected: Vec<&str> = ByPosition::columns().map(|c| c.as_str()).collect();
        let read_as = [
            "assessment_id",
            "item_no",
            "status",
            "comment",
            "reason",
            "remediation_plan",
            "remediation_due",
            "answered_by",
            "carried_over",
            "remediation_done_at",
            "remediation_note",
            "remediation_followed_up_on",
            "created_at",
            "updated_at",
        ];
        assert_eq!(selected, read_as);
    }
}
