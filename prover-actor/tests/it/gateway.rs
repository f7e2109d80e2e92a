//! The gateway as a supervised actor: it serves whichever exchange its slot holds (following
//! restarts), and its HTTP server stops with it.

use std::time::Duration;

use rollup_prover::exchange::ExchangeSlot;
use rollup_prover::gateway::{self, GatewayArgs};
use rollup_supervision::{RestartBudget, Supervisor, SupervisorArgs, SupervisorMsg};
use rollup_test_utils::free_port;
use serde_json::{json, Value};

use super::support::spawn_exchange;

const TOKEN: &str = "gateway-test-token";

async fn status(url: &str) -> Result<Value, reqwest::Error> {
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "prover_status", "params": []});
    reqwest::Client::new().post(url).bearer_auth(TOKEN).json(&body).send().await?.json().await
}

#[tokio::test(flavor = "multi_thread")]
async fn the_supervised_gateway_follows_its_exchange_slot_and_stops_with_its_tree() {
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let slot = ExchangeSlot::default();
    let budget = RestartBudget { max_restarts: 3, window: Duration::from_secs(60) };
    let args = GatewayArgs {
        addr: format!("127.0.0.1:{port}").parse().unwrap(),
        token: TOKEN.into(),
        exchange: slot.clone(),
    };
    let (sup, done) = Supervisor::start(SupervisorArgs {
        name: "prover".into(),
        children: vec![gateway::spec(args, budget)],
        status: Default::default(),
    })
    .await
    .unwrap();

    // No exchange in the slot yet: the worker is told to retry.
    let answer = status(&url).await.unwrap();
    let message = answer["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("restarting"), "{answer}");

    // An exchange appears in the slot: the same gateway serves it.
    let dir = tempfile::tempdir().unwrap();
    let exchange = spawn_exchange(
        &dir.path().join("q.redb"),
        Duration::from_secs(60),
        rollup_events::EventBus::new(),
    )
    .await;
    slot.set(Some(exchange.clone()));
    let answer = status(&url).await.unwrap();
    assert_eq!(answer["result"]["pending"], 0, "{answer}");

    // Stopping the tree stops the server with the actor: the port is free again.
    sup.call(SupervisorMsg::Shutdown, Some(Duration::from_secs(10))).await.unwrap();
    done.await.unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
    while status(&url).await.is_ok() {
        assert!(tokio::time::Instant::now() < deadline, "the gateway still answers after its stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    std::net::TcpListener::bind(("127.0.0.1", port)).expect("the port was released");
    exchange.stop(None);
}
