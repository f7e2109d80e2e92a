//! What a user gets for a bad command line or a bad endpoint: exit status 2 and one line on
//! stderr, `rollup-bench: error: ...`, before any funding.

use crate::support::{assert_one_line_exit_2, free_port, run_bench};
use std::io::{Read, Write};
use std::net::TcpListener;

/// A one-connection-at-a-time HTTP server answering every request with `body`.
fn fake_server(content_type: &'static str, body: &'static str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = [0u8; 8192];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: {content_type}\r\ncontent-length: {}\r\n\
                 connection: close\r\n\r\n{body}",
                body.len()
            );
        }
    });
    url
}

#[test]
fn unreachable_endpoint_exits_2_with_one_line() {
    let url = format!("http://127.0.0.1:{}", free_port());
    let out = run_bench(&["--rpc", &url]);
    assert_one_line_exit_2(&out, &format!("cannot reach {url}"));
}

#[test]
fn bad_flag_exits_2_with_one_line() {
    assert_one_line_exit_2(&run_bench(&["--no-such-flag"]), "--no-such-flag");
    assert_one_line_exit_2(&run_bench(&["--scenario", "mix:eth=lots"]), "--scenario");
    assert_one_line_exit_2(&run_bench(&["--batch", "32", "--window", "16"]), "--batch 32");
}

#[test]
fn non_json_rpc_server_exits_2_with_one_line() {
    let url = fake_server("text/html", "<html><body>It works!</body></html>");
    assert_one_line_exit_2(&run_bench(&["--rpc", &url]), "is not a JSON-RPC endpoint");
}

#[test]
fn wrong_chain_exits_2_with_one_line() {
    let url = fake_server("application/json", r#"{"jsonrpc":"2.0","id":0,"result":"0x1"}"#);
    assert_one_line_exit_2(&run_bench(&["--rpc", &url, "--chain-id", "270"]), "is chain 1");
}
