//! Which scans of a label count: a person opening the page, not a chat app fetching a link
//! preview or a crawler indexing it, and not the same address again and again (the copied-label
//! warning must not be something one phone can force with twenty taps).

use std::collections::HashMap;
use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// How many scans one address may add to one label per hour.
pub const SCANS_PER_ADDRESS_PER_HOUR: u32 = 3;

const WINDOW: Duration = Duration::from_secs(3600);
const SHARDS: usize = 16;
/// Addresses × labels remembered at once, over all shards; past it the oldest windows go first.
const REMEMBERED: usize = 200_000;

/// Words in the User-Agent of link-preview fetchers, crawlers and scripts (lowercase). Chat
/// apps fetch a link's page to show a preview when someone shares it (Zalo, Facebook
/// Messenger, Slack, Telegram, WhatsApp …); search engines crawl it; scripts are not buyers.
const FETCHERS: &[&str] = &[
    "bot",
    "crawler",
    "spider",
    "preview",
    "externalhit",
    "facebookcatalog",
    "meta-external",
    "google",
    "slack",
    "telegram",
    "whatsapp",
    "discord",
    "skypeuripreview",
    "linkedin",
    "embedly",
    "curl/",
    "wget/",
    "python-",
    "go-http-client",
    "java/",
    "okhttp",
    "axios",
    "node-fetch",
    "libwww",
    "httpclient",
    "apache-httpclient",
    "fetch",
];

/// Whether a User-Agent is a link preview, a crawler or a script rather than a person's
/// browser. Zalo is special: its in-app browser, which many buyers scan with, names Zalo and
/// the phone's system (a person); its link-preview fetcher names Zalo alone.
pub fn is_fetcher(user_agent: &str) -> bool {
    let ua = user_agent.to_ascii_lowercase();
    if FETCHERS.iter().any(|word| ua.contains(word)) {
        return true;
    }
    let on_a_phone = ["android", "iphone", "ipad", "mobile"].iter().any(|w| ua.contains(w));
    (ua.contains("zalo") && !on_a_phone) || ua.contains("facebookplatform")
}

/// Per address and label: when its hour started and how many scans counted in it.
type Counted = HashMap<(IpAddr, String), (Instant, u32)>;

/// Scans counted per address and label in the current hour.
#[derive(Debug)]
pub struct ScanLimiter {
    shards: Vec<Mutex<Counted>>,
}

impl Default for ScanLimiter {
    fn default() -> Self {
        Self {
            shards: (0..SHARDS).map(|_| Mutex::new(HashMap::new())).collect(),
        }
    }
}

impl ScanLimiter {
    /// Whether a scan of `serial` from `address` counts now (and notes it when it does).
    pub fn allow(&self, address: IpAddr, serial: &str) -> bool {
        self.allow_at(address, serial, Instant::now())
    }

    fn allow_at(&self, address: IpAddr, serial: &str, now: Instant) -> bool {
        let mut hasher = DefaultHasher::new();
        (address, serial).hash(&mut hasher);
        let shard = (hasher.finish() as usize) % SHARDS;
        let Ok(mut seen) = self.shards[shard].lock() else {
            return false;
        };
        if seen.len() >= REMEMBERED / SHARDS {
            seen.retain(|_, (since, _)| now.duration_since(*since) < WINDOW);
            if seen.len() >= REMEMBERED / SHARDS {
                // Still full of this hour's scans: forget the older half rather than grow.
                let mut ages: Vec<Instant> = seen.values().map(|(since, _)| *since).collect();
                ages.sort_unstable();
                let cut = ages[ages.len() / 2];
                seen.retain(|_, (since, _)| *since > cut);
            }
        }
        let entry = seen.entry((address, serial.to_owned())).or_insert((now, 0));
        if now.duration_since(entry.0) >= WINDOW {
            *entry = (now, 0);
        }
        if entry.1 >= SCANS_PER_ADDRESS_PER_HOUR {
            return false;
        }
        entry.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_crawlers_and_scripts_are_not_people() {
        for ua in [
            "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
            "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
            "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)",
            "TelegramBot (like TwitterBot)",
            "Zalo-LinkPreview/1.0",
            "ZaloBot/1.0",
            "curl/8.5.0",
            "WhatsApp/2.23.20.0",
            "Mozilla/5.0 (compatible; GoogleOther)",
        ] {
            assert!(is_fetcher(ua), "{ua}");
        }
        for ua in [
            "Mozilla/5.0 (Linux; Android 12; SM-A125F) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36",
            "Mozilla/5.0 (Linux; Android 11; Redmi 9A) AppleWebKit/537.36 Chrome/118.0 Mobile Safari/537.36 Zalo android/12110 ZaloTheme/light ZaloLanguage/vi",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 [FBAN/FBIOS;FBAV/430.0]",
            "",
        ] {
            assert!(!is_fetcher(ua), "{ua}");
        }
    }

    #[test]
    fn one_address_adds_a_few_scans_per_label_per_hour() {
        let limiter = ScanLimiter::default();
        let here: IpAddr = [10, 0, 0, 1].into();
        let there: IpAddr = [10, 0, 0, 2].into();
        let start = Instant::now();
        let counted = (0..20).filter(|_| limiter.allow_at(here, "S1", start)).count();
        assert_eq!(counted, SCANS_PER_ADDRESS_PER_HOUR as usize);
        assert!(limiter.allow_at(there, "S1", start), "another address still counts");
        assert!(limiter.allow_at(here, "S2", start), "another label still counts");
        assert!(
            limiter.allow_at(here, "S1", start + WINDOW),
            "the next hour counts again"
        );
    }
}
