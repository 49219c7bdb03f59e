//! Fuzzing the GS1 Digital Link and short-link parsers that read every scanned address: any
//! path and query is read or refused with a reason — never a panic — and every link this
//! service prints reads back to the same label. Bounded in CI (`NGUON_FUZZ_CASES`, default
//! 2,000 per target); docs/reliability.md records longer runs.

use label::{BaseUrl, Digest, LabelLink, ResolverPath, Serial};
use proptest::prelude::*;

fn cases() -> ProptestConfig {
    let cases = std::env::var("NGUON_FUZZ_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(2_000);
    ProptestConfig {
        cases,
        failure_persistence: None,
        ..ProptestConfig::default()
    }
}

/// Paths shaped like resolver addresses, with anything mixed in.
fn path() -> impl Strategy<Value = String> {
    prop_oneof![
        "/(01|l|10|21|17|8200)/[0-9A-Za-z%._~-]{0,20}(/(10|21|22|17)/[0-9A-Za-z%._~ -]{0,25}){0,3}/?",
        "/01/[0-9]{8,14}/10/[A-Za-z0-9._-]{1,20}/21/[0-9A-Z]{0,20}",
        any::<String>().prop_map(|s| format!("/{s}")),
    ]
}

fn query() -> impl Strategy<Value = Option<String>> {
    prop::option::of(prop_oneof![
        "(d|lang|linkType|10|17|21)=[0-9A-Za-z%:/._-]{0,30}(&(d|lang|linkType|10|17)=[0-9A-Za-z%:/._-]{0,30}){0,3}",
        any::<String>(),
    ])
}

proptest! {
    #![proptest_config(cases())]

    #[test]
    fn any_scanned_address_is_read_or_refused_never_a_panic(path in path(), query in query()) {
        match ResolverPath::parse(&path, query.as_deref()) {
            Ok(_) => {}
            Err(error) => prop_assert!(!error.to_string().is_empty() && !error.code().is_empty()),
        }
    }

    #[test]
    fn every_printed_link_reads_back_to_its_label(
        gtin_digits in "[0-9]{13}",
        lot in "[A-Za-z0-9._-]{1,20}",
        serial_seed in any::<[u8; 32]>(),
        head in any::<[u8; 32]>(),
        short in any::<bool>(),
    ) {
        let base = BaseUrl::parse("https://nguon.example/vn").map_err(|e| TestCaseError::fail(e.to_string()))?;
        let mut rng = <rand::rngs::StdRng as rand::SeedableRng>::from_seed(serial_seed);
        let serial = Serial::random(&mut rng);
        let digest = Digest::of_head(&head);
        let link = if short {
            LabelLink::Short { base: base.clone(), serial, digest }
        } else {
            let check = farm_log::ids::gs1_check_digit(&format!("0{gtin_digits}"));
            let gtin = farm_log::Gtin::parse(&format!("{gtin_digits}{check}"), "gtin").map_err(|e| TestCaseError::fail(e.message_en))?;
            let lot = farm_log::LotCode::parse(&lot, "lot").map_err(|e| TestCaseError::fail(e.message_en))?;
            LabelLink::DigitalLink { base: base.clone(), gtin, lot, serial, digest }
        };
        let url = link.to_url();
        prop_assert_eq!(LabelLink::parse(&url, &base).ok(), Some(link));
    }
}
