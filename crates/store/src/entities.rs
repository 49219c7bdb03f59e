//! sea-orm entities, one module per table. Rows hold plain columns; mapping to domain types
//! happens in the query modules.
#![allow(missing_docs)]

macro_rules! entity_boilerplate {
    () => {
        #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
        pub enum Relation {}

        impl ActiveModelBehavior for ActiveModel {}
    };
}

pub mod cooperatives {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cooperatives")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub name: String,
        pub address: String,
        pub province: String,
        pub commune: String,
        pub phone: String,
        pub region: String,
        pub gs1_company_prefix: Option<String>,
        pub gln: Option<String>,
        pub created_at: String,
        pub description: Option<String>,
        pub grower_display: String,
        /// Moved by database triggers whenever what its public pages show changes.
        pub revision: i64,
        /// Moved by database triggers whenever its listings, sales or feed tokens change.
        pub catalog_revision: i64,
    }
    entity_boilerplate!();
}

pub mod members {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "members")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub name: String,
        pub phone: String,
        pub role: String,
        pub active: bool,
        pub created_at: String,
        /// argon2id PHC string; `None` until a leader sets a password.
        pub password_hash: Option<String>,
        pub failed_logins: i32,
        pub locked_until: Option<String>,
    }
    entity_boilerplate!();
}

pub mod api_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "api_tokens")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub member_id: i64,
        pub token_hash: String,
        pub label: String,
        pub created_at: String,
        pub revoked_at: Option<String>,
    }
    entity_boilerplate!();
}

pub mod plots {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plots")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub name: String,
        pub area_value: String,
        pub area_unit: String,
        pub commune: String,
        pub lat_micro: Option<i32>,
        pub lon_micro: Option<i32>,
        pub growing_area_code: Option<String>,
        pub created_at: String,
    }
    entity_boilerplate!();
}

pub mod plot_assignments {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "plot_assignments")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub plot_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub member_id: i64,
    }
    entity_boilerplate!();
}

pub mod products {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "products")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub commodity: String,
        pub variety: Option<String>,
        pub gtin: Option<String>,
        pub created_at: String,
        pub photo: Option<String>,
        pub shelf_life_days: Option<i32>,
    }
    entity_boilerplate!();
}

pub mod input_products {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "input_products")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub kind: String,
        pub trade_name: String,
        pub active_ingredients: String,
        pub registration_number: Option<String>,
        pub phi_days: Option<i32>,
        pub created_at: String,
    }
    entity_boilerplate!();
}

pub mod lots {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lots")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub code: String,
        pub product_id: i64,
        pub status: String,
        pub created_at: String,
        pub genesis: String,
        pub head: String,
        pub event_count: i64,
        /// Moved when a lot upstream gets an event (what this lot's pages show may change).
        pub revision: i64,
    }
    entity_boilerplate!();
}

pub mod lot_plots {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lot_plots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub lot_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub plot_id: i64,
    }
    entity_boilerplate!();
}

pub mod lot_parents {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lot_parents")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub child_lot_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub parent_lot_id: i64,
        pub parent_head: String,
        pub quantity_value: String,
        pub quantity_unit: String,
        pub via_event_id: String,
    }
    entity_boilerplate!();
}

pub mod events {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "events")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub lot_id: i64,
        pub seq: i64,
        pub kind: String,
        pub occurred_at: String,
        pub recorded_at: String,
        pub actor_member_id: i64,
        pub note: Option<String>,
        pub lat_micro: Option<i32>,
        pub lon_micro: Option<i32>,
        pub body: String,
        pub head: String,
        pub content_digest: String,
        /// Photo hashes, space-separated, in order; `None` when there are none.
        pub photos: Option<String>,
    }
    entity_boilerplate!();
}

pub mod cooperative_keys {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "cooperative_keys")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub key_id: String,
        pub public_key: String,
        pub secret_key: String,
        pub created_at: String,
    }
    entity_boilerplate!();

    /// Never prints the secret key.
    impl std::fmt::Debug for Model {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.debug_struct("cooperative_keys::Model")
                .field("id", &self.id)
                .field("cooperative_id", &self.cooperative_id)
                .field("key_id", &self.key_id)
                .field("public_key", &self.public_key)
                .field("secret_key", &"<redacted>")
                .finish()
        }
    }
}

pub mod label_batches {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "label_batches")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub cooperative_id: i64,
        pub lot_id: i64,
        pub count: i64,
        pub pack_size: String,
        pub chain_head: String,
        pub event_count: i64,
        pub issued_at: String,
        pub issued_by: i64,
        pub key_id: String,
        pub record: String,
        pub signature: String,
    }
    entity_boilerplate!();
}

pub mod labels {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "labels")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub serial: String,
        pub batch_id: String,
        pub position: i64,
        pub url: String,
        pub scan_count: i64,
        pub first_scanned_at: Option<String>,
        pub last_scanned_at: Option<String>,
    }
    entity_boilerplate!();
}

