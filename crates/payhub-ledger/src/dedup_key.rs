//! Reading the hub's notify dedup keys, which the inbox shares with the hub.

/// The provider of a hub dedup key (`provider[@account]:…`, [`payhub::Notification::dedup_key`]).
pub(crate) fn provider_of(key: &str) -> &str {
    let head = key.split(':').next().unwrap_or("");
    head.split('@').next().unwrap_or(head)
}

/// The named account of a hub dedup key, if it names one (the default account's keys do not).
pub(crate) fn account_of(key: &str) -> Option<&str> {
    key.split(':')
        .next()?
        .split_once('@')
        .map(|(_, account)| account)
}

#[cfg(test)]
mod tests {
    use super::{account_of, provider_of};

    #[test]
    fn a_dedup_key_names_its_provider_and_its_named_account() {
        assert_eq!(provider_of("pooul:T1:pay"), "pooul");
        assert_eq!(account_of("pooul:T1:pay"), None);
        assert_eq!(provider_of("pooul@shop-b:T1:pay"), "pooul");
        assert_eq!(account_of("pooul@shop-b:T1:pay"), Some("shop-b"));
    }
}
