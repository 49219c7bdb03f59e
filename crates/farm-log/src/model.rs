//! The small closed vocabularies of the domain: roles, regions, input kinds and lot status.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::error::FieldError;

macro_rules! text_enum {
    ($(#[$doc:meta])* $name:ident { $($(#[$vdoc:meta])* $variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        // Serialized as the stored and wire form, so JSON answers carry the same words that
        // requests send (`vietgap`, not serde's `viet_gap`).
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
        pub enum $name { $($(#[$vdoc])* #[serde(rename = $text)] $variant),+ }

        impl $name {
            /// Every value.
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            /// The stored and wire form.
            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            /// Parses the stored and wire form; `field` names it in errors.
            pub fn parse(raw: &str, field: &str) -> Result<Self, FieldError> {
                match raw {
                    $($text => Ok($name::$variant),)+
                    _ => {
                        let allowed = [$($text),+].join(", ");
                        Err(FieldError::new(
                            field,
                            "invalid_choice",
                            format!("Giá trị \"{raw}\" không hợp lệ; chọn một trong: {allowed}."),
                            format!("\"{raw}\" is not allowed; choose one of: {allowed}."),
                        ))
                    }
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

text_enum!(
    /// What a member may do in their cooperative.
    Role {
        /// Ban quản lý: everything in the cooperative.
        Leader => "leader",
        /// Hộ thành viên: logs on the plots assigned to them, sees their lots.
        Member => "member",
        /// Cán bộ kiểm tra: reads everything, changes nothing.
        Inspector => "inspector",
    }
);

text_enum!(
    /// The part of Vietnam a cooperative is in, which decides what "sào" and "công" mean.
    Region {
        /// Bắc Bộ: 1 sào = 360 m².
        North => "north",
        /// Trung Bộ: 1 sào = 500 m².
        Central => "central",
        /// Nam Bộ: 1 công = 1,000 m² (some places 1,296 m²; we use the common 1,000).
        South => "south",
    }
);

impl Region {
    /// Square metres in one sào here.
    pub fn sao_square_metres(self) -> Decimal {
        match self {
            Region::North => Decimal::from(360),
            Region::Central | Region::South => Decimal::from(500),
        }
    }

    /// Square metres in one công (the Southern unit; elsewhere treated the same).
    pub fn cong_square_metres(self) -> Decimal {
        Decimal::from(1000)
    }
}

text_enum!(
    /// The kind of an input product in the cooperative's registry.
    InputKind {
        /// Phân bón.
        Fertilizer => "fertilizer",
        /// Thuốc bảo vệ thực vật.
        Pesticide => "pesticide",
    }
);

text_enum!(
    /// Where a lot is in its life. Recalled can happen at any time and is final.
    LotStatus {
        /// Đang canh tác.
        Growing => "growing",
        /// Đã thu hoạch.
        Harvested => "harvested",
        /// Đã đóng gói.
        Packed => "packed",
        /// Đã kết thúc: no more events except a recall.
        Closed => "closed",
        /// Đã thu hồi.
        Recalled => "recalled",
    }
);

impl LotStatus {
    /// The Vietnamese name shown to users.
    pub fn name_vi(self) -> &'static str {
        match self {
            LotStatus::Growing => "Đang canh tác",
            LotStatus::Harvested => "Đã thu hoạch",
            LotStatus::Packed => "Đã đóng gói",
            LotStatus::Closed => "Đã kết thúc",
            LotStatus::Recalled => "Đã thu hồi",
        }
    }
}

text_enum!(
    /// How the public pages name the household that grew a lot; the cooperative chooses.
    GrowerDisplay {
        /// The member's name as registered ("Hộ ông Nguyễn Văn An").
        Name => "name",
        /// Only "a member household of the cooperative".
        Hidden => "hidden",
    }
);

text_enum!(
    /// The scheme a certificate belongs to.
    CertificateScheme {
        /// VietGAP (TCVN 11892-1:2017).
        VietGap => "vietgap",
        /// GlobalG.A.P.
        GlobalGap => "globalgap",
        /// Hữu cơ (TCVN 11041 or a foreign organic standard).
        Organic => "organic",
        /// OCOP stars.
        Ocop => "ocop",
        /// Anything else, named in the certificate's scope.
        Other => "other",
    }
);

impl CertificateScheme {
    /// The name printed on packaging, the same in both languages.
    pub fn display_name(self) -> &'static str {
        match self {
            CertificateScheme::VietGap => "VietGAP",
            CertificateScheme::GlobalGap => "GlobalG.A.P.",
            CertificateScheme::Organic => "Hữu cơ / Organic",
            CertificateScheme::Ocop => "OCOP",
            CertificateScheme::Other => "—",
        }
    }
}
