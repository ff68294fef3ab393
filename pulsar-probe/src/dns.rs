//! Name resolution with hickory: no cache, so every check measures a real lookup.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use hickory_resolver::config::{
    LookupIpStrategy, NameServerConfig, ResolveHosts, ResolverConfig, ResolverOpts,
};
use hickory_resolver::net::runtime::TokioRuntimeProvider;
use hickory_resolver::net::{DnsError, NetError};
use hickory_resolver::proto::op::ResponseCode;
use hickory_resolver::proto::rr::{RData, RecordType};
use hickory_resolver::{ResolverBuilder, TokioResolver};
use pulsar_core::{Failure, FailureKind};

use crate::error::ProbeError;

/// Which address families a check may connect to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum IpFamily {
    /// IPv4 and IPv6, IPv4 addresses tried first.
    #[default]
    Any,
    V4,
    V6,
}

impl IpFamily {
    pub fn allows(self, ip: IpAddr) -> bool {
        match self {
            Self::Any => true,
            Self::V4 => ip.is_ipv4(),
            Self::V6 => ip.is_ipv6(),
        }
    }

    pub(crate) fn describe(self) -> &'static str {
        match self {
            Self::Any => "IP",
            Self::V4 => "IPv4",
            Self::V6 => "IPv6",
        }
    }
}

/// Builds the resolver a prober uses for every check.
///
/// With `server`, only that nameserver is asked, over UDP, and the hosts file is ignored (so
/// a test or a user pointing at a nameserver sees that nameserver's answers). Without it, the
/// system configuration applies, hosts file included, as for any program on the machine.
pub(crate) fn resolver(
    server: Option<SocketAddr>,
    family: IpFamily,
) -> Result<TokioResolver, ProbeError> {
    let mut builder: ResolverBuilder<TokioRuntimeProvider> = match server {
        Some(addr) => {
            let mut nameserver = NameServerConfig::udp(addr.ip());
            for connection in &mut nameserver.connections {
                connection.port = addr.port();
            }
            TokioResolver::builder_with_config(
                ResolverConfig::from_name_servers(vec![nameserver]),
                TokioRuntimeProvider::default(),
            )
        }
        None => TokioResolver::builder_tokio().map_err(|e| ProbeError::SystemDns(e.to_string()))?,
    };
    let opts: &mut ResolverOpts = builder.options_mut();
    // A cache would turn the second check's dns phase into a memory read; zero TTLs make
    // sure nothing is served from it even before an entry is evicted.
    opts.cache_size = 0;
    opts.positive_max_ttl = Some(Duration::ZERO);
    opts.negative_max_ttl = Some(Duration::ZERO);
    opts.ip_strategy = match family {
        IpFamily::Any => LookupIpStrategy::Ipv4AndIpv6,
        IpFamily::V4 => LookupIpStrategy::Ipv4Only,
        IpFamily::V6 => LookupIpStrategy::Ipv6Only,
    };
    if server.is_some() {
        opts.use_hosts_file = ResolveHosts::Never;
        // One nameserver: a retry would only double the time until a dead one is reported.
        opts.attempts = 1;
    }
    builder
        .build()
        .map_err(|e| ProbeError::SystemDns(e.to_string()))
}

/// Aliases followed before a chain counts as too long; hickory itself gives up after 8
/// queries and reports a chain it gave up on as a name without records.
const CNAME_CHAIN_LIMIT: usize = 8;

/// Resolves `host` to addresses of the wanted family, in the resolver's order.
pub(crate) async fn lookup(
    resolver: &TokioResolver,
    host: &str,
    family: IpFamily,
) -> Result<Vec<IpAddr>, Failure> {
    let lookup = match resolver.lookup_ip(host).await {
        Ok(lookup) => lookup,
        Err(error) => {
            let failure = classify(host, &error);
            if failure.kind == FailureKind::DnsNoAddress
                && let Some(broken) = broken_alias_chain(resolver, host).await
            {
                return Err(broken);
            }
            return Err(failure);
        }
    };
    let addrs: Vec<IpAddr> = lookup.iter().filter(|ip| family.allows(*ip)).collect();
    if addrs.is_empty() {
        return Err(no_address(host, family));
    }
    Ok(addrs)
}

