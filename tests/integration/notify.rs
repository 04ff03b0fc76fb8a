//! The notification sender against loopback receivers: the Slack payload's
//! shape, retries on 5xx and 429 within the budget, no retry on other 4xx,
//! a receiver that never answers, and no webhook token in what a failure
//! shows.

use std::time::Duration;

use ocfail::notify::{
    Delivery, Event, EventKind, FailReason, Format, Payload, SlackMessage, Target, http_client,
    send,
};
use serde_json::json;

use crate::receiver::{SECRET_PATH, hanging, receiver, seen};

/// Added to `timeout × tries` for the outer bound, which fails a test whose
/// send overran its budget (or hung) without timing it exactly; generous
/// for a busy machine.
const SLACK: Duration = Duration::from_secs(5);

fn slack() -> Payload {
    Payload::Slack(SlackMessage {
        text: "drill eu-west: passed".to_owned(),
        header: None,
        sections: vec!["*drill* `eu-west`".to_owned(), "passed".to_owned()],
    })
}

fn target(url: &str, format: Format) -> Target {
    Target {
        url: url.to_owned(),
        format,
    }
}

async fn deliver(t: &Target, p: &Payload, timeout: Duration, tries: u32) -> Delivery {
    let client = http_client().unwrap();
    let bound = timeout * tries + SLACK;
    tokio::time::timeout(bound, send(&client, t, p, timeout, tries))
        .await
        .expect("send ends within its own budget")
}

#[tokio::test]
async fn slack_payload_has_text_and_mrkdwn_blocks() {
    let (url, log) = receiver(&[200], None).await;
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(5),
        3,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Delivered {
            status: 200,
            tries: 1
        }
    );
    let seen = seen(&log);
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].path, SECRET_PATH);
    assert_eq!(seen[0].content_type.as_deref(), Some("application/json"));
    let body = &seen[0].body;
    assert_eq!(body["text"], "drill eu-west: passed");
    let blocks = body["blocks"].as_array().unwrap();
    assert_eq!(blocks.len(), 2);
    for (block, text) in blocks.iter().zip(["*drill* `eu-west`", "passed"]) {
        assert_eq!(block["type"], "section");
        assert_eq!(block["text"]["type"], "mrkdwn");
        assert_eq!(block["text"]["text"], text);
    }
}

#[tokio::test]
async fn json_and_event_payloads_arrive_as_given() {
    let (url, log) = receiver(&[204], None).await;
    let doc = json!({"verdict": "passed", "regions": [{"name": "eu"}]});
    let d = deliver(
        &target(&url, Format::Json),
        &Payload::Json(doc.clone()),
        Duration::from_secs(5),
        1,
    )
    .await;
    assert!(d.is_delivered(), "{d}");
    let event = Payload::Event(Event {
        event: EventKind::FailedOver,
        run: "run-1".to_owned(),
        command: "drill".to_owned(),
        region: Some("eu".to_owned()),
        verdict: None,
    });
    let d = deliver(
        &target(&url, Format::Events),
        &event,
        Duration::from_secs(5),
        1,
    )
    .await;
    assert!(d.is_delivered(), "{d}");
    let seen = seen(&log);
    assert_eq!(seen[0].body, doc);
    assert_eq!(
        seen[1].body,
        json!({"event": "failed-over", "run": "run-1", "command": "drill",
               "region": "eu", "verdict": null})
    );
}

#[tokio::test]
async fn a_payload_for_another_format_is_not_sent() {
    let (url, log) = receiver(&[200], None).await;
    let d = deliver(
        &target(&url, Format::Json),
        &slack(),
        Duration::from_secs(5),
        3,
    )
    .await;
    assert!(
        matches!(
            d,
            Delivery::Failed {
                reason: FailReason::FormatMismatch { .. },
                tries: 0
            }
        ),
        "{d:?}"
    );
    assert!(seen(&log).is_empty());
}

#[tokio::test]
async fn five_hundreds_are_retried_until_delivered() {
    let (url, log) = receiver(&[500, 500, 200], None).await;
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(5),
        3,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Delivered {
            status: 200,
            tries: 3
        }
    );
    assert_eq!(seen(&log).len(), 3);
}

#[tokio::test]
async fn always_500_fails_after_every_try() {
    let (url, log) = receiver(&[500], None).await;
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(2),
        3,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Failed {
            reason: FailReason::Status(500),
            tries: 3
        }
    );
    assert_eq!(seen(&log).len(), 3);
}

#[tokio::test]
async fn not_found_is_not_retried_and_hides_the_token() {
    let (url, log) = receiver(&[404], None).await;
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(5),
        3,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Failed {
            reason: FailReason::Status(404),
            tries: 1
        }
    );
    assert_eq!(seen(&log).len(), 1);
    for shown in [format!("{d}"), format!("{d:?}")] {
        assert!(
            !shown.contains("SECRET") && !shown.contains("token"),
            "{shown}"
        );
    }
    let t = format!("{:?}", target(&url, Format::Slack));
    assert!(!t.contains("SECRET") && !t.contains("tokentoken"), "{t}");
}

#[tokio::test]
async fn a_retry_after_beyond_the_budget_ends_at_once() {
    let (url, log) = receiver(&[429], Some("3600")).await;
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(2),
        3,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Failed {
            reason: FailReason::Status(429),
            tries: 1
        }
    );
    assert_eq!(seen(&log).len(), 1);
}

#[tokio::test]
async fn a_short_retry_after_is_honoured() {
    let (url, log) = receiver(&[429, 200], Some("0")).await;
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(5),
        2,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Delivered {
            status: 200,
            tries: 2
        }
    );
    assert_eq!(seen(&log).len(), 2);
}

#[tokio::test]
async fn a_receiver_that_never_answers_costs_the_budget_and_no_more() {
    let url = hanging().await;
    let (timeout, tries) = (Duration::from_millis(300), 2);
    let client = http_client().unwrap();
    // timeout × tries is 0.6 s; the bound leaves room for a busy machine
    // while still failing if the deadline were missing (it would hang).
    let d = tokio::time::timeout(
        Duration::from_secs(10),
        send(
            &client,
            &target(&url, Format::Slack),
            &slack(),
            timeout,
            tries,
        ),
    )
    .await
    .expect("send ends near timeout × tries");
    match &d {
        Delivery::Failed {
            reason: FailReason::TimedOut,
            tries: made,
        } => assert!((1..=2).contains(made), "{d:?}"),
        other => panic!("{other:?}"),
    }
    assert!(!format!("{d} {d:?}").contains("SECRET"));
}

#[tokio::test]
async fn an_invalid_or_unreachable_url_fails_without_showing_it() {
    let client = http_client().unwrap();
    let d = send(
        &client,
        &target("ftp://host/SECRET", Format::Slack),
        &slack(),
        Duration::from_secs(1),
        2,
    )
    .await;
    assert_eq!(
        d,
        Delivery::Failed {
            reason: FailReason::InvalidUrl,
            tries: 0
        }
    );
    // A port nothing listens on: connection refused, retried, then failed.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/SECRET");
    let d = deliver(
        &target(&url, Format::Slack),
        &slack(),
        Duration::from_secs(1),
        2,
    )
    .await;
    match &d {
        Delivery::Failed {
            reason: FailReason::Transport { kind: "connect" },
            tries: 2,
        } => {}
        other => panic!("{other:?}"),
    }
    assert!(!format!("{d} {d:?}").contains("SECRET"));
}
