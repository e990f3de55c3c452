//! Checklist templates. The tree (categories → sections → items) is one JSON document: a
//! template is read whole and, once an assessment uses it, never changes.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m0002_templates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table("templates")
                    .col(pk_uuid("id"))
                    // NULL for built-in templates, which every organization can read.
                    .col(uuid_null("organization_id"))
                    // "builtin" or the organization id: makes (owner, key, version) unique on both backends.
                    .col(string("owner_key"))
                    .col(string("key"))
                    .col(integer("version"))
                    .col(string("name"))
                    .col(string_null("name_en"))
                    .col(string("guideline_version"))
                    .col(string("language"))
                    .col(boolean("builtin"))
                    .col(json_binary("content"))
                    .col(json_binary("answer_scale"))
                    .col(integer("item_count"))
                    // SHA-256 of a built-in's canonical content; NULL for custom templates.
                    .col(string_null("builtin_hash"))
                    .col(uuid_null("source_template_id"))
                    .col(boolean("in_use"))
                    .col(timestamp_with_time_zone("created_at"))
                    .col(timestamp_with_time_zone("updated_at"))
                    .foreign_key(
                        ForeignKey::create()
                            .from("templates", "organization_id")
                            .to("organizations", "id")
                            .on_delete(ForeignKeyAction::Cascade),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("templates_owner_key_version_key")
                    .table("templates")
                    .col("owner_key")
                    .col("key")
                    .col("version")
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("templates_builtin_hash_key")
                    .table("templates")
                    .col("builtin_hash")
                    .unique()
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table("templates").to_owned()).await
    }
}