/// Follows `host`'s CNAME records one query at a time, to tell a loop or a chain too long
/// apart from a name that has no address. Only asked once a lookup found no address, so a
/// working name costs no extra query. A loop is a broken zone, reported as recursive
/// resolvers report it (SERVFAIL): `dns_server_failure`.
async fn broken_alias_chain(resolver: &TokioResolver, host: &str) -> Option<Failure> {
    let mut chain = vec![host.trim_end_matches('.').to_ascii_lowercase()];
    loop {
        let current = chain.last()?;
        // Fully qualified, so no search domain is tried.
        let answer = resolver
            .lookup(format!("{current}."), RecordType::CNAME)
            .await
            .ok()?;
        let target = answer
            .answers()
            .iter()
            .find_map(|record| match &record.data {
                RData::CNAME(alias) => Some(
                    alias
                        .0
                        .to_ascii()
                        .trim_end_matches('.')
                        .to_ascii_lowercase(),
                ),
                _ => None,
            })?;
        let looped = chain.contains(&target);
        chain.push(target);
        let problem = if looped {
            "CNAME loop"
        } else if chain.len() > CNAME_CHAIN_LIMIT {
            "CNAME chain too long"
        } else {
            continue;
        };
        return Some(Failure::new(
            FailureKind::DnsServerFailure,
            format!("{host}: {problem}: {}", chain.join(" → ")),
        ));
    }
}

pub(crate) fn no_address(host: &str, family: IpFamily) -> Failure {
    Failure::new(
        FailureKind::DnsNoAddress,
        format!("{host} has no {} address", family.describe()),
    )
}

fn classify(host: &str, error: &NetError) -> Failure {
    let (kind, message) = match error {
        NetError::Dns(DnsError::NoRecordsFound(no))
            if no.response_code == ResponseCode::NXDomain =>
        {
            (
                FailureKind::DnsNoSuchName,
                format!("{host}: no such name (NXDOMAIN)"),
            )
        }
        NetError::Dns(DnsError::NoRecordsFound(_)) => (
            FailureKind::DnsNoAddress,
            format!("{host}: the name exists but has no address record"),
        ),
        NetError::Dns(DnsError::ResponseCode(code)) => (
            FailureKind::DnsServerFailure,
            format!("{host}: the nameserver answered {code}"),
        ),
        NetError::Timeout => (
            FailureKind::DnsTimeout,
            format!("{host}: no answer from the nameserver"),
        ),
        other => (
            FailureKind::DnsServerFailure,
            format!("{host}: lookup failed: {other}"),
        ),
    };
    Failure::new(kind, message)
}

#[cfg(test)]
mod tests {
    use hickory_resolver::net::NoRecords;
    use hickory_resolver::proto::op::Query;

    use super::*;

    #[test]
    fn resolver_errors_map_to_dns_kinds() {
        let kind = |e: NetError| classify("x.test", &e).kind;
        let no_records = |code| {
            NetError::Dns(DnsError::NoRecordsFound(NoRecords::new(
                Query::default(),
                code,
            )))
        };
        assert_eq!(
            kind(no_records(ResponseCode::NXDomain)),
            FailureKind::DnsNoSuchName
        );
        assert_eq!(
            kind(no_records(ResponseCode::NoError)),
            FailureKind::DnsNoAddress
        );
        let refused = NetError::Dns(DnsError::ResponseCode(ResponseCode::Refused));
        assert_eq!(kind(refused), FailureKind::DnsServerFailure);
        assert_eq!(kind(NetError::Timeout), FailureKind::DnsTimeout);
    }
}
