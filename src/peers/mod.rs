//! Mocked peers: our own hyper server, one per peer, serving recorded responses.
//!
//! (Implementation in progress; API fixed.)

use std::net::SocketAddr;
use std::time::Duration;

use crate::check::Finding;
use crate::contract::Contract;
use crate::error::Error;
use crate::recording::Exchange;
use crate::scenario::IgnoreRules;

/// How to start one peer.
#[derive(Debug, Clone)]
pub struct PeerOptions {
    /// Peer name (e.g. `erp`); contracts whose provider has this name validate its requests.
    pub name: String,
    /// Recorded exchanges this peer serves, in recorded order.
    pub exchanges: Vec<Exchange>,
    /// Contracts whose provider is this peer.
    pub contracts: Vec<Contract>,
    /// Body fields whose values are not compared when matching requests.
    pub ignore: IgnoreRules,
    /// Where to listen (`127.0.0.1:0` picks a free port).
    pub bind: SocketAddr,
    /// Validate every request against the contracts and report unmatched requests.
    pub validate_requests: bool,
}

/// One request the peer received.
#[derive(Debug, Clone)]
pub struct PeerCall {
    pub method: String,
    pub url: String,
    /// Contract path template, or the literal path when no contract matched.
    pub route: String,
    /// Index of the recorded exchange that was served.
    pub matched: Option<usize>,
    pub status: u16,
    pub duration: Duration,
    pub findings: Vec<Finding>,
}

/// A running peer.
pub struct PeerServer {
    name: String,
    addr: SocketAddr,
}

impl PeerServer {
    pub async fn start(options: PeerOptions) -> Result<PeerServer, Error> {
        Ok(PeerServer {
            name: options.name,
            addr: options.bind,
        })
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn take_journal(&self) -> Vec<PeerCall> {
        Vec::new()
    }
    pub fn unused(&self) -> Vec<usize> {
        Vec::new()
    }
    pub async fn shutdown(self) {}
}
