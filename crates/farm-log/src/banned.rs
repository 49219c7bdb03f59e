//! Vietnam's list of banned pesticide active ingredients (hoạt chất cấm sử dụng), shipped in
//! `fixtures/banned-active-ingredients.csv` with its legal source and compiled into the binary.

use std::collections::HashMap;

/// One banned active ingredient and where the ban comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BannedIngredient {
    /// The common name, e.g. "Paraquat".
    pub name: String,
    /// The legal act that bans it.
    pub source: String,
}

/// A lookup of banned active ingredients by normalized name.
#[derive(Debug, Clone, Default)]
pub struct BannedList {
    by_key: HashMap<String, BannedIngredient>,
}

const VIETNAM_CSV: &str = include_str!("../../../fixtures/banned-active-ingredients.csv");

/// Lowercases and keeps only letters and digits, so "Methyl parathion" and "methyl-parathion"
/// match.
pub fn normalize_ingredient(name: &str) -> String {
    name.chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect()
}

impl BannedList {
    /// The list shipped with Nguồn.
    pub fn vietnam() -> Self {
        Self::from_csv(VIETNAM_CSV).unwrap_or_default()
    }

    /// Parses CSV with the columns `active_ingredient,aliases,group,source` (aliases separated by
    /// `;`).
    pub fn from_csv(text: &str) -> Result<Self, csv::Error> {
        let mut reader = csv::ReaderBuilder::new()
            .comment(Some(b'#'))
            .from_reader(text.as_bytes());
        let mut by_key = HashMap::new();
        for record in reader.records() {
            let record = record?;
            let name = record.get(0).unwrap_or_default().trim().to_owned();
            if name.is_empty() {
                continue;
            }
            let source = record.get(3).unwrap_or_default().trim().to_owned();
            let entry = BannedIngredient {
                name: name.clone(),
                source,
            };
            for alias in std::iter::once(name.as_str()).chain(record.get(1).unwrap_or_default().split(';')) {
                let key = normalize_ingredient(alias);
                if !key.is_empty() {
                    by_key.insert(key, entry.clone());
                }
            }
        }
        Ok(Self { by_key })
    }

    /// The ban entry for an ingredient, if it is banned.
    pub fn find(&self, ingredient: &str) -> Option<&BannedIngredient> {
        self.by_key.get(&normalize_ingredient(ingredient))
    }

    /// The banned ones among a product's active ingredients.
    pub fn banned_among<'a>(&'a self, ingredients: &[String]) -> Vec<&'a BannedIngredient> {
        ingredients.iter().filter_map(|i| self.find(i)).collect()
    }

    /// How many names (with aliases) are known.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    /// True when nothing is listed.
    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_list_parses_whole() {
        let list = BannedList::from_csv(VIETNAM_CSV).expect("the shipped CSV parses");
        assert!(list.len() >= 38, "{} names", list.len());
    }

    #[test]
    fn shipped_list_names_well_known_banned_ingredients() {
        let list = BannedList::vietnam();
        for name in [
            "Paraquat",
            "paraquat dichloride",
            "Glyphosate",
            "2,4-D",
            "Carbofuran",
            "Endosulfan",
        ] {
            assert!(list.find(name).is_some(), "{name} should be banned");
        }
        assert!(list.find("Hexaconazole").is_none());
        assert!(list.find("Paraquat").is_some_and(|b| b.source.contains("TT-BNNPTNT")));
    }
}
