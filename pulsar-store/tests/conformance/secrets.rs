//! Secrets sent back masked, as a redacted read shows them, keep their stored values.

use std::sync::Arc;

use pulsar_core::{Header, REDACTED};
use pulsar_store::Store;

use crate::support::*;

pub(crate) async fn updates_that_send_masks_back_keep_the_secrets(store: Arc<dyn Store>) {
    let mut m = monitor("api");
    m.check.headers = vec![
        Header::new("Authorization", "Bearer t0ken"),
        Header::new("Accept", "text/plain"),
    ];
    let stored = store.create_monitor(&m, now()).await.unwrap();
    let mut edited = stored.redacted();
    assert_eq!(edited.check.headers[0].value, REDACTED);
    edited.check.headers[1].value = "application/json".into();
    let written = store.update_monitor(&edited, now()).await.unwrap().monitor;
    assert_eq!(written.check.headers[0].value, "Bearer t0ken");
    assert_eq!(written.check.headers[1].value, "application/json");
    assert_eq!(store.get_monitor(m.id).await.unwrap(), written);

    let mut channel = channel("ops", "webhook");
    channel
        .config
        .insert("url".into(), "https://hooks.example.com/T0/XYZ".into());
    channel.config.insert("format".into(), "json".into());
    let channel = store.create_channel(&channel, now()).await.unwrap();
    let mut edited = channel.redacted();
    edited.config.insert("format".into(), "text".into());
    let written = store.update_channel(&edited, now()).await.unwrap();
    assert_eq!(written.config["url"], "https://hooks.example.com/T0/XYZ");
    assert_eq!(written.config["format"], "text");
}