pub mod certificates {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "certificates")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub product_id: Option<i64>,
        pub scheme: String,
        pub number: String,
        pub body: String,
        pub scope: Option<String>,
        pub valid_from: String,
        pub valid_to: String,
        pub created_at: String,
        /// Hash of the scan's image in `media`.
        pub scan: Option<String>,
    }
    entity_boilerplate!();
}

pub mod media {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "media")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub hash: String,
        #[sea_orm(primary_key, auto_increment = false)]
        pub variant: String,
        pub content_type: String,
        pub width: i32,
        pub height: i32,
        pub bytes: Vec<u8>,
        pub created_at: String,
    }
    entity_boilerplate!();
}

pub mod sessions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "sessions")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: String,
        pub data: String,
        pub expires_at: i64,
        /// The signed-in member, when there is one.
        pub member_id: Option<i64>,
    }
    entity_boilerplate!();
}

pub mod listings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "listings")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub cooperative_id: i64,
        pub version: i32,
        pub status: String,
        pub created_at: String,
        pub updated_at: String,
    }
    entity_boilerplate!();
}

pub mod listing_versions {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "listing_versions")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub listing_id: i64,
        pub version: i32,
        pub title_vi: String,
        pub title_en: Option<String>,
        pub description_vi: Option<String>,
        pub description_en: Option<String>,
        pub price_vnd: i64,
        pub pack_value: String,
        pub pack_unit: String,
        pub gtin: Option<String>,
        pub category: Option<String>,
        pub photos: String,
        pub lots: String,
        pub status: String,
        pub created_at: String,
        pub created_by: i64,
    }
    entity_boilerplate!();
}

pub mod stock_movements {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "stock_movements")]
    pub struct Model {
        #[sea_orm(primary_key)]
        pub id: i64,
        pub movement_id: String,
        pub listing_id: i64,
        pub lot_id: i64,
        pub kind: String,
        pub units: i64,
        pub quantity_value: String,
        pub quantity_unit: String,
        pub note: Option<String>,
        pub recorded_at: String,
        pub recorded_by: i64,
    }
    entity_boilerplate!();
}

pub mod feed_tokens {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "feed_tokens")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub cooperative_id: i64,
        pub token: String,
        pub created_at: String,
    }
    entity_boilerplate!();
}

pub mod integrity {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "integrity")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i32,
        pub epoch: i64,
    }
    entity_boilerplate!();
}

pub mod lot_checks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lot_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub lot_id: i64,
        pub epoch: i64,
        pub event_count: i64,
        pub head: String,
        pub verdict: String,
        pub reason: Option<String>,
        pub reason_vi: Option<String>,
        pub folded: Option<String>,
        pub checked_at: String,
    }
    entity_boilerplate!();
}

pub mod batch_checks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "batch_checks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub batch_id: String,
        pub epoch: i64,
        pub verdict: String,
        pub reason: Option<String>,
        pub reason_vi: Option<String>,
        pub checked_at: String,
    }
    entity_boilerplate!();
}

pub mod input_usage {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "input_usage")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub input_product_id: i64,
        /// Per hectare, in the base unit named by `rate_unit` (KGM or LTR).
        pub rate_low: Option<String>,
        pub rate_high: Option<String>,
        pub rate_unit: Option<String>,
        pub tank_dose_value: Option<String>,
        pub tank_dose_unit: Option<String>,
        pub tank_litres: Option<String>,
        pub updated_at: String,
    }
    entity_boilerplate!();
}

pub mod lot_packs {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "lot_packs")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub lot_id: i64,
        pub pack_word: String,
        pub pack_value: String,
        pub pack_unit: String,
        pub per_piece: bool,
        pub packs: i64,
        pub created_at: String,
    }
    entity_boilerplate!();
}

pub mod shipment_contacts {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "shipment_contacts")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub event_id: String,
        pub lot_id: i64,
        pub phone: String,
    }
    entity_boilerplate!();
}

pub mod public_snapshots {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "public_snapshots")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub lot_id: i64,
        /// The lot's stamp the body was built at (`crate::snapshots::stamp_key`).
        pub stamp: String,
        /// The lot's public record, JSON, deflated.
        pub body: Vec<u8>,
        /// blake3 keyed with the store's seal key over the lot id, the stamp and the body, hex.
        pub seal: String,
        pub built_at: String,
    }
    entity_boilerplate!();
}

pub mod kept_pages {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "kept_pages")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub batch_id: String,
        /// "vi" or "en".
        #[sea_orm(primary_key, auto_increment = false)]
        pub lang: String,
        /// What the page depends on, as the site wrote it.
        pub key: String,
        /// The page as the site packed it, LZ4-compressed with its length in front.
        pub body: Vec<u8>,
        /// blake3 keyed with the store's seal key over batch, language, key and body, hex.
        pub seal: String,
        pub kept_at: String,
    }
    entity_boilerplate!();
}

pub mod scan_flushes {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "scan_flushes")]
    pub struct Model {
        /// The process (its scan buffer) that flushed, a random id.
        #[sea_orm(primary_key, auto_increment = false)]
        pub process: String,
        /// The number of its last committed flush.
        pub flushed: i64,
        pub flushed_at: String,
    }
    entity_boilerplate!();
}
