//! A DNS responder on 127.0.0.1 (UDP) that answers from a fixed table, after a known delay.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use hickory_resolver::proto::op::{Message, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, CNAME};
use hickory_resolver::proto::rr::{Name, RData, Record, RecordType};
use tokio::net::UdpSocket;

use super::AbortOnDrop;

/// How the responder answers a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DnsAnswer {
    /// A and AAAA records from these addresses (an empty answer for a type with none).
    Addrs(Vec<IpAddr>),
    NxDomain,
    ServFail,
    /// Never answers: the client runs into its timeout.
    Silent,
    /// An alias: a CNAME record to this name (lower-case, without the final dot), whatever
    /// type was asked, as an authoritative server answers for an alias it does not resolve.
    Cname(String),
}

/// A running responder; names it does not know get NXDOMAIN. Dropping it stops it.
#[derive(Debug)]
pub struct TestDns {
    addr: SocketAddr,
    queries: Arc<AtomicUsize>,
    _task: AbortOnDrop,
}

impl TestDns {
    /// Starts answering `names` (lower-case, without the final dot) after `delay`.
    pub async fn start(
        names: HashMap<String, DnsAnswer>,
        delay: Duration,
    ) -> std::io::Result<Self> {
        let socket = Arc::new(UdpSocket::bind("127.0.0.1:0").await?);
        let addr = socket.local_addr()?;
        let queries = Arc::new(AtomicUsize::new(0));
        let counter = queries.clone();
        let names = Arc::new(names);
        let task = tokio::spawn(async move {
            let mut buf = vec![0u8; 4096];
            loop {
                let Ok((len, peer)) = socket.recv_from(&mut buf).await else {
                    continue;
                };
                let Ok(query) = Message::from_vec(&buf[..len]) else {
                    continue;
                };
                counter.fetch_add(1, Ordering::Relaxed);
                let (socket, names) = (socket.clone(), names.clone());
                tokio::spawn(async move {
                    let Some(reply) = answer(&query, &names) else {
                        return;
                    };
                    super::precise_sleep(delay).await;
                    if let Ok(bytes) = reply.to_vec() {
                        let _ = socket.send_to(&bytes, peer).await;
                    }
                });
            }
        });
        Ok(Self {
            addr,
            queries,
            _task: AbortOnDrop(task),
        })
    }

    /// Where to point the prober (`dns_server`) or the CLI (`--dns-server`).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Queries received so far (A and AAAA count separately).
    pub fn queries(&self) -> usize {
        self.queries.load(Ordering::Relaxed)
    }
}

fn answer(query: &Message, names: &HashMap<String, DnsAnswer>) -> Option<Message> {
    let question = query.queries.first()?;
    let name = question
        .name()
        .to_ascii()
        .trim_end_matches('.')
        .to_ascii_lowercase();
    let mut reply = Message::response(query.metadata.id, query.metadata.op_code);
    reply.metadata.recursion_desired = query.metadata.recursion_desired;
    reply.metadata.recursion_available = true;
    reply.metadata.authoritative = true;
    reply.add_query(question.clone());
    match names.get(&name) {
        None | Some(DnsAnswer::NxDomain) => reply.metadata.response_code = ResponseCode::NXDomain,
        Some(DnsAnswer::ServFail) => reply.metadata.response_code = ResponseCode::ServFail,
        Some(DnsAnswer::Silent) => return None,
        Some(DnsAnswer::Cname(target)) => {
            let target = Name::from_ascii(format!("{target}.")).ok()?;
            let data = RData::CNAME(CNAME(target));
            reply.add_answer(Record::from_rdata(question.name().clone(), 60, data));
        }
        Some(DnsAnswer::Addrs(addrs)) => {
            for ip in addrs {
                let data = match (ip, question.query_type()) {
                    (IpAddr::V4(v4), RecordType::A) => RData::A(A(*v4)),
                    (IpAddr::V6(v6), RecordType::AAAA) => RData::AAAA(AAAA(*v6)),
                    _ => continue,
                };
                reply.add_answer(Record::from_rdata(question.name().clone(), 60, data));
            }
        }
    }
    Some(reply)
}
