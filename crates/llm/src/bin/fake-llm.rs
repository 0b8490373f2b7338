//! `fake-llm`: the local fake provider as a program, for the browser test and for trying the
//! playground without a provider account. It speaks OpenAI Chat Completions (and Azure
//! deployment URLs), Anthropic Messages and Gemini on one port, accepts one key, and echoes the
//! last user message, streamed word by word.
//!
//!   fake-llm PORT KEY [DELAY_MS]

use std::time::Duration;

use sightline_llm::fake::FakeProvider;

#[tokio::main]
async fn main() {
    let mut args = std::env::args().skip(1);
    let (Some(port), Some(key)) = (args.next(), args.next()) else {
        eprintln!("usage: fake-llm PORT KEY [DELAY_MS]");
        std::process::exit(2);
    };
    let delay: u64 = args.next().and_then(|d| d.parse().ok()).unwrap_or(5);
    let listener =
        tokio::net::TcpListener::bind(("127.0.0.1", port.parse::<u16>().expect("a port")))
            .await
            .expect("the port is free");
    let fake = FakeProvider::serve(listener, &key);
    fake.set_stream_delay(Duration::from_millis(delay));
    println!("fake provider on http://{}", fake.addr);
    std::future::pending::<()>().await;
}
